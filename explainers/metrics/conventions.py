"""The same quantities in other tools' conventions, so users can reconcile numbers (design.md §4).

Canonical metrics compare each group with one reference group and keep the sign. fairlearn summarises
all groups at once (max - min, min / max, unsigned); AIF360 compares an unprivileged with a privileged group;
Aequitas divides by the majority group's rate. :func:`conventions_side_by_side` puts them next to each other
and warns where a disparate-impact verdict would change with the convention.

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
from explainers.metrics.definitions import metric_values

# Aequitas' default fairness threshold tau = 0.8 (pass when tau <= disparity <= 1 / tau), which is also
# design.md §4's default disparate-impact band; inclusive at both ends, as our verdicts are.
DI_BAND = (0.8, 1.25)


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


def aequitas_convention(table: CountTable, reference_group: str | None = None) -> dict:
    """Aequitas' disparities: ``metric_g / metric_ref``, the reference being the majority group by default.

    Aequitas (``Bias.get_disparity_major_group``) takes the group with the most rows as reference unless one
    is declared; ties go to the first group in sorted order, as for the canonical reference. Returns::

        {"reference_group": str, "reference_rule": "majority" | "declared", "band": [0.8, 1.25],
         "groups": {group: {"pprev_disparity": SR_g / SR_ref, "tpr_disparity": TPR_g / TPR_ref}}}

    ``pprev`` (predicted prevalence) is Aequitas' name for the selection rate. Every group is listed, the
    reference too (its disparities are 1, as in Aequitas' output). A disparity is None when undefined (a zero
    denominator or a zero reference rate); ``tpr_disparity`` is None for every group without outcome labels.

    Raises:
        ValueError: if the table has no groups or ``reference_group`` is not in it.
    """
    if not table.groups:
        raise ValueError("the table has no groups")
    if reference_group is None:
        # np.argmax returns the first maximum, and groups are sorted, so size ties go to sorted order.
        reference, rule = int(np.argmax(table.group_sizes())), "majority"
    else:
        (reference,), rule = _indices(table, reference_group), "declared"
    cells = np.asarray(table.cells)
    pprev = rates.safe_divide(rates.selection_rate(cells), rates.selection_rate(cells)[reference])
    tpr = rates.safe_divide(rates.true_positive_rate(cells), rates.true_positive_rate(cells)[reference])
    groups = {
        group: {
            "pprev_disparity": _finite(pprev[g]),
            "tpr_disparity": _finite(tpr[g]) if table.has_outcome else None,
        }
        for g, group in enumerate(table.groups)
    }
    return {
        "reference_group": table.groups[reference],
        "reference_rule": rule,
        "band": list(DI_BAND),
        "groups": groups,
    }


def conventions_side_by_side(table: CountTable, reference_group: str, privileged: str | None = None) -> dict:
    """The report's "other conventions" block (design.md §4), JSON-ready (plain Python types only).

    Returns::

        {"aif360": {"privileged": str, "groups": {unprivileged group: aif360_convention(...) values}},
         "aequitas": aequitas_convention(table),  # majority reference
         "fairlearn": fairlearn_convention(table),
         "warnings": [str, ...]}

    AIF360 compares each other group alone with ``privileged`` (default ``reference_group``). A warning is
    written wherever the point-estimate disparate-impact verdict against the 0.8..1.25 band differs between
    our canonical DI (against ``reference_group``) and the AIF360 DI or Aequitas' ``pprev_disparity`` of the
    same group, or when fairlearn's single ``demographic_parity_ratio`` fails while every canonical DI passes.

    Raises:
        ValueError: if ``reference_group`` or ``privileged`` is not in the table.
    """
    (reference,) = _indices(table, reference_group)
    privileged = reference_group if privileged is None else privileged
    _indices(table, privileged)
    canonical = {
        group: _finite(value)
        for group, value in zip(table.groups, metric_values("disparate_impact", table.cells, reference), strict=True)
        if group != reference_group
    }
    aif360 = {group: aif360_convention(table, privileged, group) for group in table.groups if group != privileged}
    aequitas = aequitas_convention(table)
    fairlearn = fairlearn_convention(table)

    # Only a group that is a non-reference group in both conventions is compared. The pair (our reference,
    # their reference) needs no check: the band is closed under x -> 1 / x, so a ratio and its inverse agree.
    others = []
    if privileged != reference_group:
        where = f"against the privileged group {privileged!r} in the AIF360 convention"
        others.append((where, {g: values["disparate_impact"] for g, values in aif360.items()}))
    if aequitas["reference_group"] != reference_group:
        where = f"against the majority group {aequitas['reference_group']!r} in the Aequitas convention"
        majority = {g: v["pprev_disparity"] for g, v in aequitas["groups"].items() if g != aequitas["reference_group"]}
        others.append((where, majority))
    warnings = []
    for group, ours in canonical.items():
        for where, values in others:
            theirs = values.get(group)  # absent for their own reference group
            if ours is None or theirs is None or _passes(ours) == _passes(theirs):
                continue
            warnings.append(
                f"disparate impact of {group!r}: {_show(ours)} against {reference_group!r} ({_judged(ours)}) "
                f"but {_show(theirs)} {where} ({_judged(theirs)})"
            )
    warnings.extend(_fairlearn_warning(fairlearn["demographic_parity_ratio"], canonical, reference_group))
    return {
        "aif360": {"privileged": privileged, "groups": aif360},
        "aequitas": aequitas,
        "fairlearn": fairlearn,
        "warnings": warnings,
    }


def _fairlearn_warning(ratio: float | None, canonical: dict[str, float | None], reference_group: str) -> list[str]:
    """Warn when fairlearn's single min / max SR fails although every canonical DI passes.

    The converse cannot happen: a defined ratio means every SR is defined, and min / max >= 0.8 puts every
    pairwise ratio, each canonical DI included, inside 0.8..1.25. Two non-reference groups far apart from
    each other but each close to the reference are what make fairlearn alone fail.
    """
    defined = [value for value in canonical.values() if value is not None]
    if ratio is None or not defined or _passes(ratio) or not all(_passes(value) for value in defined):
        return []
    return [
        f"fairlearn demographic_parity_ratio (lowest / highest selection rate): {_show(ratio)} ({_judged(ratio)}) "
        f"but every disparate impact against {reference_group!r} passes {_band_text()}"
    ]


def _passes(value: float) -> bool:
    return DI_BAND[0] <= value <= DI_BAND[1]


def _band_text() -> str:
    return f"{DI_BAND[0]:g}..{DI_BAND[1]:g}"


def _judged(value: float) -> str:
    if _passes(value):
        return f"passes {_band_text()}"
    return f"below {DI_BAND[0]:g}" if value < DI_BAND[0] else f"above {DI_BAND[1]:g}"


def _show(value: float) -> str:
    """Two decimals, or more where rounding to two would put the shown number on the other side of the band."""
    for decimals in range(2, 7):
        text = f"{value:.{decimals}f}"
        if _passes(float(text)) == _passes(value):
            return text
    return repr(value)


def _indices(table: CountTable, groups: str | Sequence[str]) -> list[int]:
    names = [groups] if isinstance(groups, str) else list(groups)
    missing = [g for g in names if g not in table.groups]
    if missing or not names:
        raise ValueError(f"groups {missing} are not in the data; available groups: {list(table.groups)}")
    return [table.groups.index(g) for g in names]


def _finite(value: np.floating | float) -> float | None:
    value = float(value)
    return value if np.isfinite(value) else None
