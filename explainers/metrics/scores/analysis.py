"""Score analyses from a :class:`ScoreHistogram`: per-group ROC AUC, reliability bins, DI / EOD versus threshold.

Every number here is a function of the histogram alone (design.md §9 "count first"), so it costs O(G x n_bins)
whatever the number of rows. Rates and metrics follow design.md §4: SR_g, TPR_g, DI = SR_g / SR_ref and
EOD = TPR_g - TPR_ref, with the decision ``yhat = fav`` when ``score >= threshold``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from explainers.metrics import rates
from explainers.metrics.scores._json import by_group, json_float
from explainers.metrics.scores.histogram import ScoreHistogram

# Fractions of [lo, hi] for the default threshold grid: 0.05, 0.10, ..., 0.95 on probability scores.
DEFAULT_THRESHOLD_FRACTIONS = tuple(k / 20 for k in range(1, 20))


def score_analysis(
    hist: ScoreHistogram,
    *,
    reference_group: str,
    decision_threshold: float = 0.5,
    thresholds: Iterable[float] | None = None,
    calibration_bins: int = 10,
) -> dict[str, Any]:
    """Per-group ROC AUC, reliability bins and the DI / EOD threshold curve of design.md §4, JSON-ready.

    Thresholds are snapped to the nearest bin edge, and the curve reports the edge actually used; on an edge,
    ``bin >= k`` selects exactly the rows with ``score >= threshold``. ``decision_threshold`` is always on the
    curve, so a chart can mark the operating point. Undefined values (empty group, zero reference rate) are None.

    Returns:
        ``{"auc_by_group", "auc_overall", "calibration", "threshold_curve", "group_sizes", "reference_group",
        "decision_threshold", "n_bins", "n_clipped", "resolution_note"}``. ``calibration`` maps each group to its
        non-empty reliability bins ``{"bin_low", "bin_high", "n", "mean_score", "observed_rate"}``; each
        ``threshold_curve`` point maps ``selection_rate``, ``tpr``, ``disparate_impact`` and
        ``equal_opportunity_difference`` to ``{group: value}``.

    Raises:
        ValueError: if ``reference_group`` is not in the histogram, ``calibration_bins`` does not divide
            ``n_bins``, or a threshold lies outside ``[lo, hi]``.
    """
    if reference_group not in hist.groups:
        raise ValueError(f"reference group {reference_group!r} is not in the data; groups: {list(hist.groups)}")
    reference = hist.groups.index(reference_group)
    if thresholds is None:
        thresholds = [hist.lo + (hist.hi - hist.lo) * f for f in DEFAULT_THRESHOLD_FRACTIONS]
    decision_index = _edge_index(hist, decision_threshold)
    indices = sorted({_edge_index(hist, t) for t in thresholds} | {decision_index})

    counts = hist.counts
    return {
        "auc_by_group": {g: _auc(counts[i, 1], counts[i, 0]) for i, g in enumerate(hist.groups)},
        "auc_overall": _auc(counts[:, 1].sum(axis=0), counts[:, 0].sum(axis=0)),
        "calibration": _calibration(hist, calibration_bins),
        "threshold_curve": _threshold_curve(hist, indices, reference),
        "group_sizes": {
            g: {"n": int(counts[i].sum()), "n_favourable": int(counts[i, 1].sum())} for i, g in enumerate(hist.groups)
        },
        "reference_group": reference_group,
        "decision_threshold": float(hist.edges[decision_index]),
        "n_bins": hist.n_bins,
        "n_clipped": hist.n_clipped,
        "resolution_note": (
            f"scores are binned into {hist.n_bins} equal-width bins on [{hist.lo}, {hist.hi}]; "
            "AUC and curves are exact up to that resolution"
        ),
    }


def _edge_index(hist: ScoreHistogram, threshold: float) -> int:
    """Index of the bin edge nearest ``threshold``, with the same arithmetic as the edges themselves."""
    threshold = float(threshold)
    if not hist.lo <= threshold <= hist.hi:  # also refuses NaN
        raise ValueError(f"threshold {threshold!r} lies outside the histogram's range [{hist.lo}, {hist.hi}]")
    return int(np.rint((threshold - hist.lo) / (hist.hi - hist.lo) * hist.n_bins))


def _auc(positive: np.ndarray, negative: np.ndarray) -> float | None:
    """ROC AUC as the Mann-Whitney statistic on binned scores: P(S+ > S-) + 1/2 P(same bin).

    Identical to the trapezoidal ROC area that ``sklearn.metrics.roc_auc_score`` computes with ties, when all
    rows of a bin share one score. None when the group lacks one of the two classes.
    """
    n_positive, n_negative = float(positive.sum()), float(negative.sum())
    if n_positive == 0 or n_negative == 0:
        return None
    positive = positive.astype(np.float64)  # counts <= 2**53 stay exact, and products do not overflow int64
    below = np.cumsum(negative) - negative  # negatives in strictly lower bins
    u_statistic = positive @ below + 0.5 * (positive @ negative)
    return float(u_statistic / (n_positive * n_negative))


def _calibration(hist: ScoreHistogram, calibration_bins: int) -> dict[str, list[dict[str, Any]]]:
    """Reliability bins per group: rows, mean score and observed favourable rate in equal-width score bins.

    Each reliability bin must be a union of whole fine bins, else its counts would be a guess; the mean score
    stands every row at its fine-bin centre, so it is within half a fine bin of the raw mean.
    """
    if int(calibration_bins) != calibration_bins or calibration_bins < 1 or hist.n_bins % calibration_bins:
        raise ValueError(f"calibration_bins ({calibration_bins!r}) must divide n_bins ({hist.n_bins})")
    calibration_bins = int(calibration_bins)
    per_bin = hist.n_bins // calibration_bins
    counts = hist.counts.reshape(len(hist.groups), 2, calibration_bins, per_bin)
    rows = counts.sum(axis=1)  # (G, C, per_bin)
    n = rows.sum(axis=-1)
    favourable = counts[:, 1].sum(axis=-1)
    score_mass = (rows * hist.centres().reshape(calibration_bins, per_bin)).sum(axis=-1)
    edges = hist.edges[::per_bin]

    calibration = {}
    for g, group in enumerate(hist.groups):
        calibration[group] = [
            {
                "bin_low": float(edges[c]),
                "bin_high": float(edges[c + 1]),
                "n": int(n[g, c]),
                "mean_score": float(score_mass[g, c] / n[g, c]),
                "observed_rate": float(favourable[g, c] / n[g, c]),
            }
            for c in range(calibration_bins)
            if n[g, c] > 0  # an empty bin has no rate to plot
        ]
    return calibration


def _threshold_curve(hist: ScoreHistogram, indices: list[int], reference: int) -> list[dict[str, Any]]:
    """SR, TPR, DI and EOD per group at each edge index, through the count-table rates of design.md §4.

    At edge ``k`` the decision is favourable for bins ``>= k``, so the (T, G, 2, 2) table ``cells[t, g, y, yhat]``
    comes from reversed cumulative sums and the same ``rates`` functions as the audit give every threshold.
    """
    counts = hist.counts
    at_or_above = np.cumsum(counts[..., ::-1], axis=-1)[..., ::-1]
    at_or_above = np.concatenate([at_or_above, np.zeros(counts.shape[:2] + (1,), dtype=np.int64)], axis=-1)
    selected = np.moveaxis(at_or_above[..., indices], -1, 0)  # (T, G, 2): rows with yhat = fav
    cells = np.stack([counts.sum(axis=-1) - selected, selected], axis=-1)

    selection = rates.selection_rate(cells)
    tpr = rates.true_positive_rate(cells)
    disparate_impact = rates.safe_divide(selection, selection[:, [reference]])
    equal_opportunity = tpr - tpr[:, [reference]]

    groups = hist.groups
    return [
        {
            "threshold": json_float(hist.edges[k]),
            "selection_rate": by_group(groups, selection[t]),
            "tpr": by_group(groups, tpr[t]),
            "disparate_impact": by_group(groups, disparate_impact[t]),
            "equal_opportunity_difference": by_group(groups, equal_opportunity[t]),
        }
        for t, k in enumerate(indices)
    ]
