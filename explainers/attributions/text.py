"""Integrated gradients of text classifier pairs on the embedding layer, with adaptive nodes (design.md §6, §9).

Typical use::

    chosen = select_pairs(probe_result.examples, budget=50)
    result = explain_text_pairs(runner, chosen, lexicon=load_lexicon("gender"))
    result.summaries, result.rendered, result.non_converged

f is the softmax probability of the target class (the favourable one by default, as in the probe). Each pair gets
up to three attribution sets, all integrated gradients on the output of ``model.get_input_embeddings()`` (what
Captum's ``LayerIntegratedGradients`` computes; ``integrated.py`` says how and why it is not called):

* x against the neutral baseline and x' against the neutral baseline: every token is replaced by the pad token
  except special tokens ([CLS], [SEP]), which are kept, with the input's attention mask;
* x' against x ("counterfactual" baseline), when both tokenize to the same length: only the substituted positions
  differ, and the attributions sum to f(x') - f(x), the probe's Delta. When the lengths differ (a name that splits
  into more subwords than its counterpart) there is no position-wise baseline; the pair is marked unaligned and
  its protected share comes from the two neutral sets only (``PairAttribution.protected_share_neutral``).

Completeness (design.md §6): error = sum(attr) - (f(input) - f(baseline)), with f at both ends of the path from
the same passes as the gradients (the input's ids and mask, the baseline's word embeddings at alpha 0). A set
converges when |error| <= max(tolerance * |f(input) - f(baseline)|, absolute_tolerance) *and* the estimated sum
over tokens of |integration error| is within the same bound (``token_tolerance``): completeness alone bounds only
the sum, in which the errors of single words can cancel. The floor keeps a near-zero difference from asking for
precision float32 gradients cannot give. Path nodes are added where the error is (``quadrature.py``), batched
across all sets; sets that never get there within ``max_steps`` nodes are listed in ``non_converged``. IG runs in
float32 without autocast: half-precision gradients would not reach a 1% completeness bound.
"""

from __future__ import annotations

import importlib.metadata
import time
from collections.abc import Sequence

import numpy as np

from explainers.attributions.integrated import INTEGRATION, Job, integrate, make_jobs
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

MAX_STEPS = 257  # nodes per path at most: 64 units of five nodes, far past what a set needs here (about 34)
_RANDOM_STREAM = 7  # stream_rng stream of the random rankings of the faithfulness check


