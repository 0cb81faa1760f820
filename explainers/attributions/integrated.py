"""The integrated-gradients engine of ``text.py``: token ids, path ends and adaptive steps (design.md §6, §9).

Each attribution set is a :class:`Job`: the input's token ids, its baseline's ids, and the best attributions found
so far. :func:`endpoints` computes f at both ends of every path in batches; :func:`integrate` runs Captum's
``LayerIntegratedGradients`` on all pending jobs at one step count, in length-sorted groups, and moves the jobs
whose completeness error is outside their bound to the next step count.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch

from explainers.attributions.pairs import Progress, report_progress
from explainers.attributions.words import PairWords, token_words

INTEGRATION = "gausslegendre"


@dataclass
class Job:
    """One attribution set in the making: token ids of the input and of its baseline, and the best result yet."""

    pair: int
    member: str  # "text", "counterfactual" or "pair"
    baseline: str  # "neutral" or "counterfactual"
    ids: list[int]
    baseline_ids: list[int]
    owners: np.ndarray
    output: float = 0.0
    baseline_output: float = 0.0
    bound: float = 0.0
    steps_tried: list[int] = field(default_factory=list)
    steps: int | None = None
    tokens: np.ndarray | None = None
    error: float | None = None
    converged: bool = False


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
    ids = torch.full((len(rows), longest), pad_id, dtype=torch.long)
    mask = torch.zeros((len(rows), longest), dtype=torch.long)
    for i, row in enumerate(rows):
        ids[i, : len(row)] = torch.tensor(row, dtype=torch.long)
        mask[i, : len(row)] = 1
    return ids.to(device), mask.to(device)


def endpoints(runner, jobs: list[Job], target: int) -> dict[int, tuple[np.ndarray, np.ndarray]]:
    """f(input) and f(baseline) of every job, batched by length; class probabilities of x and x' per pair.

    f(baseline) runs the input's ids and mask with the word-embedding output swapped for the baseline's, which
    is where IG's path starts (position ids derived from input ids, as in RoBERTa, stay those of the input).
    """
    model, layer = runner.model, runner.model.get_input_embeddings()
    rows = [(job.ids, job.ids) for job in jobs] + [(job.ids, job.baseline_ids) for job in jobs]
    order = sorted(range(len(rows)), key=lambda i: len(rows[i][0]))
    out = np.zeros((len(rows), len(runner.labels)))
    swap: dict[str, torch.Tensor] = {}
    handle = layer.register_forward_hook(lambda module, args, output: module.forward(swap["ids"]) if swap else output)
    try:
        with torch.no_grad():
            for start in range(0, len(order), runner.batch_size):
                chunk = order[start : start + runner.batch_size]
                ids, mask = _padded([rows[i][0] for i in chunk], runner.pad_id, runner.device)
                swap["ids"], _ = _padded([rows[i][1] for i in chunk], runner.pad_id, runner.device)
                logits = model(input_ids=ids, attention_mask=mask).logits
                out[chunk] = torch.softmax(logits.float(), dim=-1).cpu().numpy()
                swap.clear()
    finally:
        handle.remove()
    probabilities: dict[int, list[np.ndarray]] = {}
    for i, job in enumerate(jobs):
        job.output, job.baseline_output = float(out[i, target]), float(out[len(jobs) + i, target])
        if job.member != "pair":
            probabilities.setdefault(job.pair, []).append(out[i])
    return {pair: (rows_[0], rows_[1]) for pair, rows_ in probabilities.items()}


def integrate(runner, jobs: list[Job], schedule, target: int, internal_batch_size: int, progress: Progress | None):
    """Adaptive steps: every pending job at the next step count until all converge or the schedule ends.

    Groups hold at most ``internal_batch_size`` jobs of similar token length, so Captum's chunks (all examples of a
    group times ``internal_batch_size // len(group)`` steps) never exceed ``internal_batch_size`` sequences.

    Returns:
        The number of gradient evaluations (sequences through a forward and a backward pass).
    """
    from captum.attr import LayerIntegratedGradients

    model = runner.model

    def forward(input_ids, attention_mask):
        logits = model(input_ids=input_ids, attention_mask=attention_mask).logits
        return torch.softmax(logits.float(), dim=-1)[:, target]

    method = LayerIntegratedGradients(forward, model.get_input_embeddings())
    pending, evaluations = list(jobs), 0
    group_size = max(1, int(internal_batch_size))
    for round_index, steps in enumerate(schedule):
        low, high = 0.05 + 0.8 * (1 - 0.5**round_index), 0.05 + 0.8 * (1 - 0.5 ** (round_index + 1))
        pending.sort(key=lambda job: len(job.ids))
        for start in range(0, len(pending), group_size):
            group = pending[start : start + group_size]
            ids, mask = _padded([job.ids for job in group], runner.pad_id, runner.device)
            baselines, _ = _padded([job.baseline_ids for job in group], runner.pad_id, runner.device)
            with torch.enable_grad():
                attributions = method.attribute(
                    inputs=ids,
                    baselines=baselines,
                    additional_forward_args=(mask,),
                    n_steps=steps,
                    method=INTEGRATION,
                    internal_batch_size=int(internal_batch_size),
                )
            tokens = attributions.detach().float().sum(dim=-1).cpu().numpy().astype(np.float64)
            for job, row in zip(group, tokens, strict=True):
                _update(job, row[: len(job.ids)], steps)
            evaluations += steps * len(group)
            done = min(start + group_size, len(pending)) / len(pending)
            report_progress(progress, low + (high - low) * done, f"integrated gradients at {steps} steps")
        pending = [job for job in pending if not job.converged]
        if not pending:
            break
    report_progress(progress, 0.85, "integrated gradients done")
    return evaluations


def _update(job: Job, tokens: np.ndarray, steps: int) -> None:
    """Keep the result with the smallest completeness error; converged once it is within the job's bound."""
    error = float(tokens.sum()) - (job.output - job.baseline_output)
    job.steps_tried.append(int(steps))
    if job.error is None or abs(error) <= abs(job.error):
        job.tokens, job.error, job.steps = tokens, error, int(steps)
    job.converged = abs(job.error) <= job.bound
