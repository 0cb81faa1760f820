"""The same quantities in other tools' conventions, so users can reconcile numbers (design.md §4).

Canonical metrics compare each group with one reference group and keep the sign. fairlearn summarises
all groups at once (max - min, min / max, unsigned); AIF360 compares an unprivileged with a privileged group.

A difference from fairlearn 0.15 worth knowing: its TPR/FPR come from sklearn's normalised confusion matrix,
which reports 0 (silently) for a group with no rows in the denominator, and ``equalized_odds_ratio`` takes
Python's ``min`` over a Series that may hold NaN, whose result then depends on order. Here any undefined
group rate makes the summary None instead, because a number computed from an invented rate is not
reconcilable evidence.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from explainers.metrics import rates
from explainers.metrics.counts import CountTable


def _spread(values: np.ndarray) -> tuple[float | None, float | None]:
    """(max - min, min / max) over groups, None when any group's rate is undefined or max is 0."""
    if values.size == 0 or np.isnan(values).any():
        return None, None
    low, high = float(values.min()), float(values.max())
    return high - low, (low / high if high != 0 else None)


def fairlearn_convention(table: CountTable) -> dict[str, float | None]:
    """fairlearn 0.15's between-groups summaries (``method="between_groups"``, ``agg="worst_case"``).

    Keys and their fairlearn functions: ``demographic_parity_difference`` / ``_ratio`` (max - min and
    min / max of SR), ``equal_opportunity_difference`` / ``_ratio`` (of TPR), ``equalized_odds_difference``
    (max of the TPR and FPR differences) and ``equalized_odds_ratio`` (min of the TPR and FPR ratios).
    Label-based values are None when the table has no outcome.
    """
    cells = np.asarray(table.cells)
    dp_difference, dp_ratio = _spread(rates.selection_rate(cells))
    result: dict[str, float | None] = {
        "demographic_parity_difference": dp_difference,
        "demographic_parity_ratio": dp_ratio,
        "equal_opportunity_difference": None,
        "equal_opportunity_ratio": None,
        "equalized_odds_difference": None,
        "equalized_odds_ratio": None,
    }
    if not table.has_outcome:
        return result
    tpr_difference, tpr_ratio = _spread(rates.true_positive_rate(cells))
    fpr_difference, fpr_ratio = _spread(rates.false_positive_rate(cells))
    result["equal_opportunity_difference"] = tpr_difference
    result["equal_opportunity_ratio"] = tpr_ratio
    if tpr_difference is not None and fpr_difference is not None:
        result["equalized_odds_difference"] = max(tpr_difference, fpr_difference)
    if tpr_ratio is not None and fpr_ratio is not None:
        result["equalized_odds_ratio"] = min(tpr_ratio, fpr_ratio)
    return result


def aif360_convention(
    table: CountTable, privileged: str | Sequence[str], unprivileged: str | Sequence[str]
) -> dict[str, float | None]:
    """AIF360's signed comparisons of the unprivileged with the privileged group.

    ``disparate_impact`` = SR_unpriv / SR_priv, ``statistical_parity_difference`` = SR_unpriv - SR_priv,
    ``equal_opportunity_difference`` = TPR_unpriv - TPR_priv (None without outcome). As in AIF360, a side
    given as several groups pools their rows.

    Raises:
        ValueError: if a named group is not in the table, or a group is on both sides.
    """
    privileged_index = _indices(table, privileged)
    unprivileged_index = _indices(table, unprivileged)
    if set(privileged_index) & set(unprivileged_index):
        raise ValueError("a group cannot be both privileged and unprivileged")
    cells = np.asarray(table.cells)
    pooled = np.stack([cells[unprivileged_index].sum(axis=0), cells[privileged_index].sum(axis=0)])
    selection = rates.selection_rate(pooled)
    result = {
        "disparate_impact": _finite(rates.safe_divide(selection[0], selection[1])),
        "statistical_parity_difference": _finite(selection[0] - selection[1]),
        "equal_opportunity_difference": None,
    }
    if table.has_outcome:
        tpr = rates.true_positive_rate(pooled)
        result["equal_opportunity_difference"] = _finite(tpr[0] - tpr[1])
    return result


def _indices(table: CountTable, groups: str | Sequence[str]) -> list[int]:
    names = [groups] if isinstance(groups, str) else list(groups)
    missing = [g for g in names if g not in table.groups]
    if missing or not names:
        raise ValueError(f"groups {missing} are not in the data; available groups: {list(table.groups)}")
    return [table.groups.index(g) for g in names]


def _finite(value: np.floating | float) -> float | None:
    value = float(value)
    return value if np.isfinite(value) else None
