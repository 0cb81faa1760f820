"""The integrated-gradients engine of ``text.py``: token ids, batched path evaluations, adaptive nodes (design.md §6).

Each attribution set is a :class:`Job`: the input's token ids, its baseline's ids and an
:class:`~explainers.attributions.quadrature.AdaptivePath` (nested adaptive Simpson, see ``quadrature.py``).
:func:`integrate` runs rounds: every pending job asks for the nodes its units lack, all of them run as
length-sorted batches of ``batch_size`` rows through the model (one forward and one backward pass per batch), and
each job then converges or halves the units that carry its error. Paths from the neutral baseline start with
two units (nine nodes): they rise and fall on the way from all-pad to x and need 34 nodes on average here.

One evaluation is what Captum's ``LayerIntegratedGradients`` does at one alpha: the model runs on the input's ids
with the output of ``model.get_input_embeddings()`` replaced (a forward hook) by b + alpha (x - b), where x and b
are the word embeddings of the input's and the baseline's ids; the gradient of f (the softmax probability of the
target class) with respect to that output, times (x - b), summed over the hidden size, is the integrand per token.
Captum takes one set of alphas for every example of a call; here each set has its own nodes, batched across sets.
``tests/explainers/attributions/test_integrated.py`` checks the two give the same attributions at the same nodes.

The ends of paths are shared: x against the neutral baseline ends at x, where x against x' (the counterfactual
set) starts, and both neutral sets of a pair start at the same all-pad input. Such nodes run once, and their
gradient serves every set that has them. This assumes the model reads its ``input_ids`` only through the
embedding layer and the positions of pad ids, as integrated gradients on the embedding layer does anyway.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch

from explainers.attributions.pairs import Progress, report_progress
from explainers.attributions.quadrature import GRID, AdaptivePath, bounds
from explainers.attributions.words import PairWords, token_words

INTEGRATION = "nested adaptive Simpson (Boole values, Simpson error estimates per token)"


@dataclass
class Job:
    """One attribution set in the making: token ids of the input and of its baseline, and its path."""

    pair: int
    member: str  # "text", "counterfactual" or "pair"
    baseline: str  # "neutral" or "counterfactual"
    ids: list[int]
    baseline_ids: list[int]
    owners: np.ndarray
    path: AdaptivePath = field(default_factory=AdaptivePath)
    output: float = 0.0
    baseline_output: float = 0.0
    bound: float = 0.0
    token_bound: float = 0.0
    probabilities: np.ndarray | None = None  # all classes at the input (alpha = 1)

    @property
    def tokens(self) -> np.ndarray | None:
        return self.path.tokens

    @property
    def error(self) -> float | None:
        return self.path.error

    @property
    def converged(self) -> bool:
        return self.path.converged

    @property
    def steps(self) -> int:
        """Nodes of the path evaluated (shared end nodes included)."""
        return self.path.points


def make_jobs(runner, words: list[PairWords]) -> tuple[list[Job], list[bool]]:
    """Neutral sets for x and x' of every pair, and x' against x where both have the same token length."""
    if not words:
        return [], []
    texts = [text for w in words for text in (w.text.text, w.counterfactual.text)]
    encoded = runner.tokenizer(
        texts,
        truncation=True,
        max_length=runner.max_length,
        return_offsets_mapping=True,
        return_special_tokens_mask=True,
    )
    jobs, aligned = [], []
    for index, w in enumerate(words):
        rows = []
        for position, member_words in ((2 * index, w.text), (2 * index + 1, w.counterfactual)):
            ids = list(encoded["input_ids"][position]) or [runner.pad_id]
            special = list(encoded["special_tokens_mask"][position]) or [1]
            offsets = list(encoded["offset_mapping"][position]) or [(0, 0)]
            neutral = [token if flag else runner.pad_id for token, flag in zip(ids, special, strict=True)]
            rows.append((ids, neutral, token_words(member_words, offsets, special), special))
        (ids, neutral, owners, special), (cf_ids, cf_neutral, cf_owners, cf_special) = rows
        jobs.append(Job(index, "text", "neutral", ids, neutral, owners))
        jobs.append(Job(index, "counterfactual", "neutral", cf_ids, cf_neutral, cf_owners))
        aligned.append(len(ids) == len(cf_ids) and special == cf_special)
        if aligned[-1]:
            jobs.append(Job(index, "pair", "counterfactual", cf_ids, ids, cf_owners))
    return jobs, aligned


def _padded(rows: list[list[int]], pad_id: int, device) -> tuple[torch.Tensor, torch.Tensor]:
    longest = max(len(row) for row in rows)
    ids = np.full((len(rows), longest), pad_id, dtype=np.int64)
    mask = np.zeros((len(rows), longest), dtype=np.int64)
    for i, row in enumerate(rows):
        ids[i, : len(row)] = row
        mask[i, : len(row)] = 1
    return torch.from_numpy(ids).to(device), torch.from_numpy(mask).to(device)


@dataclass
class _Row:
    """One model input: ids, the ids whose embeddings make the path, the node; and the (job, node) it serves."""

    ids: list[int]
    baseline_ids: list[int]
    node: int
    users: list[tuple[Job, int]]


def integrate(
    runner,
    jobs: list[Job],
    target: int,
    *,
    tolerance: float,
    absolute_tolerance: float,
    token_tolerance: float | None,
    max_steps: int,
    batch_size: int,
    progress: Progress | None = None,
) -> int:
    """Adaptive rounds until every job converges or can refine no further.

    Sets each job's output, baseline output, bounds, class probabilities and path result. Progress goes from 0.05
    to 0.85 as the rounds advance (half of what remains per round: the number of rounds is not known ahead).

    Returns:
        The number of gradient evaluations (rows through a forward and a backward pass), shared nodes counted once.
    """
    pending, evaluations, round_index = list(jobs), 0, 0
    for job in jobs:
        if job.baseline == "neutral" and not job.path.g and int(max_steps) >= 9:
            job.path.units = [(0, GRID // 2), (GRID // 2, GRID)]
    while pending:
        rows = _rows(pending, runner.pad_id)
        low, high = 0.05 + 0.8 * (1 - 0.5**round_index), 0.05 + 0.8 * (1 - 0.5 ** (round_index + 1))
        evaluations += _evaluate(runner, rows, target, batch_size, progress, (low, high), round_index)
        still = []
        for job in pending:
            path = job.path
            if path.rounds == 0:
                job.output, job.baseline_output = path.f[GRID], path.f[0]
                job.bound, job.token_bound = bounds(path, tolerance, absolute_tolerance, token_tolerance)
            if not path.assess(job.bound, job.token_bound) and path.refine(job.bound, job.token_bound, max_steps):
                still.append(job)
        pending, round_index = still, round_index + 1
    report_progress(progress, 0.85, "integrated gradients done")
    return evaluations


def _rows(jobs: list[Job], pad_id: int) -> list[_Row]:
    """The model inputs the jobs' missing nodes need; the ends of paths are shared by what the model sees.

    At alpha 0 the model sees the input's ids (their pad positions) and the baseline's embeddings; at alpha 1 the
    input's pad positions and embeddings. Nodes inside a path are never shared.
    """
    rows: list[_Row] = []
    ends: dict[tuple, _Row] = {}
    for job in jobs:
        for node in job.path.wanted():
            if node in (0, GRID):
                embedded = job.baseline_ids if node == 0 else job.ids
                key = (tuple(embedded), tuple(token == pad_id for token in job.ids))
                row = ends.get(key)
                if row is None:
                    row = ends[key] = _Row(job.ids, job.baseline_ids, node, [])
                    rows.append(row)
                row.users.append((job, node))
            else:
                rows.append(_Row(job.ids, job.baseline_ids, node, [(job, node)]))
    return rows


def _evaluate(runner, rows: list[_Row], target: int, batch_size: int, progress, span, round_index) -> int:
    """Every row through the model in length-sorted batches; f, class probabilities and g stored in the jobs."""
    model, layer = runner.model, runner.model.get_input_embeddings()
    order = sorted(range(len(rows)), key=lambda i: len(rows[i].ids))
    replaced: dict[str, torch.Tensor] = {}
    handle = layer.register_forward_hook(lambda module, args, output: replaced.get("embeddings", output))
    low, high = span
    try:
        for start in range(0, len(order), batch_size):
            chunk = [rows[i] for i in order[start : start + batch_size]]
            ids, mask = _padded([row.ids for row in chunk], runner.pad_id, runner.device)
            base, _ = _padded([row.baseline_ids for row in chunk], runner.pad_id, runner.device)
            alpha = torch.tensor([row.node / GRID for row in chunk], dtype=torch.float32, device=runner.device)
            with torch.no_grad():
                x, b = layer(ids), layer(base)
            alpha = alpha.view(-1, 1, 1).to(x.dtype)
            # The ends are the embeddings themselves, so shared end nodes are exactly the same input.
            scaled = torch.where(alpha == 1, x, torch.where(alpha == 0, b, b + alpha * (x - b))).requires_grad_()
            replaced["embeddings"] = scaled
            try:
                with torch.enable_grad():
                    logits = model(input_ids=ids, attention_mask=mask).logits
                    probabilities = torch.softmax(logits.float(), dim=-1)
                    (gradient,) = torch.autograd.grad(probabilities[:, target].sum(), scaled)
            finally:
                replaced.clear()
            _store(runner, chunk, target, x, b, gradient.detach(), probabilities.detach())
            done = min(start + batch_size, len(order)) / len(order)
            report_progress(progress, low + (high - low) * done, f"integrated gradients, round {round_index + 1}")
    finally:
        handle.remove()
    return len(rows)


def _store(runner, chunk: list[_Row], target: int, x, b, gradient, probabilities) -> None:
    """f, the class probabilities at alpha 1 and the integrand of every (job, node) the rows serve.

    A row's own job takes (x - b) . gradient from the batch; the other jobs of a shared end take their own x - b
    against the same gradient, all of them in one extra embedding lookup per batch.
    """
    own = (gradient * (x - b)).sum(dim=-1).double().cpu().numpy()
    values = probabilities.double().cpu().numpy()
    others = [
        (i, job, node)
        for i, row in enumerate(chunk)
        for job, node in row.users
        if not (job.ids == row.ids and job.baseline_ids == row.baseline_ids)
    ]
    shared = {}
    if others:
        layer = runner.model.get_input_embeddings()
        ids, _ = _padded([job.ids for _, job, _ in others], runner.pad_id, runner.device)
        base, _ = _padded([job.baseline_ids for _, job, _ in others], runner.pad_id, runner.device)
        with torch.no_grad():
            difference = layer(ids) - layer(base)
        rows = torch.tensor([i for i, _, _ in others], device=gradient.device)
        products = (gradient[rows, : difference.shape[1]] * difference).sum(dim=-1).double().cpu().numpy()
        shared = {(i, id(job)): products[k] for k, (i, job, _) in enumerate(others)}
    for i, row in enumerate(chunk):
        length = len(row.ids)
        for job, node in row.users:
            integrand = shared.get((i, id(job)), own[i])[:length]
            job.path.f[node], job.path.g[node] = float(values[i, target]), integrand
            if node == GRID:
                job.probabilities = values[i]
