"""Group statistics of a continuous score as weighted sums over rows sorted once by score.

With weight 1 per row these are the plain statistics; with a bootstrap replicate's Multinomial(N, 1/N) counts
(explainers.metrics.judging.resampling_weights) they are the statistics of the resampled rows, computed in O(N)
without re-sorting. Rows without a group (code -1) count in the overall median and error, in no group.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class SortedRows:
    """Rows sorted by score: scores, group codes (-1: no group), errors (score - outcome) or None."""

    scores: np.ndarray
    codes: np.ndarray
    errors: np.ndarray | None
    n_groups: int
    higher_is_favourable: bool = True

    @classmethod
    def build(cls, scores, codes, outcomes=None, *, n_groups: int, higher_is_favourable: bool = True) -> SortedRows:
        scores = np.asarray(scores, dtype=np.float64)
        order = np.argsort(scores, kind="stable")
        errors = None if outcomes is None else (scores - np.asarray(outcomes, dtype=np.float64))[order]
        return cls(scores[order], np.asarray(codes, dtype=np.int64)[order], errors, n_groups, higher_is_favourable)

    @property
    def onehot(self) -> np.ndarray:
        return (self.codes[:, None] == np.arange(self.n_groups)[None, :]).astype(np.float64)

    @property
    def block_ends(self) -> np.ndarray:
        """Positions that end a run of tied scores: where an empirical CDF takes its value at a distinct score."""
        ends = np.ones(self.scores.size, dtype=bool)
        ends[:-1] = self.scores[1:] != self.scores[:-1]
        return ends


def weighted_median(scores: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """np.median of each replicate's multiset (weights are whole counts summing to N), shape (b,)."""
    cumulative = np.cumsum(weights, axis=1)
    total = int(round(cumulative[0, -1]))

    def at(position: int) -> np.ndarray:  # the value at a 0-based position of the sorted multiset
        return scores[np.argmax(cumulative > position, axis=1)]

    if total % 2:
        return at((total - 1) // 2)
    return (at(total // 2 - 1) + at(total // 2)) / 2


def group_statistics(rows: SortedRows, weights: np.ndarray, reference: int) -> dict[str, np.ndarray]:
    """Per replicate (rows of `weights`) and group: n, mean, scoring rate, KS and W1 distance to `reference`,
    MAE and RMSE (with errors); overall median, MAE. Arrays of shape (b, G) or (b,); NaN where undefined."""
    onehot = rows.onehot
    with np.errstate(invalid="ignore", divide="ignore"):
        n = weights @ onehot
        mean = (weights @ (onehot * rows.scores[:, None])) / n
        median = weighted_median(rows.scores, weights)
        if rows.higher_is_favourable:
            above = rows.scores[None, :] > median[:, None]
        else:
            above = rows.scores[None, :] < median[:, None]
        scoring_rate = ((weights * above) @ onehot) / n
        ks, w1 = _distances(rows, weights, n, reference)
        out = {"n": n, "mean": mean, "median": median, "scoring_rate": scoring_rate, "ks": ks, "w1": w1}
        if rows.errors is not None:
            out["mae"] = (weights @ (onehot * np.abs(rows.errors)[:, None])) / n
            out["rmse"] = np.sqrt((weights @ (onehot * (rows.errors**2)[:, None])) / n)
            out["overall_mae"] = (weights @ np.abs(rows.errors)) / weights.sum(axis=1)
    return out


def _distances(rows: SortedRows, weights: np.ndarray, n: np.ndarray, reference: int):
    """KS statistic sup|F_g - F_r| and Wasserstein-1 integral |F_g - F_r| dx of each group's score distribution
    against the reference's, both read at the distinct scores (scipy.stats.ks_2samp / wasserstein_distance).

    A group's CDF is the running sum of its own rows' weights, read at each distinct score through the count of the
    group's rows up to it. Rows are gathered from the transposed weights (one replicate per column), so each
    gather copies contiguous rows."""
    ends = np.flatnonzero(rows.block_ends)
    gaps = np.diff(rows.scores[ends])
    by_row = np.ascontiguousarray(weights.T)  # (N, b)
    zero = np.zeros((1, weights.shape[0]))

    def cdf(group: int) -> np.ndarray:  # (distinct scores, b)
        members = np.flatnonzero(rows.codes == group)
        running = np.concatenate([zero, np.cumsum(by_row[members], axis=0)])
        return running[np.searchsorted(members, ends, side="right")] / n[:, group][None, :]

    reference_cdf = cdf(reference)
    ks = np.full(n.shape, np.nan)
    w1 = np.full(n.shape, np.nan)
    for group in range(rows.n_groups):
        gap = np.abs(cdf(group) - reference_cdf)
        ks[:, group] = gap.max(axis=0)
        w1[:, group] = gaps @ gap[:-1]
    return ks, w1
