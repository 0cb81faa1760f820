"""Integrated gradients of text classifier pairs on the embedding layer, with adaptive steps (design.md §6, §9).

Typical use::

    chosen = select_pairs(probe_result.examples, budget=50)
    result = explain_text_pairs(runner, chosen, lexicon=load_lexicon("gender"))
    result.summaries, result.rendered, result.non_converged

f is the softmax probability of the target class (the favourable one by default, as in the probe). Each pair gets
up to three attribution sets, all with Captum's ``LayerIntegratedGradients`` on ``model.get_input_embeddings()``:

* x against the neutral baseline and x' against the neutral baseline: every token is replaced by the pad token
  except special tokens ([CLS], [SEP]), which are kept, with the input's attention mask;
* x' against x ("counterfactual" baseline), when both tokenize to the same length: only the substituted positions
  differ, and the attributions sum to f(x') - f(x), the probe's Delta. When the lengths differ (a name that splits
  into more subwords than its counterpart) there is no position-wise baseline; the pair is marked unaligned and
  its protected share comes from the two neutral sets only (``PairAttribution.protected_share_neutral``).

Completeness (design.md §6): error = sum(attr) - (f(input) - f(baseline)), with f(baseline) computed exactly as
IG's path starts (the input's ids and mask, the baseline's word embeddings). A set converges when |error| <=
max(tolerance * |f(input) - f(baseline)|, absolute_tolerance); the floor keeps a near-zero difference from asking
for precision float32 gradients cannot give. All sets run at the first step count, batched across examples
(length-sorted groups, Captum's ``internal_batch_size`` rows per pass); those outside the bound run again at the
next count, and so on; sets that never get there are listed in ``non_converged``. IG runs in float32 without
autocast: half-precision gradients would not reach a 1% completeness bound.
"""

from __future__ import annotations

import importlib.metadata
import time
from collections.abc import Sequence

import numpy as np

from explainers.attributions.integrated import INTEGRATION, Job, endpoints, integrate, make_jobs
from explainers.attributions.pairs import (
    Progress,
    pair_record,
    render,
    report_progress,
    select_pairs,
    summarize,
    with_faithfulness,
)
from explainers.attributions.results import AttributionCost, AttributionSet, TextAttributionResult, finite
from explainers.attributions.spans import MAX_SPANS, span_decomposition, span_mix_texts
from explainers.attributions.words import PairWords, pair_words, word_weights
from explainers.lexicons import Lexicon
from explainers.probes.counterfactual import stream_rng

STEPS = (16, 32, 64, 128, 256)
_RANDOM_STREAM = 7  # stream_rng stream of the random rankings of the faithfulness check


