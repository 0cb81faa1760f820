"""The six canonical group metrics of design.md §4: definitions, default bands and vectorised formulas.

Every metric compares group g with the reference group r. Values are computed from count tables of shape
``(..., G, 2, 2)`` and come back with shape ``(..., G)`` (the reference's own entry is the trivial
self-comparison and is never reported).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from explainers.metrics import rates


@dataclass(frozen=True)
class MetricDefinition:
    """The contract of one metric: what it computes, its default pass band and what it needs.

    Attributes:
        id: stable identifier used in configs and reports.
        name: human name.
        formula: the formula in design.md §4 notation.
        band_low, band_high: default pass band, inclusive.
        requires_outcome: True when the metric needs true labels y.
        denominators: ids in ``rates.DENOMINATORS`` whose counts the minimum-size rule checks in both groups.
        parity: the value of equal treatment (1 for ratios, 0 for differences); a move away from it is a regression.
    """

    id: str
    name: str
    formula: str
    band_low: float
    band_high: float
    requires_outcome: bool
    denominators: tuple[str, ...]
    parity: float = 0.0


# Order matters: reports list metrics in this order. Bands from design.md §4, inclusive.
_DEFINITIONS = (
    MetricDefinition(
        id="disparate_impact",
        name="Disparate impact ratio",
        formula="SR_g / SR_r",
        band_low=0.8,
        band_high=1.25,
        requires_outcome=False,
        denominators=("n",),
        parity=1.0,
    ),
    MetricDefinition(
        id="statistical_parity_difference",
        name="Statistical parity difference",
        formula="SR_g - SR_r",
        band_low=-0.1,
        band_high=0.1,
        requires_outcome=False,
        denominators=("n",),
    ),
    MetricDefinition(
        id="equal_opportunity_difference",
        name="Equal opportunity difference",
        formula="TPR_g - TPR_r",
        band_low=-0.1,
        band_high=0.1,
        requires_outcome=True,
        denominators=("y_fav",),
    ),
    MetricDefinition(
        id="equal_opportunity_ratio",
        name="Equal opportunity ratio",
        formula="TPR_g / TPR_r",
        band_low=0.8,
        band_high=1.25,
        requires_outcome=True,
        denominators=("y_fav",),
        parity=1.0,
    ),
    MetricDefinition(
        id="equalized_odds_difference",
        name="Equalized odds difference",
        formula="max(|TPR_g - TPR_r|, |FPR_g - FPR_r|)",
        band_low=0.0,
        band_high=0.1,
        requires_outcome=True,
        denominators=("y_fav", "y_unfav"),
    ),
    MetricDefinition(
        id="predictive_parity_difference",
        name="Predictive parity difference",
        formula="PPV_g - PPV_r",
        band_low=-0.1,
        band_high=0.1,
        requires_outcome=True,
        denominators=("yhat_fav",),
    ),
)
METRIC_DEFINITIONS: dict[str, MetricDefinition] = {d.id: d for d in _DEFINITIONS}


def _at(values: np.ndarray, index: int) -> np.ndarray:
    """The reference column kept as a length-1 axis so it broadcasts against every group."""
    return values[..., index : index + 1]


def _ratio(rate: Callable[[np.ndarray], np.ndarray]) -> Callable[[np.ndarray, int], np.ndarray]:
    def compute(cells: np.ndarray, reference: int) -> np.ndarray:
        values = rate(cells)
        return rates.safe_divide(values, _at(values, reference))  # rate_r = 0 -> NaN, not inf

    return compute


def _difference(rate: Callable[[np.ndarray], np.ndarray]) -> Callable[[np.ndarray, int], np.ndarray]:
    def compute(cells: np.ndarray, reference: int) -> np.ndarray:
        values = rate(cells)
        return values - _at(values, reference)

    return compute


def _equalized_odds(cells: np.ndarray, reference: int) -> np.ndarray:
    tpr = rates.true_positive_rate(cells)
    fpr = rates.false_positive_rate(cells)
    # np.maximum propagates NaN: if either rate is undefined, so is the metric (never silently half of it).
    return np.maximum(np.abs(tpr - _at(tpr, reference)), np.abs(fpr - _at(fpr, reference)))


_FORMULAS: dict[str, Callable[[np.ndarray, int], np.ndarray]] = {
    "disparate_impact": _ratio(rates.selection_rate),
    "statistical_parity_difference": _difference(rates.selection_rate),
    "equal_opportunity_difference": _difference(rates.true_positive_rate),
    "equal_opportunity_ratio": _ratio(rates.true_positive_rate),
    "equalized_odds_difference": _equalized_odds,
    "predictive_parity_difference": _difference(rates.positive_predictive_value),
}

# For ratio metrics, the reference rate that must be non-zero, named as in design.md §4.
_RATIO_REFERENCE_RATE: dict[str, tuple[str, Callable[[np.ndarray], np.ndarray]]] = {
    "disparate_impact": ("SR_r", rates.selection_rate),
    "equal_opportunity_ratio": ("TPR_r", rates.true_positive_rate),
}


def metric_values(metric_id: str, cells: np.ndarray, reference: int) -> np.ndarray:
    """Values of ``metric_id`` for every group against group index ``reference``.

    Args:
        metric_id: a key of METRIC_DEFINITIONS.
        cells: counts of shape ``(..., G, 2, 2)``.
        reference: index of the reference group on the G axis.

    Returns:
        float64 array of shape ``(..., G)``; NaN where the value is undefined.
    """
    return _FORMULAS[metric_id](np.asarray(cells), reference)


def undefined_reason(metric_id: str, cells: np.ndarray, group: int, reference: int) -> str:
    """Say why ``metric_values`` is NaN for one group of a point-estimate table ``(G, 2, 2)``."""
    for who, index in (("group", group), ("reference", reference)):
        for denominator in METRIC_DEFINITIONS[metric_id].denominators:
            count, label = rates.DENOMINATORS[denominator]
            if count(cells)[index] == 0:
                return f"{who} has 0 {label}"
    if metric_id in _RATIO_REFERENCE_RATE:
        name, rate = _RATIO_REFERENCE_RATE[metric_id]
        if rate(cells)[reference] == 0:
            return f"{name} = 0, ratio undefined"
    return "value undefined"
