"""Paired statistics of the counterfactual probes: row-bootstrap means, signed-rank test (design.md §5)."""

from __future__ import annotations

import math
import warnings

import numpy as np
from scipy import stats

# Rows x replicates of one chunk of the resampling-count matrix: about 32 MB of float64 whatever N and B are.
_MAX_CELLS = 4_000_000


def bootstrap_sums(values: np.ndarray, n_boot: int, rng: np.random.Generator) -> np.ndarray:
    """Column sums of ``n_boot`` row resamples of ``values``, shape ``(n_boot, K)``.

    The textbook bootstrap: each replicate draws N row indices uniformly with replacement. Instead of gathering
    the drawn rows, each replicate's draws are counted per row (a multinomial count vector) and the counts
    matrix multiplies ``values``, so all K statistics share the same resampled rows and the work is one
    bincount and one matrix product per chunk of replicates (design.md §9). Ratios of two columns (a group's
    flips over its size) then give ratio estimators whose denominators vary across replicates, as they do
    when the rows themselves are resampled.

    Args:
        values: ``(N,)`` or ``(N, K)`` numbers (booleans count as 0/1), N >= 1.
        n_boot: number of replicates B (>= 1).
        rng: seeded generator; the same generator state gives identical replicates.
    """
    values = np.asarray(values, dtype=np.float64)
    if values.ndim == 1:
        values = values[:, None]
    n = values.shape[0]
    if n == 0:
        raise ValueError("cannot bootstrap zero rows")
    chunk = max(1, _MAX_CELLS // n)
    out = np.empty((n_boot, values.shape[1]), dtype=np.float64)
    for start in range(0, n_boot, chunk):
        size = min(chunk, n_boot - start)
        # int32 halves the memory traffic of drawing and counting; int64 only if the cells would not fit.
        dtype = np.int32 if size * n < 2**31 else np.int64
        draws = rng.integers(0, n, size=(size, n), dtype=dtype)
        draws += np.arange(size, dtype=dtype)[:, None] * n  # replicate r counts into cells r*N .. r*N + N - 1
        counts = np.bincount(draws.ravel(), minlength=size * n).reshape(size, n).astype(np.float64)
        out[start : start + size] = counts @ values
    return out


def wilcoxon_p(deltas: np.ndarray, min_n: int = 10) -> float | None:
    """Two-sided Wilcoxon signed-rank p-value of paired differences; None when the test says nothing.

    None below ``min_n`` pairs (the normal approximation, and the exact test's smallest p, are uninformative
    there) and when every difference is zero (no signed ranks at all). Zero differences are dropped, the
    default "wilcox" treatment.
    """
    deltas = np.asarray(deltas, dtype=np.float64)
    if deltas.size < min_n or not np.any(deltas != 0):
        return None
    with warnings.catch_warnings():
        # Ties and zeros make scipy switch to the normal approximation and say so; that is expected here.
        warnings.simplefilter("ignore", UserWarning)
        try:
            p = float(stats.wilcoxon(deltas).pvalue)
        except ValueError:
            return None
    return p if math.isfinite(p) else None