def explain_text_pairs(
    runner,
    pairs: Sequence[dict],
    *,
    lexicon: Lexicon | None = None,
    target: int | None = None,
    tolerance: float = 0.01,
    absolute_tolerance: float = 1e-4,
    steps: Sequence[int] = STEPS,
    internal_batch_size: int = 64,
    n_render: int = 3,
    faithfulness: bool = True,
    n_random: int = 3,
    seed: int = 0,
    budget: int | None = None,
    min_delta: float = 0.01,
    max_spans: int = MAX_SPANS,
    progress: Progress | None = None,
) -> TextAttributionResult:
    """Integrated-gradients attributions of counterfactual pairs of a ``TextClassifierRunner``.

    Args:
        runner: a ``TextClassifierRunner`` (uses ``model``, ``tokenizer``, ``device``, ``labels``,
            ``favourable_index``, ``max_length``, ``pad_id`` and ``probabilities``).
        pairs: dicts with "text" and "counterfactual" (the probe's ``examples``; "source_group"/"target_group"
            are carried over). They are explained in :func:`select_pairs` order; ``budget`` caps their number.
        lexicon: marks every term of its groups as protected, besides the substituted words.
        target: class index of f; default the runner's favourable class.
        tolerance, absolute_tolerance, steps: the completeness bound and the step counts tried in order.
        internal_batch_size: sequences per forward/backward pass (Captum's ``internal_batch_size``).
        n_render: pairs rendered as words with weights for the report.
        faithfulness, n_random: AOPC of every neutral set against ``n_random`` seeded random rankings.
        min_delta: |Delta| below which protected shares are None (a share of nothing is noise).
        max_spans: more substituted spans than this skip the exact Shapley decomposition (2^k evaluations).
        progress: called with (fraction done, stage) per example.

    Raises:
        ValueError: on empty or non-increasing ``steps``, a non-positive tolerance or batch size, an out-of-range
            target, or a tokenizer without character offsets (a "fast" tokenizer is needed to map tokens to words).
    """
    began = time.perf_counter()
    schedule = _check(runner, steps, tolerance, internal_batch_size)
    target = runner.favourable_index if target is None else int(target)
    if not 0 <= target < len(runner.labels):
        raise ValueError(f"target {target} is not a class index of the model {list(runner.labels)}")
    chosen = select_pairs(pairs, budget)
    words = [pair_words(p["text"], p["counterfactual"], lexicon) for p in chosen]
    jobs, aligned = make_jobs(runner, words)
    report_progress(progress, 0.0, "integrated gradients: model outputs at the path ends")
    probabilities = endpoints(runner, jobs, target)
    for job in jobs:
        job.bound = max(float(tolerance) * abs(job.output - job.baseline_output), float(absolute_tolerance))
    gradient_evaluations = integrate(runner, jobs, schedule, target, internal_batch_size, progress)
    sets = {(job.pair, job.member): _attribution_set(job, words[job.pair]) for job in jobs}

    report_progress(progress, 0.85, "faithfulness and span decomposition")
    faith_texts = 0
    if faithfulness and sets:
        rng = stream_rng(seed, _RANDOM_STREAM)
        sets, faith_texts = with_faithfulness(
            sets, words, runner.probabilities, runner.labels, target=target, rng=rng, n_random=n_random
        )
    records, span_texts = _records(runner, chosen, words, sets, probabilities, target, min_delta, max_spans, progress)
    non_converged = tuple(_unconverged(job) for job in jobs if not job.converged)
    cost = AttributionCost(
        gradient_evaluations=gradient_evaluations,
        forward_evaluations=2 * len(jobs) + span_texts + faith_texts,
        texts_scored=span_texts + faith_texts,
        model_calls=int(bool(span_texts)) + int(bool(faith_texts)),
        seconds=time.perf_counter() - began,
    )
    return TextAttributionResult(
        method="integrated_gradients",
        implementation="captum.attr.LayerIntegratedGradients on model.get_input_embeddings()",
        library_version=importlib.metadata.version("captum"),
        target=target,
        target_label=str(runner.labels[target]),
        integration_method=INTEGRATION,
        steps_schedule=schedule,
        tolerance=float(tolerance),
        absolute_tolerance=float(absolute_tolerance),
        internal_batch_size=int(internal_batch_size),
        baselines=("neutral", "counterfactual"),
        neutral_baseline=_neutral_description(runner),
        min_delta=float(min_delta),
        seed=int(seed),
        n_candidates=len(pairs),
        n_pairs=len(chosen),
        pairs=tuple(records),
        summaries=summarize(records),
        rendered=render(records, n_render),
        non_converged=non_converged,
        all_converged=not non_converged,
        cost=cost,
        notes=_notes(records, aligned, non_converged, schedule),
    )


def _records(runner, chosen, words, sets, probabilities, target, min_delta, max_spans, progress):
    """PairAttribution per pair, with the span mixes of every pair scored in one runner call."""
    mixes = [span_mix_texts(w, max_spans) for w in words]
    flat = [text for texts in mixes for text in texts]
    scores = runner.probabilities(flat)[:, target] if flat else np.empty(0)
    records, offset = [], 0
    for index, (pair, pair_words_) in enumerate(zip(chosen, words, strict=True)):
        outputs = scores[offset : offset + len(mixes[index])] if mixes[index] else None
        offset += len(mixes[index])
        text_probabilities, cf_probabilities = probabilities[index]
        records.append(
            pair_record(
                pair,
                pair_words_,
                score=float(text_probabilities[target]),
                counterfactual_score=float(cf_probabilities[target]),
                flipped=_decision(runner, text_probabilities) != _decision(runner, cf_probabilities),
                text_set=sets[index, "text"],
                counterfactual_set=sets[index, "counterfactual"],
                pair_set=sets.get((index, "pair")),
                spans=span_decomposition(pair_words_, outputs, max_spans),
                min_delta=float(min_delta),
            )
        )
        report_progress(progress, 0.9 + 0.1 * (index + 1) / len(chosen), f"pair {index + 1}/{len(chosen)} recorded")
    return records, len(flat)


