"""Shared by the row-level metric families (continuous scores, rankings): resampling weights and verdicts.

A row bootstrap that resamples N rows with replacement is the same as giving each row a Multinomial(N, 1/N)
count as its weight; every statistic of the continuous and ranking families is a weighted sum over rows sorted
once, so a replicate costs O(N) without re-sorting (design.md section 4, "Uncertainty and verdicts").
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from explainers.metrics.bootstrap import percentile_interval
from explainers.metrics.verdicts import Verdict, band_verdict

# Replicates drawn together: a (batch x N) weight matrix holds at most this many cells.
BATCH_CELLS = 4_000_000


def resampling_weights(n_units: int, n_boot: int, seed: int) -> Iterator[np.ndarray]:
    """Batches of bootstrap weights, shape (b, n_units): each row is one replicate's Multinomial(n, 1/n) counts
    of how often each unit (row or query) is drawn. The same seed gives the same batches."""
    rng = np.random.default_rng(seed)
    batch = max(1, min(n_boot, BATCH_CELLS // max(n_units, 1)))
    done = 0
    while done < n_boot:
        size = min(batch, n_boot - done)
        # n uniform draws with replacement per replicate, counted: exactly Multinomial(n, 1/n), and much faster
        # than numpy's multinomial over n categories. Each replicate's draws are offset into its own row.
        draws = rng.integers(0, n_units, size=(size, n_units)) + (np.arange(size) * n_units)[:, None]
        yield np.bincount(draws.ravel(), minlength=size * n_units).reshape(size, n_units).astype(np.float64)
        done += size


def interval(replicates: np.ndarray, alpha: float) -> tuple[np.ndarray, np.ndarray]:
    """Percentile interval per column of (B, k) replicates; NaN where every replicate is undefined."""
    return percentile_interval(replicates, alpha)


@dataclass(frozen=True)
class Finding:
    """One metric for one group (or for the attribute as a whole), with its interval and verdict."""

    metric: str
    attribute: str
    group: str
    reference_group: str
    value: float | None
    ci_low: float | None
    ci_high: float | None
    band_low: float
    band_high: float
    verdict: str
    n_group: int
    n_reference: int
    reason: str


def finite_or_none(value) -> float | None:
    value = float(value)
    return value if math.isfinite(value) else None


def judge(
    *,
    point: float,
    low: float,
    high: float,
    band: tuple[float, float],
    small: list[str],
) -> tuple[str, str]:
    """(verdict, reason) by design.md section 4: insufficient_data for small groups, not_computable for an undefined
    value or interval, else pass when the interval lies inside the band, fail when wholly outside, else
    inconclusive."""
    if small:
        return Verdict.INSUFFICIENT_DATA.value, "; ".join(small)
    if not (math.isfinite(point) and math.isfinite(low) and math.isfinite(high)):
        return Verdict.NOT_COMPUTABLE.value, "undefined (a zero denominator)"
    return band_verdict(low, high, band[0], band[1]).value, ""
