"""Bootstrap replicates drawn from the count table instead of from the rows (design.md §4, §9)."""

from __future__ import annotations

import warnings

import numpy as np


def bootstrap_tables(cells: np.ndarray, n_boot: int, seed: int) -> np.ndarray:
    """Draw ``n_boot`` bootstrap count tables, shape ``(n_boot, *cells.shape)``.

    Why this is the row bootstrap: the non-parametric bootstrap draws N rows independently and uniformly
    with replacement from the N observed rows. Each draw lands in cell k of the table with probability
    ``cells[k] / N``, independently of the other draws, so the resampled table (the counts of N independent
    categorical draws) is distributed exactly Multinomial(N, cells / N). Every metric depends on the rows only
    through that table, so each replicate statistic has exactly the row bootstrap's distribution, while a
    replicate costs O(cells) instead of O(N). The random streams differ, so single replicates are not
    bit-identical to a given row resampling; the distributions are identical.

    Args:
        cells: non-negative counts of any shape (normally ``(G, 2, 2)``), at least one row in total.
        n_boot: number of replicates B (>= 1).
        seed: seed of ``numpy.random.default_rng``; the same seed and table give identical replicates.
    """
    flat = np.asarray(cells, dtype=np.int64).reshape(-1)
    total = int(flat.sum())
    if total <= 0:
        raise ValueError("cannot bootstrap an empty table")
    rng = np.random.default_rng(seed)
    draws = rng.multinomial(total, flat / total, size=n_boot)
    return draws.reshape((n_boot, *np.shape(cells)))


def percentile_interval(replicates: np.ndarray, alpha: float) -> tuple[np.ndarray, np.ndarray]:
    """Percentile ``1 - alpha`` interval over axis 0, ignoring undefined (NaN) replicates.

    Returns NaN bounds where every replicate is undefined.
    """
    with warnings.catch_warnings():
        # An all-NaN column is expected for metrics that are undefined; the NaN result says so.
        warnings.simplefilter("ignore", RuntimeWarning)
        low, high = np.nanpercentile(replicates, [100 * alpha / 2, 100 * (1 - alpha / 2)], axis=0)
    return low, high