def _unconverged(job: Job) -> dict:
    """``pair`` indexes ``result.pairs``; ``member`` is "text" (x), "counterfactual" (x') or "pair" (x' vs x)."""
    return {
        "pair": job.pair,
        "member": job.member,
        "baseline": job.baseline,
        "steps": job.steps,
        "completeness_error": finite(job.error),
        "bound": finite(job.bound),
    }


def _neutral_description(runner) -> str:
    token = runner.tokenizer.convert_ids_to_tokens(runner.pad_id)
    return (
        f"{token} (id {runner.pad_id}) at every non-special position, special tokens kept, the input's attention mask"
    )


def _check(runner, steps, tolerance, internal_batch_size) -> tuple[int, ...]:
    schedule = tuple(int(s) for s in steps)
    if (
        not schedule
        or any(s < 1 for s in schedule)
        or any(b <= a for a, b in zip(schedule, schedule[1:], strict=False))
    ):
        raise ValueError("steps must be a non-empty increasing sequence of positive step counts")
    if not float(tolerance) > 0 or int(internal_batch_size) < 1:
        raise ValueError("tolerance must be positive and internal_batch_size at least 1")
    if not getattr(runner.tokenizer, "is_fast", False):
        raise ValueError("integrated gradients needs a fast tokenizer: its character offsets map tokens to words")
    return schedule


def _attribution_set(job: Job, words: PairWords) -> AttributionSet:
    member = words.counterfactual if job.member != "text" else words.text
    protected = words.cf_protected if job.member != "text" else words.protected
    weights = word_weights(job.tokens, job.owners, len(member))
    return AttributionSet(
        text=member.text,
        baseline=job.baseline,
        words=member.words,
        weights=tuple(finite(w) or 0.0 for w in weights),
        protected=tuple(protected),
        output=finite(job.output),
        baseline_output=finite(job.baseline_output),
        total=finite(job.tokens.sum()),
        completeness_error=finite(job.error),
        error_bound=finite(job.bound),
        steps=job.steps,
        steps_tried=tuple(job.steps_tried),
        converged=bool(job.converged),
        faithfulness=None,
    )


def _decision(runner, probabilities: np.ndarray) -> bool:
    return int(np.argmax(probabilities)) == runner.favourable_index


def _notes(records, aligned: list[bool], non_converged: tuple, schedule: tuple[int, ...]) -> tuple[str, ...]:
    notes = []
    unaligned = aligned.count(False)
    if unaligned:
        notes.append(
            f"{unaligned} pair(s) tokenize to different lengths, so x cannot be the baseline of x' (aligned false, "
            "no counterfactual-baseline set); their protected share comes from the neutral-baseline sets only."
        )
    if non_converged:
        notes.append(
            f"{len(non_converged)} attribution set(s) did not reach the completeness bound within {schedule[-1]} "
            "steps; their error is reported with the attributions."
        )
    skipped = sum(record.spans.status == "skipped" for record in records)
    if skipped:
        notes.append(f"{skipped} pair(s) have more substituted spans than the exact span decomposition allows.")
    unfaithful = sum(
        1
        for record in records
        for s in (record.text_attribution, record.counterfactual_attribution)
        if s.faithfulness is not None and s.faithfulness.faithful is False
    )
    if unfaithful:
        notes.append(f"{unfaithful} attribution set(s) are not more comprehensive than a random ranking of words.")
    return tuple(notes)
