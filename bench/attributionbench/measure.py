"""The timed paths of the integrated-gradients benchmark, and the attribution sets they share.

An *explanation* is one attribution set, defined once for all paths by the stage's own job builder
(``explainers.attributions.integrated.make_jobs``): per pair, x against the neutral baseline, x' against the
neutral baseline, and x' against x when both tokenize to the same length; same token ids, same baselines, same
f (softmax probability of the favourable class, with the input's attention mask). Its completeness error is
``sum(attr) - (f(input) - f(baseline))``, with both ends from one batched forward pass outside any timing, and its
bound the stage's: ``max(tolerance * |f(input) - f(baseline)|, absolute_tolerance)``.

(a) captum    ``LayerIntegratedGradients(forward, model.get_input_embeddings()).attribute`` once per set, with its
              defaults (50 steps, Gauss-Legendre, all steps in one batch) and ``return_convergence_delta=True``;
(b) ours      ``explain_text_pairs(runner, pairs, ...)`` end to end (faithfulness off for the IG timing), with the
              time inside its adaptive IG (``integrate``) measured in the same run;
(c) ceiling   the forward+backward passes (b) performed, ``cost.gradient_evaluations`` sequences with their real
              token lengths and the nodes the stage chose, length-sorted and cut into full ``internal_batch_size``
              batches of interpolated embeddings, run back to back: ``model(inputs_embeds=...)`` and one
              ``torch.autograd.grad`` per batch, nothing else.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass

import numpy as np
import torch

from explainers.attributions import explain_text_pairs, select_pairs
from explainers.attributions.integrated import Job, _padded, make_jobs
from explainers.attributions.quadrature import GRID
from explainers.attributions.words import pair_words, word_weights


def load_runner(model_dir, device: str, threads: int):
    from explainers.runners.hf_text import TextClassifierRunner

    runner = TextClassifierRunner(model_dir, favourable_class="positive", device=device)
    if threads:
        torch.set_num_threads(int(threads))  # after the runner, which sizes the pool to the CPU affinity
    return runner


def synchronize(runner) -> None:
    if runner.device.type == "cuda":
        torch.cuda.synchronize(runner.device)


@dataclass
class Sets:
    """The attribution sets of the chosen pairs, with f at both ends and the bound of each."""

    chosen: list[dict]
    jobs: list[Job]
    keys: list[tuple[int, str]]  # (pair index in ``chosen``, member) per job
    words: list  # PairWords per pair

    def word_weights(self, index: int, tokens: np.ndarray) -> np.ndarray:
        """Token attributions of job ``index`` summed per word, as the stage reports them."""
        job = self.jobs[index]
        member = self.words[job.pair].text if job.member == "text" else self.words[job.pair].counterfactual
        return word_weights(np.asarray(tokens, dtype=np.float64), job.owners, len(member))


def build_sets(runner, pairs, lexicon, tolerance: float, absolute_tolerance: float, budget: int | None) -> Sets:
    target = runner.favourable_index
    chosen = select_pairs(pairs, budget)
    words = [pair_words(p["text"], p["counterfactual"], lexicon) for p in chosen]
    jobs, _ = make_jobs(runner, words)
    path_ends(runner, jobs, target)
    for job in jobs:
        job.bound = max(float(tolerance) * abs(job.output - job.baseline_output), float(absolute_tolerance))
    return Sets(chosen, jobs, [(job.pair, job.member) for job in jobs], words)


def path_ends(runner, jobs: list[Job], target: int) -> None:
    """f(input) and f(baseline) of every set from one batched forward pass, for Captum's sets as for ours.

    f(baseline) runs the input's ids and mask with the word-embedding output swapped for the baseline's, which is
    where IG's path starts (as in Captum and the stage).
    """
    model, layer = runner.model, runner.model.get_input_embeddings()
    rows = [(job.ids, job.ids) for job in jobs] + [(job.ids, job.baseline_ids) for job in jobs]
    order = sorted(range(len(rows)), key=lambda i: len(rows[i][0]))
    out = np.zeros(len(rows))
    swap: dict[str, torch.Tensor] = {}
    handle = layer.register_forward_hook(lambda module, args, output: module.forward(swap["ids"]) if swap else output)
    try:
        with torch.no_grad():
            for start in range(0, len(order), runner.batch_size):
                chunk = order[start : start + runner.batch_size]
                ids, mask = _padded([rows[i][0] for i in chunk], runner.pad_id, runner.device)
                swap["ids"], _ = _padded([rows[i][1] for i in chunk], runner.pad_id, runner.device)
                logits = model(input_ids=ids, attention_mask=mask).logits
                out[chunk] = torch.softmax(logits.float(), dim=-1)[:, target].double().cpu().numpy()
                swap.clear()
    finally:
        handle.remove()
    for i, job in enumerate(jobs):
        job.output, job.baseline_output = float(out[i]), float(out[len(jobs) + i])


# ----------------------------------------------------------------------------------------------------------------
# (a) Captum per example with its defaults


class CaptumDefault:
    """``LayerIntegratedGradients`` once per attribution set, all its defaults but ``return_convergence_delta``."""

    def __init__(self, runner) -> None:
        from captum.attr import LayerIntegratedGradients

        model, target = runner.model, runner.favourable_index

        def forward(input_ids, attention_mask):
            logits = model(input_ids=input_ids, attention_mask=attention_mask).logits
            return torch.softmax(logits.float(), dim=-1)[:, target]

        self.runner = runner
        self.method = LayerIntegratedGradients(forward, model.get_input_embeddings())

    def explain(self, job: Job) -> tuple[np.ndarray, float]:
        """(token attributions, Captum's own convergence delta) of one set."""
        device = self.runner.device
        ids = torch.tensor([job.ids], dtype=torch.long, device=device)
        baseline = torch.tensor([job.baseline_ids], dtype=torch.long, device=device)
        mask = torch.ones_like(ids)
        attributions, delta = self.method.attribute(
            inputs=ids, baselines=baseline, additional_forward_args=(mask,), return_convergence_delta=True
        )
        tokens = attributions.detach().double().sum(dim=-1)[0].cpu().numpy()
        return tokens, float(delta.detach().double().sum())

    def run(self, jobs: list[Job]) -> tuple[float, list[tuple[np.ndarray, float]]]:
        began = time.perf_counter()
        out = [self.explain(job) for job in jobs]
        synchronize(self.runner)
        return time.perf_counter() - began, out


def captum_errors(jobs: list[Job], results: dict[int, tuple], min_difference: float) -> dict:
    """Completeness of Captum's sets, computed as for ours; ``results`` maps job index -> (tokens, delta)."""
    rows = []
    for index, (tokens, delta) in sorted(results.items()):
        job = jobs[index]
        difference = job.output - job.baseline_output
        error = float(np.sum(tokens)) - difference
        rows.append((error, difference, job.bound, delta))
    errors = np.array([r[0] for r in rows])
    differences = np.array([r[1] for r in rows])
    bounds = np.array([r[2] for r in rows])
    deltas = np.array([r[3] for r in rows])
    return {
        **error_stats(errors, differences, bounds, min_difference),
        "max_abs_own_delta_minus_error": float(np.max(np.abs(deltas - errors))) if rows else None,
    }


def agreement(
    reference: dict[int, np.ndarray], other: dict[int, np.ndarray], bounds: dict[int, float] | None = None
) -> dict:
    """Word weights of ``other`` against ``reference`` (job index -> weights), over the sets both have.

    ``rel_l1`` = sum |w - w_ref| / sum |w_ref| per set; ``top_word`` = both put the largest |weight| on the same
    word; with ``bounds`` (job index -> completeness bound), ``words_in_bound`` = the share of sets whose every word
    is within the set's bound of the reference. Completeness bounds the sum of the weights only; this shows how far
    the individual words moved.
    """
    shared = sorted(set(reference) & set(other))
    if not shared:
        return {"n_sets": 0}
    rel, top, within = [], [], []
    for index in shared:
        w_ref, w = np.asarray(reference[index]), np.asarray(other[index])
        rel.append(float(np.abs(w - w_ref).sum() / max(np.abs(w_ref).sum(), 1e-12)))
        top.append(int(np.argmax(np.abs(w))) == int(np.argmax(np.abs(w_ref))))
        if bounds is not None:
            within.append(bool(np.abs(w - w_ref).max(initial=0.0) <= bounds[index]))
    out = {
        "n_sets": len(shared),
        "median_rel_l1": float(np.median(rel)),
        "p90_rel_l1": float(np.quantile(rel, 0.9)),
        "max_rel_l1": float(np.max(rel)),
        "top_word_agreement": float(np.mean(top)),
    }
    if bounds is not None:
        out["words_in_bound"] = float(np.mean(within))
    return out


def error_stats(errors: np.ndarray, differences: np.ndarray, bounds: np.ndarray, min_difference: float) -> dict:
    """Completeness errors: absolute, relative to |f(input) - f(baseline)|, over the bound, and the share within it.

    Relative errors are taken over the sets with |f(input) - f(baseline)| >= ``min_difference`` only: below it the
    bound is the absolute floor and a relative error of a near-zero difference says nothing.
    """
    if not len(errors):
        return {"n_sets": 0}
    absolute = np.abs(errors)
    large = np.abs(differences) >= min_difference
    relative = absolute[large] / np.abs(differences[large])
    return {
        "n_sets": int(len(errors)),
        "within_bound": int(np.sum(absolute <= bounds)),
        "within_bound_share": float(np.mean(absolute <= bounds)),
        "mean_abs_error": float(absolute.mean()),
        "max_abs_error": float(absolute.max()),
        "max_error_over_bound": float(np.max(absolute / bounds)),
        "n_relative": int(large.sum()),
        "mean_rel_error": float(relative.mean()) if len(relative) else None,
        "median_rel_error": float(np.median(relative)) if len(relative) else None,
        "max_rel_error": float(relative.max()) if len(relative) else None,
    }


# ----------------------------------------------------------------------------------------------------------------
# (b) our stage


@dataclass
class StageOptions:
    tolerance: float = 0.01
    absolute_tolerance: float = 1e-4
    token_tolerance: float | None = None
    max_steps: int = 257
    internal_batch_size: int = 64
    seed: int = 0
    budget: int | None = None
    min_delta: float = 0.01


class _PhaseTimer:
    """Times the stage's ``integrate`` call from inside one ``explain_text_pairs`` run and keeps its jobs.

    ``explainers.attributions.text`` imports it by name; it is wrapped there for the duration of the run and restored
    after, so the stage runs its own code unchanged; the jobs give the ceiling the nodes the stage evaluated.
    """

    def __init__(self, runner) -> None:
        self.runner = runner
        self.seconds = 0.0
        self.jobs: list[Job] = []

    def __enter__(self):
        from explainers.attributions import text as stage

        self.stage, self.saved = stage, stage.integrate
        stage.integrate = self._timed
        return self

    def __exit__(self, *exc) -> None:
        self.stage.integrate = self.saved

    def _timed(self, runner, jobs, *args, **kwargs):
        began = time.perf_counter()
        try:
            return self.saved(runner, jobs, *args, **kwargs)
        finally:
            synchronize(self.runner)
            self.seconds += time.perf_counter() - began
            self.jobs = list(jobs)


def run_ours(runner, pairs, lexicon, options: StageOptions, *, faithfulness: bool = False) -> dict:
    """One ``explain_text_pairs`` run with a fresh prediction cache; wall time, IG time, its jobs and the result."""
    from explainers.runners.cache import MemoryPredictionCache

    runner.cache = MemoryPredictionCache()  # span mixes and faithfulness texts are scored afresh every run
    with _PhaseTimer(runner) as phases:
        began = time.perf_counter()
        result = explain_text_pairs(
            runner,
            pairs,
            lexicon=lexicon,
            tolerance=options.tolerance,
            absolute_tolerance=options.absolute_tolerance,
            token_tolerance=options.token_tolerance,
            max_steps=options.max_steps,
            internal_batch_size=options.internal_batch_size,
            n_render=0,
            faithfulness=faithfulness,
            seed=options.seed,
            budget=options.budget,
            min_delta=options.min_delta,
        )
        synchronize(runner)
        seconds = time.perf_counter() - began
    return {
        "seconds": seconds,
        "integrate_s": phases.seconds,
        "other_s": seconds - phases.seconds,
        "jobs": phases.jobs,
        "result": result,
    }


MEMBERS = {"text": "text_attribution", "counterfactual": "counterfactual_attribution", "pair": "pair_attribution"}


def our_sets(result) -> dict[tuple[int, str], object]:
    """(pair index, member) -> AttributionSet of a TextAttributionResult, keyed as :class:`Sets`."""
    out = {}
    for index, record in enumerate(result.pairs):
        for member, name in MEMBERS.items():
            attribution = getattr(record, name)
            if attribution is not None:
                out[index, member] = attribution
    return out


def ours_summary(result, min_difference: float) -> dict:
    sets = list(our_sets(result).values())
    errors = np.array([s.completeness_error for s in sets], dtype=np.float64)
    differences = np.array([s.output - s.baseline_output for s in sets], dtype=np.float64)
    bounds = np.array([s.error_bound for s in sets], dtype=np.float64)
    token_over = [s.token_error / s.token_error_bound for s in sets if s.token_error_bound is not None]
    by_baseline = {}
    for baseline in ("neutral", "counterfactual"):
        chosen = [s for s in sets if s.baseline == baseline]
        steps = [int(s.steps) for s in chosen]
        by_baseline[baseline] = {
            "n_sets": len(chosen),
            "nodes": int(sum(steps)),
            "median_nodes": float(np.median(steps)) if steps else None,
            "max_nodes": max(steps) if steps else None,
        }
    return {
        **error_stats(errors, differences, bounds, min_difference),
        "converged": int(sum(bool(s.converged) for s in sets)),
        "converged_share": float(np.mean([bool(s.converged) for s in sets])) if sets else None,
        "non_converged": len(result.non_converged),
        "max_token_error_over_bound": float(max(token_over)) if token_over else None,
        "rounds": dict(sorted(Counter(len(s.steps_by_round) for s in sets).items())),
        "by_baseline": by_baseline,
        "nodes": int(sum(int(s.steps) for s in sets)),
        "gradient_evaluations": int(result.cost.gradient_evaluations),
        "forward_evaluations": int(result.cost.forward_evaluations),
        "mean_evaluations_per_set": float(result.cost.gradient_evaluations / len(sets)) if sets else None,
    }


# ----------------------------------------------------------------------------------------------------------------
# (c) the ceiling


def stage_rows(jobs: list[Job], pad_id: int) -> list[tuple]:
    """One row (length, ids, baseline ids, alpha) per gradient evaluation of the stage, shared path ends once."""
    rows, ends = [], set()
    for job in jobs:
        for node in sorted(job.path.g):
            if node in (0, GRID):
                key = (tuple(job.baseline_ids if node == 0 else job.ids), tuple(t == pad_id for t in job.ids))
                if key in ends:
                    continue
                ends.add(key)
            rows.append((len(job.ids), job.ids, job.baseline_ids, node / GRID))
    return rows


class Ceiling:
    """Given gradient evaluations as full length-sorted batches of interpolated embeddings, back to back.

    ``rows`` holds one (token length, input ids, baseline ids, alpha) per evaluation; they are sorted by length and
    cut into batches of ``batch`` rows padded to their longest, built before the clock starts. The timed loop is the
    embedding lookup, the interpolation, ``model(inputs_embeds=...)`` and one ``torch.autograd.grad`` per batch.
    """

    def __init__(self, runner, rows: list[tuple], batch: int) -> None:
        rows = sorted(rows, key=lambda row: row[0])
        self.runner, self.evaluations, self.batches, self.padded_tokens = runner, len(rows), [], 0
        for start in range(0, len(rows), int(batch)):
            chunk = rows[start : start + int(batch)]
            longest = chunk[-1][0]
            ids = torch.full((len(chunk), longest), runner.pad_id, dtype=torch.long)
            baseline = torch.full((len(chunk), longest), runner.pad_id, dtype=torch.long)
            mask = torch.zeros((len(chunk), longest), dtype=torch.long)
            for i, (length, row_ids, row_baseline, _) in enumerate(chunk):
                ids[i, :length] = torch.tensor(row_ids)
                baseline[i, :length] = torch.tensor(row_baseline)
                mask[i, :length] = 1
            alpha = torch.tensor([row[3] for row in chunk], dtype=torch.float32).view(-1, 1, 1)
            device = runner.device
            self.batches.append((ids.to(device), baseline.to(device), mask.to(device), alpha.to(device)))
            self.padded_tokens += len(chunk) * longest

    def run(self, limit: int | None = None) -> float:
        model, target = self.runner.model, self.runner.favourable_index
        layer = model.get_input_embeddings()
        began = time.perf_counter()
        for ids, baseline, mask, alpha in self.batches[:limit]:
            with torch.no_grad():
                x, b = layer(ids), layer(baseline)
            scaled = (b + alpha * (x - b)).requires_grad_()
            logits = model(inputs_embeds=scaled, attention_mask=mask).logits
            probabilities = torch.softmax(logits.float(), dim=-1)[:, target]
            torch.autograd.grad(probabilities.sum(), scaled)
        synchronize(self.runner)
        return time.perf_counter() - began


def integrands(runner, jobs: list[Job], rows: list[tuple[int, float]], batch: int):
    """Per-token integrands of (job index, alpha) rows, batched by token length (untimed analyses).

    Yields ``(job index, alpha, integrand over the job's tokens)`` for every row: g_t = (x - b)_t . grad_t f at
    b + alpha (x - b), through ``model(inputs_embeds=...)`` as the ceiling runs it.
    """
    model, target, layer = runner.model, runner.favourable_index, runner.model.get_input_embeddings()
    rows = sorted(rows, key=lambda row: len(jobs[row[0]].ids))
    for start in range(0, len(rows), int(batch)):
        chunk = rows[start : start + int(batch)]
        ids, mask = _padded([jobs[index].ids for index, _ in chunk], runner.pad_id, runner.device)
        baseline, _ = _padded([jobs[index].baseline_ids for index, _ in chunk], runner.pad_id, runner.device)
        alpha = torch.tensor([a for _, a in chunk], dtype=torch.float32, device=runner.device).view(-1, 1, 1)
        with torch.no_grad():
            x, b = layer(ids), layer(baseline)
        scaled = (b + alpha * (x - b)).requires_grad_()
        logits = model(inputs_embeds=scaled, attention_mask=mask).logits
        (gradient,) = torch.autograd.grad(torch.softmax(logits.float(), dim=-1)[:, target].sum(), scaled)
        values = (gradient * (x - b)).sum(dim=-1).detach().double().cpu().numpy()
        for i, (index, a) in enumerate(chunk):
            yield index, a, values[i, : len(jobs[index].ids)]


def reference_attributions(runner, jobs: list[Job], steps: int, batch: int) -> dict[int, np.ndarray]:
    """Token attributions of every set at ``steps`` Gauss-Legendre nodes, batched (untimed): the accuracy yardstick.

    Completeness bounds only the sum of the attributions; this reference shows how far each path's individual
    word weights are from the integral itself.
    """
    nodes, weights = np.polynomial.legendre.leggauss(int(steps))
    weight_of = dict(zip(((nodes + 1) / 2).tolist(), (weights / 2).tolist(), strict=True))
    out = {index: np.zeros(len(job.ids)) for index, job in enumerate(jobs)}
    rows = [(index, alpha) for index in range(len(jobs)) for alpha in weight_of]
    for index, alpha, integrand in integrands(runner, jobs, rows, batch):
        out[index] += weight_of[alpha] * integrand
    return out