def explain_text_pairs(
    runner,
    pairs: Sequence[dict],
    *,
    lexicon: Lexicon | None = None,
    target: int | None = None,
    tolerance: float = 0.01,
    absolute_tolerance: float = 1e-4,
    token_tolerance: float | None = None,
    max_steps: int = MAX_STEPS,
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
        tolerance, absolute_tolerance: the completeness bound, max(tolerance * |f(input) - f(baseline)|,
            absolute_tolerance).
        token_tolerance: the same for the estimated sum over tokens of |integration error| (default
            ``tolerance``; ``math.inf`` checks completeness alone, which lets token errors cancel).
        max_steps: path nodes per attribution set at most (gradient evaluations; at least 5).
        internal_batch_size: sequences per forward/backward pass, across sets and nodes.
        n_render: pairs rendered as words with weights for the report.
        faithfulness, n_random: AOPC of every neutral set against ``n_random`` seeded random rankings.
        min_delta: |Delta| below which protected shares are None (a share of nothing is noise).
        max_spans: more substituted spans than this skip the exact Shapley decomposition (2^k evaluations).
        progress: called with (fraction done, stage) per example.

    Raises:
        ValueError: on ``max_steps`` below 5, a non-positive tolerance or batch size, an out-of-range target, or a
            tokenizer without character offsets (a "fast" tokenizer is needed to map tokens to words).
    """
    began = time.perf_counter()
    _check(runner, max_steps, tolerance, token_tolerance, internal_batch_size)
    target = runner.favourable_index if target is None else int(target)
    if not 0 <= target < len(runner.labels):
        raise ValueError(f"target {target} is not a class index of the model {list(runner.labels)}")
    chosen = select_pairs(pairs, budget)
    words = [pair_words(p["text"], p["counterfactual"], lexicon) for p in chosen]
    jobs, aligned = make_jobs(runner, words)
    report_progress(progress, 0.0, "integrated gradients")
    gradient_evaluations = integrate(
        runner,
        jobs,
        target,
        tolerance=tolerance,
        absolute_tolerance=absolute_tolerance,
        token_tolerance=token_tolerance,
        max_steps=int(max_steps),
        batch_size=int(internal_batch_size),
        progress=progress,
    )
    neutral = {(job.pair, job.member): job.probabilities for job in jobs if job.baseline == "neutral"}
    probabilities = {index: (neutral[index, "text"], neutral[index, "counterfactual"]) for index in range(len(words))}
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
        forward_evaluations=span_texts + faith_texts,
        texts_scored=span_texts + faith_texts,
        model_calls=int(bool(span_texts)) + int(bool(faith_texts)),
        seconds=time.perf_counter() - began,
    )
    return TextAttributionResult(
        method="integrated_gradients",
        implementation=(
            "integrated gradients on the output of model.get_input_embeddings() (as captum.attr."
            "LayerIntegratedGradients), nodes chosen per set and batched across sets"
        ),
        library_version=f"torch {importlib.metadata.version('torch')}",
        target=target,
        target_label=str(runner.labels[target]),
        integration_method=INTEGRATION,
        max_steps=int(max_steps),
        tolerance=float(tolerance),
        absolute_tolerance=float(absolute_tolerance),
        token_tolerance=finite(float(tolerance if token_tolerance is None else token_tolerance)),  # inf: None
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
        notes=_notes(records, aligned, non_converged, int(max_steps)),
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
        "token_error": finite(job.path.token_error),
        "token_bound": finite(job.token_bound),
    }


def _neutral_description(runner) -> str:
    token = runner.tokenizer.convert_ids_to_tokens(runner.pad_id)
    return (
        f"{token} (id {runner.pad_id}) at every non-special position, special tokens kept, the input's attention mask"
    )


def _check(runner, max_steps, tolerance, token_tolerance, internal_batch_size) -> None:
    if int(max_steps) < 5:
        raise ValueError(f"max_steps must be at least 5 (one unit of five path nodes), got {max_steps}")
    if not float(tolerance) > 0 or (token_tolerance is not None and not float(token_tolerance) > 0):
        raise ValueError("tolerance and token_tolerance must be positive")
    if int(internal_batch_size) < 1:
        raise ValueError("internal_batch_size must be at least 1")
    if not getattr(runner.tokenizer, "is_fast", False):
        raise ValueError("integrated gradients needs a fast tokenizer: its character offsets map tokens to words")


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
        token_error=finite(job.path.token_error),
        token_error_bound=finite(job.token_bound),
        steps=job.steps,
        steps_by_round=tuple(job.path.points_by_round),
        converged=bool(job.converged),
        faithfulness=None,
    )


def _decision(runner, probabilities: np.ndarray) -> bool:
    return int(np.argmax(probabilities)) == runner.favourable_index


def _notes(records, aligned: list[bool], non_converged: tuple, max_steps: int) -> tuple[str, ...]:
    notes = []
    unaligned = aligned.count(False)
    if unaligned:
        notes.append(
            f"{unaligned} pair(s) tokenize to different lengths, so x cannot be the baseline of x' (aligned false, "
            "no counterfactual-baseline set); their protected share comes from the neutral-baseline sets only."
        )
    if non_converged:
        notes.append(
            f"{len(non_converged)} attribution set(s) did not reach the completeness or token bound within "
            f"{max_steps} path points; their errors are reported with the attributions."
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
