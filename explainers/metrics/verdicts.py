"""Verdict per (metric, group), design.md §4 "Uncertainty and verdicts"."""

from __future__ import annotations

from enum import StrEnum

import numpy as np

from explainers.metrics import rates
from explainers.metrics.definitions import MetricDefinition


class Verdict(StrEnum):
    """Outcome of comparing a metric's confidence interval with its band.

    A StrEnum so that members compare equal to, and serialise as, their plain string values.
    """

    PASS = "pass"
    FAIL = "fail"
    INCONCLUSIVE = "inconclusive"
    INSUFFICIENT_DATA = "insufficient_data"
    NOT_COMPUTABLE = "not_computable"


def band_verdict(ci_low: float, ci_high: float, band_low: float, band_high: float) -> Verdict:
    """Pass if the whole interval lies in the inclusive band, fail if wholly outside, else inconclusive."""
    if band_low <= ci_low and ci_high <= band_high:
        return Verdict.PASS
    if ci_high < band_low or ci_low > band_high:
        return Verdict.FAIL
    return Verdict.INCONCLUSIVE


def insufficiency_reasons(
    definition: MetricDefinition,
    cells: np.ndarray,
    group: int,
    reference: int,
    *,
    min_group_size: int,
    min_denominator: int,
) -> list[str]:
    """Why the point-estimate table ``(G, 2, 2)`` is too small to judge this metric; empty when it is not.

    Small groups or denominators make the interval itself unreliable (the percentile bootstrap under-covers),
    so the verdict is withheld rather than trusted (design.md §4).
    """
    reasons = []
    sizes = rates.group_size(cells)
    for who, index in (("group", group), ("reference", reference)):
        if sizes[index] < min_group_size:
            reasons.append(f"n_{who}={int(sizes[index])} < {min_group_size}")
    for who, index in (("group", group), ("reference", reference)):
        for denominator in definition.denominators:
            count_rows, label = rates.DENOMINATORS[denominator]
            count = int(count_rows(cells)[index])
            already_reported = denominator == "n" and count < min_group_size
            if count < min_denominator and not already_reported:
                reasons.append(f"{who} has {count} {label} < {min_denominator}")
    return reasons
