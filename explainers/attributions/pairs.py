"""Which pairs to explain, and what a pair's word attributions say about the finding (design.md §6, §9).

Shared by integrated gradients (``text.py``) and black-box occlusion (``occlusion.py``): both produce word weights
for x and x'; this module turns them into the protected share, protected mass, top words and context differences,
and aggregates them per direction.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace

import numpy as np

from explainers.attributions.faithfulness import Probabilities, evaluate_faithfulness
from explainers.attributions.results import (
    AttributionSet,
    ContextDifference,
    DirectionSummary,
    PairAttribution,
    RenderedExample,
    SpanDecomposition,
    finite,
)
from explainers.attributions.words import PairWords

Progress = Callable[[float, str], None]


def pair_delta(pair: dict) -> float:
    """The probe's Delta = counterfactual_score - score (0 when a score is missing or not finite)."""
    try:
        value = float(pair["counterfactual_score"]) - float(pair["score"])
    except (KeyError, TypeError, ValueError):
        return 0.0
    return value if np.isfinite(value) else 0.0


def pair_flipped(pair: dict) -> bool:
    return (
        "decision" in pair and "counterfactual_decision" in pair and pair["decision"] != pair["counterfactual_decision"]
    )


def select_pairs(pairs: Sequence[dict], budget: int | None) -> list[dict]:
    """The pairs worth explaining: flipped pairs first, then the rest, each by largest |Delta| (design.md §9).

    Pairs with the same (text, counterfactual) are explained once (the first kept); pairs whose texts are not
    strings or are equal are dropped. Ties keep input order. ``budget`` None keeps every pair.

    Raises:
        ValueError: if ``budget`` is negative.
    """
    if budget is not None and int(budget) < 0:
        raise ValueError("budget must be at least 0")
    seen, candidates = set(), []
    for index, pair in enumerate(pairs):
        text, counterfactual = pair.get("text"), pair.get("counterfactual")
        if not isinstance(text, str) or not isinstance(counterfactual, str) or text == counterfactual:
            continue
        if (text, counterfactual) in seen:
            continue
        seen.add((text, counterfactual))
        candidates.append((not pair_flipped(pair), -abs(pair_delta(pair)), index, pair))
    candidates.sort(key=lambda item: item[:3])
    chosen = [item[3] for item in candidates]
    return chosen if budget is None else chosen[: int(budget)]


def pair_record(
    pair: dict,
    words: PairWords,
    *,
    score: float,
    counterfactual_score: float,
    flipped: bool,
    text_set: AttributionSet,
    counterfactual_set: AttributionSet,
    pair_set: AttributionSet | None,
    spans: SpanDecomposition,
    min_delta: float,
    n_context: int = 5,
) -> PairAttribution:
    """One pair's findings from its word attributions (see :class:`PairAttribution` for each formula)."""
    delta = counterfactual_score - score
    weights = np.asarray(text_set.weights, dtype=np.float64)
    cf_weights = np.asarray(counterfactual_set.weights, dtype=np.float64)
    protected = np.asarray(words.protected, dtype=bool)
    cf_protected = np.asarray(words.cf_protected, dtype=bool)
    large = abs(delta) >= min_delta
    share = None
    if pair_set is not None and large:
        share = float(np.asarray(pair_set.weights)[cf_protected].sum()) / delta
    moved = cf_weights.sum() - weights.sum()
    share_neutral = None
    if large and abs(moved) >= min_delta:
        share_neutral = float(cf_weights[cf_protected].sum() - weights[protected].sum()) / moved
    top, top_protected = _top(words.text.words, weights, protected)
    cf_top, cf_top_protected = _top(words.counterfactual.words, cf_weights, cf_protected)
    return PairAttribution(
        source_group=pair.get("source_group"),
        target_group=pair.get("target_group"),
        text=words.text.text,
        counterfactual=words.counterfactual.text,
        score=finite(score),
        counterfactual_score=finite(counterfactual_score),
        delta=finite(delta),
        flipped=bool(flipped),
        aligned=pair_set is not None,
        protected_share=finite(share),
        protected_share_neutral=finite(share_neutral),
        protected_mass=_mass(weights, protected),
        counterfactual_protected_mass=_mass(cf_weights, cf_protected),
        top_word=top,
        top_word_protected=top_protected,
        counterfactual_top_word=cf_top,
        counterfactual_top_word_protected=cf_top_protected,
        context_differences=_context(words, weights, cf_weights, n_context),
        spans=spans,
        text_attribution=text_set,
        counterfactual_attribution=counterfactual_set,
        pair_attribution=pair_set,
    )


def _top(words: tuple[str, ...], weights: np.ndarray, protected: np.ndarray) -> tuple[str | None, bool | None]:
    if not len(words) or not np.any(weights):
        return None, None
    index = int(np.argmax(np.abs(weights)))
    return words[index], bool(protected[index])


def _mass(weights: np.ndarray, protected: np.ndarray) -> float | None:
    total = np.abs(weights).sum()
    return finite(np.abs(weights[protected]).sum() / total) if total > 0 else None


