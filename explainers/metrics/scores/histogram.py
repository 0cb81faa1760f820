"""The score histogram ``counts[g, y, bin]``: the one pass over scored rows that every score analysis starts from.

design.md §9 "count first": per-group ROC AUC, reliability bins and the DI / EOD threshold curves of design.md §4
are all functions of how many rows of each group and true outcome fall in each score bin. Chunks of a large
dataset are counted separately and their histograms added with :meth:`ScoreHistogram.merge`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from explainers.metrics.counts import _as_bool


@dataclass(frozen=True, eq=False)
class ScoreHistogram:
    """Counts of rows per (group, true outcome, score bin), design.md §4 and §9.

    Attributes:
        groups: group labels, sorted in ``str`` order (as in :class:`~explainers.metrics.CountTable`).
        edges: read-only float64 array of ``n_bins + 1`` increasing bin edges over ``[lo, hi]``. Bin ``i`` holds
            scores ``edges[i] <= s < edges[i + 1]``; the last bin also holds ``s == hi``.
        counts: read-only int64 array of shape ``(G, 2, n_bins)`` indexed ``[g, y, bin]``, y index 1 = favourable.
        n_clipped: rows whose score lay outside ``[lo, hi]`` and was clipped into the first or last bin.

    Raises:
        ValueError: on duplicate or unsorted groups, bad edges, or counts of the wrong shape or sign.
    """

    groups: tuple[str, ...]
    edges: np.ndarray
    counts: np.ndarray
    n_clipped: int = 0

    def __post_init__(self) -> None:
        groups = tuple(str(g) for g in self.groups)
        if len(set(groups)) != len(groups):
            raise ValueError("ScoreHistogram groups must be unique")
        if list(groups) != sorted(groups):
            raise ValueError("ScoreHistogram groups must be sorted in str order")
        edges = np.array(self.edges, dtype=np.float64)  # copies: a frozen histogram must not alias caller arrays
        if edges.ndim != 1 or len(edges) < 2 or not np.isfinite(edges).all() or (np.diff(edges) <= 0).any():
            raise ValueError("edges must be a 1-D, finite, strictly increasing array of at least 2 values")
        counts = np.array(self.counts, dtype=np.int64)
        if counts.shape != (len(groups), 2, len(edges) - 1):
            raise ValueError(f"counts must have shape ({len(groups)}, 2, {len(edges) - 1}), got {counts.shape}")
        if (counts < 0).any() or int(self.n_clipped) < 0:
            raise ValueError("counts must be non-negative")
        edges.flags.writeable = False
        counts.flags.writeable = False
        object.__setattr__(self, "groups", groups)
        object.__setattr__(self, "edges", edges)
        object.__setattr__(self, "counts", counts)
        object.__setattr__(self, "n_clipped", int(self.n_clipped))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ScoreHistogram):
            return NotImplemented
        return (
            self.groups == other.groups
            and self.n_clipped == other.n_clipped
            and np.array_equal(self.edges, other.edges)
            and np.array_equal(self.counts, other.counts)
        )

    __hash__ = None  # type: ignore[assignment]  # holds arrays, and equality is by value

    @property
    def n_bins(self) -> int:
        """Number of score bins."""
        return len(self.edges) - 1

    @property
    def lo(self) -> float:
        """Lower end of the binned score range."""
        return float(self.edges[0])

    @property
    def hi(self) -> float:
        """Upper end of the binned score range."""
        return float(self.edges[-1])

    @property
    def n(self) -> int:
        """Total number of rows counted."""
        return int(self.counts.sum())

    def centres(self) -> np.ndarray:
        """Bin midpoints, shape ``(n_bins,)``: the score every row of a bin stands for."""
        return (self.edges[:-1] + self.edges[1:]) / 2

    def merge(self, other: ScoreHistogram) -> ScoreHistogram:
        """Return the histogram of the union of both histograms' rows (counts added, groups united and sorted).

        Raises:
            ValueError: if the bin edges differ, since counts of different bins cannot be added.
        """
        if not np.array_equal(self.edges, other.edges):
            raise ValueError("cannot merge score histograms with different bin edges")
        groups = tuple(sorted(set(self.groups) | set(other.groups)))
        position = {g: i for i, g in enumerate(groups)}
        counts = np.zeros((len(groups), 2, self.n_bins), dtype=np.int64)
        for hist in (self, other):
            index = np.fromiter((position[g] for g in hist.groups), dtype=np.intp, count=len(hist.groups))
            counts[index] += hist.counts  # groups are unique within a histogram, so fancy-index += is exact
        return ScoreHistogram(groups, self.edges, counts, self.n_clipped + other.n_clipped)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form, so chunk histograms can travel between Celery workers (floats round-trip exactly)."""
        return {
            "groups": list(self.groups),
            "edges": self.edges.tolist(),
            "counts": self.counts.tolist(),
            "n_clipped": self.n_clipped,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ScoreHistogram:
        """Inverse of :meth:`to_dict`."""
        n_bins = len(data["edges"]) - 1
        counts = np.asarray(data["counts"], dtype=np.int64).reshape(len(data["groups"]), 2, n_bins)
        return cls(tuple(data["groups"]), np.asarray(data["edges"]), counts, int(data.get("n_clipped", 0)))


def bin_edges(n_bins: int, lo: float, hi: float) -> np.ndarray:
    """``n_bins + 1`` equal-width edges on ``[lo, hi]``.

    Computed as ``lo + (hi - lo) * (k / n_bins)`` rather than ``k * step``: division is correctly rounded, so on
    ``[0, 1]`` every edge is the float nearest ``k / n_bins`` and a threshold written ``0.05`` *is* an edge.

    Raises:
        ValueError: if ``n_bins < 1`` or ``[lo, hi]`` is not a finite, non-empty interval.
    """
    if int(n_bins) != n_bins or n_bins < 1:
        raise ValueError(f"n_bins must be a positive integer, got {n_bins!r}")
    if not (np.isfinite(lo) and np.isfinite(hi) and lo < hi):
        raise ValueError(f"need finite lo < hi, got lo={lo!r}, hi={hi!r}")
    return lo + (hi - lo) * (np.arange(int(n_bins) + 1) / int(n_bins))


def score_histogram(
    groups: Any, scores: Any, outcome: Any, *, n_bins: int = 1000, lo: float = 0.0, hi: float = 1.0
) -> ScoreHistogram:
    """Count rows per (group, y, score bin) in one vectorised pass (design.md §9 "count first").

    Scores outside ``[lo, hi]`` (infinities included) are clipped into the first or last bin and counted in
    ``n_clipped``, so no row is lost; a model whose scores are not probabilities needs its own ``lo`` / ``hi``.

    Args:
        groups: 1-D array-like of group labels (converted to ``str``), no missing values.
        scores: 1-D numeric array-like of model scores, higher = more favourable.
        outcome: 1-D bool array, True = favourable true outcome ``y`` (0/1 numbers accepted).
        n_bins, lo, hi: ``n_bins`` equal-width bins on ``[lo, hi]``; AUC and curves are exact up to this resolution.

    Raises:
        ValueError: on NaN / missing scores, length mismatch, missing group labels, non-boolean outcome,
            or bad binning parameters.
    """
    edges = bin_edges(n_bins, lo, hi)
    codes, labels = group_codes(groups)
    values = _as_float("scores", scores, len(codes))
    y = _as_bool("outcome", outcome, len(codes))

    n_clipped = int(np.count_nonzero((values < lo) | (values > hi)))
    values = np.clip(values, lo, hi)
    bins = _bin_index(values, edges)
    flat = (codes * 2 + y.astype(np.intp)) * int(n_bins) + bins
    counts = np.bincount(flat, minlength=len(labels) * 2 * int(n_bins)).reshape(len(labels), 2, int(n_bins))
    return ScoreHistogram(tuple(labels), edges, counts, n_clipped)


def group_codes(groups: Any) -> tuple[np.ndarray, list[str]]:
    """Codes into the ``str``-sorted group labels, with :func:`~explainers.metrics.count_table`'s rules.

    Raises:
        ValueError: on non 1-D input, missing labels, or distinct values sharing a ``str`` label.
    """
    if not isinstance(groups, (pd.Series, pd.Index, np.ndarray, pd.api.extensions.ExtensionArray)):
        groups = np.asarray(groups, dtype=object)  # pandas no longer factorizes plain lists
    if np.ndim(groups) != 1:
        raise ValueError("groups must be 1-D")
    codes, uniques = pd.factorize(groups, sort=False)
    if (codes < 0).any():
        raise ValueError("groups contains missing values; drop or label them before counting")
    labels = [str(u) for u in uniques]
    if len(set(labels)) != len(labels):
        raise ValueError("distinct group values map to the same str label")
    # Sort on the str labels so histograms built from ints and from strings agree and merge, as count tables do.
    order = np.argsort(np.array(labels, dtype=object), kind="stable")
    rank = np.empty(len(labels), dtype=np.intp)
    rank[order] = np.arange(len(labels))
    return rank[codes], [labels[i] for i in order]


def _as_float(name: str, values: Any, length: int) -> np.ndarray:
    """Scores as float64; a missing score is refused because no bin (and no decision) can be assigned to it."""
    if isinstance(values, (pd.Series, pd.Index, pd.api.extensions.ExtensionArray)):
        array = pd.Series(values).to_numpy(dtype=np.float64, na_value=np.nan)  # nullable dtypes: NA -> NaN
    else:
        array = np.asarray(values, dtype=np.float64)
    if array.ndim != 1 or len(array) != length:
        raise ValueError(f"{name} must be 1-D with the same length as groups ({length}), got shape {array.shape}")
    if np.isnan(array).any():
        raise ValueError(f"{name} contains NaN or missing values; drop or impute them before counting")
    return array


def _bin_index(values: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Bin of each (already clipped) value, agreeing exactly with comparisons against ``edges``.

    ``trunc((v - lo) * n / (hi - lo))`` can land one bin off for a value on, or within an ulp of, an edge; the
    two corrections below compare with the edges themselves so that ``v >= edges[k]`` on the raw values and
    ``bin >= k`` on the bins select the same rows, which makes threshold curves exact on edges. ``np.take``
    rather than fancy indexing: about 7x faster on 10M rows.
    """
    n_bins = len(edges) - 1
    lo, hi = edges[0], edges[-1]
    index = ((values - lo) * (n_bins / (hi - lo))).astype(np.intp)  # truncation = floor for values >= lo
    np.clip(index, 0, n_bins - 1, out=index)
    index -= values < np.take(edges, index)
    upper = edges.copy()
    upper[-1] = np.inf  # the last bin is closed at hi, so nothing moves past it
    index += values >= np.take(upper, index + 1)
    return index
