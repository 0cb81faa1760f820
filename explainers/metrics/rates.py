"""Per-group rates of design.md §4, vectorised over any leading axes.

Every function takes ``cells`` of shape ``(..., G, 2, 2)`` indexed ``[..., g, y, yhat]`` (index 1 = favourable)
and returns shape ``(..., G)``. The same code therefore gives the point estimate (``(G, 2, 2)``) and all
bootstrap replicates at once (``(B, G, 2, 2)``). A zero denominator gives NaN, never inf or a warning: an
undefined rate must stay visibly undefined instead of becoming 0 (which is what sklearn-based tools report).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from explainers.metrics.counts import FAV, UNFAV


def safe_divide(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """Elementwise ``numerator / denominator`` as float64, NaN wherever the denominator is 0."""
    numerator = np.asarray(numerator, dtype=np.float64)
    denominator = np.asarray(denominator, dtype=np.float64)
    out = np.full(np.broadcast_shapes(numerator.shape, denominator.shape), np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        np.divide(numerator, denominator, out=out, where=denominator != 0)
    return out


# Counts per group; these are also the denominators that the verdict's minimum-size rule looks at.
def group_size(cells: np.ndarray) -> np.ndarray:
    """n_g: rows in the group."""
    return cells.sum(axis=(-2, -1))


def n_selected(cells: np.ndarray) -> np.ndarray:
    """Rows with yhat = fav."""
    return cells[..., FAV].sum(axis=-1)


def n_positive(cells: np.ndarray) -> np.ndarray:
    """Rows with y = fav."""
    return cells[..., FAV, :].sum(axis=-1)


def n_negative(cells: np.ndarray) -> np.ndarray:
    """Rows with y != fav."""
    return cells[..., UNFAV, :].sum(axis=-1)


# Rates, design.md §4.
def selection_rate(cells: np.ndarray) -> np.ndarray:
    """SR_g = P(yhat=fav | g)."""
    return safe_divide(n_selected(cells), group_size(cells))


def base_rate(cells: np.ndarray) -> np.ndarray:
    """BR_g = P(y=fav | g)."""
    return safe_divide(n_positive(cells), group_size(cells))


def true_positive_rate(cells: np.ndarray) -> np.ndarray:
    """TPR_g = P(yhat=fav | y=fav, g)."""
    return safe_divide(cells[..., FAV, FAV], n_positive(cells))


def false_positive_rate(cells: np.ndarray) -> np.ndarray:
    """FPR_g = P(yhat=fav | y!=fav, g)."""
    return safe_divide(cells[..., UNFAV, FAV], n_negative(cells))


def false_negative_rate(cells: np.ndarray) -> np.ndarray:
    """FNR_g = P(yhat!=fav | y=fav, g) = 1 - TPR_g."""
    return safe_divide(cells[..., FAV, UNFAV], n_positive(cells))


def positive_predictive_value(cells: np.ndarray) -> np.ndarray:
    """PPV_g = P(y=fav | yhat=fav, g)."""
    return safe_divide(cells[..., FAV, FAV], n_selected(cells))


def negative_predictive_value(cells: np.ndarray) -> np.ndarray:
    """NPV_g = P(y!=fav | yhat!=fav, g)."""
    return safe_divide(cells[..., UNFAV, UNFAV], cells[..., UNFAV].sum(axis=-1))


def accuracy(cells: np.ndarray) -> np.ndarray:
    """accuracy_g = P(yhat = y | g)."""
    return safe_divide(cells[..., FAV, FAV] + cells[..., UNFAV, UNFAV], group_size(cells))


# Denominator ids used by MetricDefinition.denominators, with the count function and a label for reasons.
DENOMINATORS: dict[str, tuple[Callable[[np.ndarray], np.ndarray], str]] = {
    "n": (group_size, "rows"),
    "y_fav": (n_positive, "rows with y=fav"),
    "y_unfav": (n_negative, "rows with y=unfav"),
    "yhat_fav": (n_selected, "rows with yhat=fav"),
}