def _context(words: PairWords, weights: np.ndarray, cf_weights: np.ndarray, limit: int) -> tuple:
    """Unchanged, unprotected words ranked by |weight in x' - weight in x| (largest first, nonzero only)."""
    rows = []
    for i, j in words.matches:
        if words.protected[i] or words.cf_protected[j]:
            continue
        difference = cf_weights[j] - weights[i]
        if difference != 0:
            rows.append((-abs(difference), i, j, difference))
    rows.sort()
    return tuple(
        ContextDifference(
            word=words.text.words[i],
            position=int(i),
            text_weight=finite(weights[i]),
            counterfactual_weight=finite(cf_weights[j]),
            difference=finite(difference),
        )
        for _, i, j, difference in rows[: max(int(limit), 0)]
    )


def summarize(records: Sequence[PairAttribution]) -> tuple[DirectionSummary, ...]:
    """One :class:`DirectionSummary` per (source group, target group), in order of first appearance."""
    directions: dict[tuple, list[PairAttribution]] = {}
    for record in records:
        directions.setdefault((record.source_group, record.target_group), []).append(record)
    return tuple(_summary(source, target, group) for (source, target), group in directions.items())


def _summary(source, target, records: list[PairAttribution]) -> DirectionSummary:
    sets = [s for r in records for s in (r.text_attribution, r.counterfactual_attribution, r.pair_attribution) if s]
    errors = [abs(s.completeness_error) for s in sets if s.completeness_error is not None]
    checked = [s for s in sets if s.converged is not None]
    tops = [
        flag
        for r in records
        if r.flipped
        for flag in (r.top_word_protected, r.counterfactual_top_word_protected)
        if flag is not None
    ]
    faith = [
        s.faithfulness
        for r in records
        for s in (r.text_attribution, r.counterfactual_attribution)
        if s.faithfulness is not None and s.faithfulness.faithful is not None
    ]
    return DirectionSummary(
        source_group=source,
        target_group=target,
        n_pairs=len(records),
        n_flipped=sum(r.flipped for r in records),
        mean_delta=_mean(r.delta for r in records),
        mean_protected_share=_mean(r.protected_share for r in records),
        mean_protected_share_neutral=_mean(r.protected_share_neutral for r in records),
        mean_protected_mass=_mean(m for r in records for m in (r.protected_mass, r.counterfactual_protected_mass)),
        flipped_top_protected_rate=_mean(tops),
        mean_abs_completeness_error=_mean(errors),
        max_abs_completeness_error=finite(max(errors)) if errors else None,
        n_sets=len(checked),
        n_converged=sum(bool(s.converged) for s in checked),
        faithful_rate=_mean(f.faithful for f in faith),
        mean_comprehensiveness_gain=_mean(f.comprehensiveness_gain for f in faith),
    )


def _mean(values) -> float | None:
    kept = [float(v) for v in values if v is not None]
    return finite(np.mean(kept)) if kept else None


def render(records: Sequence[PairAttribution], limit: int) -> tuple[RenderedExample, ...]:
    """The first ``limit`` pairs (the selection order puts flipped, large pairs first) as words with weights."""

    def tokens(attribution: AttributionSet) -> tuple:
        rows = zip(attribution.words, attribution.weights, attribution.protected, strict=True)
        return tuple((word, finite(weight) or 0.0, bool(flag)) for word, weight, flag in rows)

    return tuple(
        RenderedExample(
            source_group=r.source_group,
            target_group=r.target_group,
            text=r.text,
            counterfactual=r.counterfactual,
            delta=r.delta,
            flipped=r.flipped,
            protected_share=r.protected_share,
            protected_share_neutral=r.protected_share_neutral,
            text_tokens=tokens(r.text_attribution),
            counterfactual_tokens=tokens(r.counterfactual_attribution),
        )
        for r in records[: max(int(limit), 0)]
    )


def with_faithfulness(
    sets: dict,
    words: Sequence[PairWords],
    probabilities: Probabilities,
    labels: Sequence[str],
    *,
    target: int,
    rng: np.random.Generator,
    n_random: int,
) -> tuple[dict, int]:
    """The x and x' sets of ``sets`` ((pair, member) -> AttributionSet) with their AOPC scores, one model call.

    Returns:
        The updated mapping (sets against the counterfactual baseline unchanged) and the number of texts scored.
    """
    keys = [key for key in sets if key[1] in ("text", "counterfactual")]
    items = []
    for pair, member in keys:
        member_words = words[pair].text if member == "text" else words[pair].counterfactual
        items.append((member_words, np.asarray(sets[pair, member].weights, dtype=np.float64)))
    scores, n_texts = evaluate_faithfulness(items, probabilities, labels, target=target, rng=rng, n_random=n_random)
    updated = dict(sets)
    for key, score in zip(keys, scores, strict=True):
        updated[key] = replace(sets[key], faithfulness=score)
    return updated, n_texts


def report_progress(progress: Progress | None, fraction: float, stage: str) -> None:
    if progress is not None:
        progress(min(max(float(fraction), 0.0), 1.0), stage)
