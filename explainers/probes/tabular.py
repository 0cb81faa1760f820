"""Tabular counterfactual probe: causal discrimination rate, per-pair Delta and proxies (design.md §5).

Typical use::

    runner = TabularRunner(pipeline, favourable_class=">50K")
    result = tabular_counterfactual_probe(runner, frame, column="sex")
    result.causal_discrimination_rate, result.verdict, result.pairs, result.proxies
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from explainers.audit_settings import DEFAULT_ALPHA, PROBE_DEFAULTS
from explainers.metrics.bootstrap import percentile_interval
from explainers.metrics.verdicts import Verdict
from explainers.probes.counterfactual import (
    SAMPLE_STREAM,
    counterfactual_frame,
    group_codes,
    probe_groups,
    sample_rows,
    stream_rng,
)
from explainers.probes.paired import bootstrap_sums, wilcoxon_p
from explainers.probes.proxies import ProxyFeature, proxy_features
from explainers.runners.tabular import TabularRunner

__all__ = ["PairResult", "ProxyFeature", "TabularProbeResult", "sample_rows", "tabular_counterfactual_probe"]

# Random streams of one seed (stream_rng): the bootstrap never shifts the row sample, and vice versa.
_BOOTSTRAP_STREAM = SAMPLE_STREAM + 1


@dataclass(frozen=True)
class PairResult:
    """Rows of ``source_group`` with the protected value set to ``target_group``, all else fixed (design.md §5).

    Flip rate: share of those rows whose decision changes. Delta = score(x') - score(x). Intervals are
    percentile intervals of a bootstrap over the probed rows; ``wilcoxon_p`` is the two-sided signed-rank test of
    the paired Deltas (None with fewer than 10 rows or when every Delta is zero).
    """

    source_group: str
    target_group: str
    n: int
    flip_rate: float
    flip_ci_low: float
    flip_ci_high: float
    mean_delta: float
    delta_ci_low: float
    delta_ci_high: float
    mean_abs_delta: float
    wilcoxon_p: float | None


@dataclass(frozen=True)
class TabularProbeResult:
    """Causal discrimination of one protected attribute (design.md §5 "Tabular probe").

    ``causal_discrimination_rate`` is the share of probed rows whose decision changes for at least one other
    group value. Verdict: pass if the whole interval is at or below ``threshold``, fail if wholly above it,
    else inconclusive. ``n_rows`` counts the rows of the frame given, ``rows_sampled`` those probed (missing
    or out-of-``groups`` protected values dropped, then a seeded sample of at most ``max_rows``).
    When ``protected_is_feature`` is False the model never sees the column, the rate is 0 by construction,
    and ``proxies`` tell whether the attribute reaches the model another way. ``examples`` hold scores and
    decisions only, never feature values (design.md §8); their ``row`` is the position among the probed rows,
    ``sample_rows(...)[row]`` its position in the frame given.
    """

    attribute: str
    column: str
    n_rows: int
    groups: tuple[str, ...]
    causal_discrimination_rate: float
    cdr_ci_low: float
    cdr_ci_high: float
    threshold: float
    verdict: Verdict
    pairs: tuple[PairResult, ...]
    proxies: tuple[ProxyFeature, ...]
    examples: tuple[dict, ...]
    rows_sampled: int
    seed: int
    n_boot: int
    alpha: float
    protected_is_feature: bool


def tabular_counterfactual_probe(
    runner: TabularRunner,
    frame: pd.DataFrame,
    *,
    column: str,
    attribute: str | None = None,
    groups: list[str] | None = None,
    max_rows: int = PROBE_DEFAULTS.max_rows,
    n_boot: int = 1000,
    seed: int = 0,
    alpha: float = DEFAULT_ALPHA,
    threshold: float = PROBE_DEFAULTS.threshold,
    n_examples: int = PROBE_DEFAULTS.n_examples,
    proxy_top_k: int = 5,
    include_examples: bool = True,
    pairs_sink=None,
) -> TabularProbeResult:
    """Set the protected ``column`` of every probed row to every other group value and measure what moves.

    All counterfactual copies go to the runner as one frame (rows x groups), so the model is called in as few
    batches as the runner's ``batch_size`` allows (design.md §9). When the column is not a model input the
    copies are identical inputs, so the rows are predicted once and the result reused.

    Args:
        groups: group labels (compared as ``str``); default the distinct non-missing values of the column.
            A label is written back in the column's dtype (e.g. "1" becomes the integer 1).
        attribute: name reported for the attribute; default ``column``.
        pairs_sink: optional callable given one DataFrame with every (row, target group) counterfactual: the
            row's position, its own group, the target group, both scores and decisions, Delta. Row-level content
            including each row's protected group: callers pass it only when the plan allows example pairs.

    Raises:
        ValueError: on a missing column, fewer than two groups, no row to probe, a label the column's dtype
            cannot hold, or out-of-range settings.
    """
    _check_settings(max_rows=max_rows, n_boot=n_boot, alpha=alpha, threshold=threshold)
    labels = probe_groups(frame, column, groups)
    positions = sample_rows(frame, column=column, groups=labels, max_rows=max_rows, seed=seed)
    sample = frame.iloc[positions].reset_index(drop=True)
    own = group_codes(sample[column], labels)
    n = len(sample)

    features = runner.feature_columns
    is_feature = features is None or column in features
    if is_feature:
        inputs = sample if features is None else sample[list(dict.fromkeys([*features, column]))]
        decisions, scores = runner.predict(counterfactual_frame(inputs, frame[column], column, labels))
        decisions, scores = decisions.reshape(len(labels), n), scores.reshape(len(labels), n)
    else:
        once = runner.predict(sample)
        decisions, scores = (np.broadcast_to(values, (len(labels), n)) for values in once)

    rows = np.arange(n)
    base_decision, base_score = decisions[own, rows], scores[own, rows]
    flips = decisions != base_decision  # (G, n); False on each row's own group by construction
    deltas = scores - base_score

    cdr = flips.any(axis=0)
    if pairs_sink is not None:
        pairs_sink(_pair_table(positions, own, labels, flips, deltas, decisions, scores))
    present = [g for g in range(len(labels)) if (own == g).any()]
    pairs = [(source, target) for source in present for target in range(len(labels)) if target != source]
    cdr_reps, flip_reps, delta_reps = _bootstrap(cdr, flips, deltas, own, pairs, n_boot, seed)
    cdr_low, cdr_high = (float(bound) for bound in percentile_interval(cdr_reps, alpha))
    candidates = [name for name in (features if features is not None else sample.columns) if name != column]
    proxies = proxy_features(sample, own, candidates)[: max(proxy_top_k, 0)]
    examples = _examples(flips, deltas, decisions, scores, own, labels, n_examples) if include_examples else ()
    intervals = percentile_interval(flip_reps, alpha), percentile_interval(delta_reps, alpha)
    pair_results = _pair_results(flips, deltas, own, labels, pairs, *intervals)
    return TabularProbeResult(
        attribute=attribute or column,
        column=column,
        n_rows=len(frame),
        groups=labels,
        causal_discrimination_rate=float(cdr.mean()),
        cdr_ci_low=cdr_low,
        cdr_ci_high=cdr_high,
        threshold=float(threshold),
        verdict=_verdict(cdr_low, cdr_high, threshold),
        pairs=pair_results,
        proxies=tuple(proxies),
        examples=examples,
        rows_sampled=n,
        seed=seed,
        n_boot=n_boot,
        alpha=alpha,
        protected_is_feature=is_feature,
    )


def _bootstrap(
    cdr: np.ndarray,
    flips: np.ndarray,
    deltas: np.ndarray,
    own: np.ndarray,
    pairs: list[tuple[int, int]],
    n_boot: int,
    seed: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Replicates of the CDR ``(B,)`` and of each pair's flip rate and mean Delta ``(B, P)``.

    One resample of all probed rows per replicate serves every statistic, so the CDR and every pair are judged
    on the same rows. A pair's statistic is its sum over the resampled source rows divided by their number,
    which varies across replicates as it does when rows are resampled; a replicate that draws no row of a group
    leaves that group's statistics NaN, and the percentile interval skips it.
    """
    sources = sorted({source for source, _ in pairs})
    member = own[:, None] == np.asarray(sources, dtype=np.int64)[None, :]  # (N, S)
    pair_member = member[:, [sources.index(source) for source, _ in pairs]]  # (N, P)
    targets = [target for _, target in pairs]
    columns = [cdr[:, None], member, flips[targets].T & pair_member, deltas[targets].T * pair_member]
    sums = bootstrap_sums(np.hstack(columns), n_boot, stream_rng(seed, _BOOTSTRAP_STREAM))
    n_sources, n_pairs = len(sources), len(pairs)
    sizes = sums[:, 1 : 1 + n_sources][:, [sources.index(source) for source, _ in pairs]]
    with np.errstate(invalid="ignore", divide="ignore"):
        flip_reps = sums[:, 1 + n_sources : 1 + n_sources + n_pairs] / sizes
        delta_reps = sums[:, 1 + n_sources + n_pairs :] / sizes
    return sums[:, 0] / cdr.size, flip_reps, delta_reps


def _pair_results(
    flips: np.ndarray,
    deltas: np.ndarray,
    own: np.ndarray,
    labels: tuple[str, ...],
    pairs: list[tuple[int, int]],
    flip_interval: tuple[np.ndarray, np.ndarray],
    delta_interval: tuple[np.ndarray, np.ndarray],
) -> tuple[PairResult, ...]:
    """One PairResult per (source, target) index pair, sorted by label."""
    results = []
    for j, (source, target) in enumerate(pairs):
        members = own == source
        delta = deltas[target, members]
        results.append(
            PairResult(
                source_group=labels[source],
                target_group=labels[target],
                n=int(members.sum()),
                flip_rate=float(flips[target, members].mean()),
                flip_ci_low=float(flip_interval[0][j]),
                flip_ci_high=float(flip_interval[1][j]),
                mean_delta=float(delta.mean()),
                delta_ci_low=float(delta_interval[0][j]),
                delta_ci_high=float(delta_interval[1][j]),
                mean_abs_delta=float(np.abs(delta).mean()),
                wilcoxon_p=wilcoxon_p(delta),
            )
        )
    return tuple(sorted(results, key=lambda pair: (pair.source_group, pair.target_group)))


def _examples(
    flips: np.ndarray,
    deltas: np.ndarray,
    decisions: np.ndarray,
    scores: np.ndarray,
    own: np.ndarray,
    labels: tuple[str, ...],
    limit: int,
) -> tuple[dict, ...]:
    """Up to ``limit`` flipped pairs with the largest |Delta| (ties by row, then target).

    Scores and decisions only: a row's other feature values would identify a person (design.md §8).
    """
    targets, rows = np.nonzero(flips)
    if rows.size == 0 or limit <= 0:
        return ()
    order = np.lexsort((targets, rows, -np.abs(deltas[targets, rows])))[:limit]
    examples = []
    for t, i in zip(targets[order], rows[order], strict=True):
        examples.append(
            {
                "row": int(i),
                "source_group": labels[own[i]],
                "target_group": labels[t],
                "score": float(scores[own[i], i]),
                "counterfactual_score": float(scores[t, i]),
                "decision": bool(decisions[own[i], i]),
                "counterfactual_decision": bool(decisions[t, i]),
            }
        )
    return tuple(examples)


def _verdict(ci_low: float, ci_high: float, threshold: float) -> Verdict:
    """design.md §5: the rate is acceptable only if its whole interval is at or below the threshold."""
    if ci_high <= threshold:
        return Verdict.PASS
    if ci_low > threshold:
        return Verdict.FAIL
    return Verdict.INCONCLUSIVE


def _check_settings(*, max_rows: int, n_boot: int, alpha: float, threshold: float) -> None:
    if int(max_rows) < 1:
        raise ValueError("max_rows must be at least 1")
    if int(n_boot) < 1:
        raise ValueError("n_boot must be at least 1")
    if not 0 < alpha < 1:
        raise ValueError("alpha must lie strictly between 0 and 1")
    if not 0 <= threshold <= 1:
        raise ValueError("threshold must lie between 0 and 1")


def _pair_table(positions, own, labels, flips, deltas, decisions, scores) -> pd.DataFrame:
    """Every (row, other group) counterfactual of the probe, one row each (the per-pair artifact)."""
    groups, rows = np.nonzero(np.arange(len(labels))[:, None] != own[None, :])
    return pd.DataFrame(
        {
            "row": np.asarray(positions)[rows].astype(np.int64),
            "source_group": [str(labels[own[r]]) for r in rows],
            "target_group": [str(labels[g]) for g in groups],
            "score": scores[own[rows], rows],
            "counterfactual_score": scores[groups, rows],
            "delta": deltas[groups, rows],
            "decision": decisions[own[rows], rows],
            "counterfactual_decision": decisions[groups, rows],
            "flipped": flips[groups, rows],
        }
    )
