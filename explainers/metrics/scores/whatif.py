"""What-if: how group-specific thresholds from fairlearn's ThresholdOptimizer would move DI, EOD and accuracy.

This is an ANALYSIS, NOT A RECOMMENDATION. Thresholds that depend on the protected attribute are disparate
treatment in many jurisdictions, the optimiser's decisions are randomised, and it is fitted and scored on the
same rows. The result says so in its ``label`` and ``notes`` so no report can present it as advice.

The optimiser (Hardt et al. 2016, as implemented in fairlearn 0.15) needs row-level scores, so unlike the
histogram analyses it runs on a seeded subsample of at most ``max_rows`` rows. Metrics are design.md §4's,
computed on that subsample through :func:`~explainers.metrics.count_table` before and after.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from fairlearn.postprocessing import ThresholdOptimizer
from sklearn.base import BaseEstimator

from explainers.metrics import rates
from explainers.metrics.counts import CountTable, _as_bool, count_table
from explainers.metrics.scores._json import by_group, json_float
from explainers.metrics.scores.histogram import _as_float, group_codes

LABEL = "analysis, not a recommendation"

# Our constraint names -> fairlearn's. Equal opportunity (design.md §4's EOD) is parity of TPR.
CONSTRAINTS = {"demographic_parity": "demographic_parity", "equal_opportunity": "true_positive_rate_parity"}
OBJECTIVE = "accuracy_score"


class ScoreAsPrediction(BaseEstimator):
    """Identity "model" for ``ThresholdOptimizer(prefit=True, predict_method="predict")``: X's column is the score.

    A ``BaseEstimator`` because scikit-learn 1.9's ``check_is_fitted`` demands one (for its tags).
    """

    def fit(self, X: Any, y: Any = None) -> ScoreAsPrediction:  # check_is_fitted demands a fit method
        return self

    def predict(self, X: Any) -> np.ndarray:
        return np.asarray(X, dtype=np.float64)[:, 0]

    def __sklearn_is_fitted__(self) -> bool:
        return True  # otherwise prefit=True warns that the estimator "is not fitted"


def threshold_optimizer_whatif(
    groups: Any,
    scores: Any,
    outcome: Any,
    *,
    reference_group: str,
    constraint: str = "demographic_parity",
    decision_threshold: float = 0.5,
    max_rows: int = 200_000,
    seed: int = 0,
    score_resolution: float | None = 1e-3,
) -> dict[str, Any]:
    """Fit ThresholdOptimizer on the scores and compare DI / EOD / accuracy before and after (design.md §4).

    "before" is the single threshold ``score >= decision_threshold`` for everyone; "after" is the optimiser's
    randomised group-specific rule, drawn once with ``random_state=seed``. Both are computed on the same rows.

    Args:
        groups, scores, outcome: row-level data as for :func:`score_histogram` (outcome True = favourable).
        reference_group: the group DI and EOD compare with.
        constraint: ``"demographic_parity"`` or ``"equal_opportunity"`` (fairlearn ``true_positive_rate_parity``).
        max_rows, seed: rows above ``max_rows`` are subsampled without replacement with this seed (recorded).
        score_resolution: scores are rounded to multiples of this before fitting, because fairlearn 0.15 walks
            every distinct score in pure Python (about 7 s at 200k distinct scores, 0.2 s on a 1e-3 grid);
            None fits on the raw scores.

    Returns:
        ``{"label", "constraint", "fairlearn_constraint", "objective", "reference_group", "decision_threshold",
        "rows_total", "rows_used", "subsampled", "seed", "score_resolution", "before", "after", "notes"}`` plus
        ``"group_thresholds"`` (``{group: {"operations": [{"probability", "operator", "threshold", "rule"}]}}``,
        an infinite threshold as None) or, when the fitted object does not expose them, ``"group_thresholds_note"``.
        "before" and "after" each hold ``selection_rate``, ``tpr``, ``disparate_impact`` and
        ``equal_opportunity_difference`` as ``{group: value}``, and the overall ``accuracy``.

    Raises:
        ValueError: on an unknown constraint, NaN scores, bad inputs, a reference group absent from the rows
            used, or a group whose rows all share one outcome (the optimiser cannot place a threshold there).
    """
    if constraint not in CONSTRAINTS:
        raise ValueError(f"constraint must be one of {sorted(CONSTRAINTS)}, got {constraint!r}")
    if int(max_rows) != max_rows or max_rows < 1:
        raise ValueError(f"max_rows must be a positive integer, got {max_rows!r}")
    if score_resolution is not None and not score_resolution > 0:
        raise ValueError(f"score_resolution must be positive or None, got {score_resolution!r}")
    codes, labels = group_codes(groups)
    values = _as_float("scores", scores, len(codes))
    y = _as_bool("outcome", outcome, len(codes))
    rows_total = len(codes)
    if rows_total > max_rows:
        # Sorted so the subsample keeps the data's row order; the optimiser is order-free, but it eases debugging.
        keep = np.sort(np.random.default_rng(seed).choice(rows_total, size=int(max_rows), replace=False))
        codes, values, y = codes[keep], values[keep], y[keep]
    sensitive = np.asarray(labels, dtype=object)[codes]

    before = count_table(sensitive, values >= decision_threshold, y)
    _check_fittable(before, reference_group)
    after_decision, optimizer = _fit_and_predict(sensitive, values, y, constraint, seed, score_resolution)
    after = count_table(sensitive, after_decision, y)

    result: dict[str, Any] = {
        "label": LABEL,
        "constraint": constraint,
        "fairlearn_constraint": CONSTRAINTS[constraint],
        "objective": OBJECTIVE,
        "reference_group": reference_group,
        "decision_threshold": float(decision_threshold),
        "rows_total": rows_total,
        "rows_used": len(codes),
        "subsampled": len(codes) < rows_total,
        "seed": int(seed),
        "score_resolution": None if score_resolution is None else float(score_resolution),
        "before": _summary(before, reference_group),
        "after": _summary(after, reference_group),
    }
    thresholds = _group_thresholds(optimizer)
    if thresholds is None:
        result["group_thresholds_note"] = "the fitted ThresholdOptimizer does not expose its per-group thresholds"
    else:
        result["group_thresholds"] = thresholds
    result["notes"] = [
        "Group-specific thresholds use the protected attribute at decision time, which can amount to disparate "
        "treatment, unlawful in many settings; this shows a trade-off, it does not recommend a policy.",
        "The optimiser is fitted and evaluated on the same rows, so the 'after' accuracy is optimistic.",
        f"'after' decisions are randomised between two thresholds per group, drawn once with random_state={seed}.",
        f"fairlearn thresholds are strict (score > t); 'before' uses score >= {float(decision_threshold)}.",
    ]
    if score_resolution is not None:
        result["notes"].append(f"Scores were rounded to multiples of {float(score_resolution)} before fitting.")
    return result


def _check_fittable(table: CountTable, reference_group: str) -> None:
    """Refuse, with our own message, the inputs on which the optimiser would fail or the comparison is undefined."""
    if reference_group not in table.groups:
        raise ValueError(f"reference group {reference_group!r} is not in the rows used; groups: {list(table.groups)}")
    cells = np.asarray(table.cells)
    one_outcome = [
        g
        for g, pos, neg in zip(table.groups, rates.n_positive(cells), rates.n_negative(cells), strict=True)
        if pos == 0 or neg == 0
    ]
    if one_outcome:
        raise ValueError(f"groups {one_outcome} have a single outcome value; ThresholdOptimizer needs both in each")


def _fit_and_predict(
    sensitive: np.ndarray, values: np.ndarray, y: np.ndarray, constraint: str, seed: int, resolution: float | None
) -> tuple[np.ndarray, Any]:
    """Fit the optimiser around the identity model and draw its randomised decisions once."""
    if resolution is not None:
        values = np.round(values / resolution) * resolution
    features = values.reshape(-1, 1)
    optimizer = ThresholdOptimizer(
        estimator=ScoreAsPrediction(),
        constraints=CONSTRAINTS[constraint],
        objective=OBJECTIVE,
        prefit=True,
        predict_method="predict",  # "auto" would look for predict_proba / decision_function first
    )
    optimizer.fit(features, y.astype(np.int64), sensitive_features=sensitive)
    decision = optimizer.predict(features, sensitive_features=sensitive, random_state=seed)
    return np.asarray(decision).astype(bool), optimizer


def _summary(table: CountTable, reference_group: str) -> dict[str, Any]:
    """SR, TPR, DI = SR_g / SR_ref, EOD = TPR_g - TPR_ref per group and overall accuracy (design.md §4)."""
    cells = np.asarray(table.cells)
    reference = table.groups.index(reference_group)
    selection = rates.selection_rate(cells)
    tpr = rates.true_positive_rate(cells)
    correct = cells[:, 1, 1].sum() + cells[:, 0, 0].sum()
    return {
        "selection_rate": by_group(table.groups, selection),
        "tpr": by_group(table.groups, tpr),
        "disparate_impact": by_group(table.groups, rates.safe_divide(selection, selection[reference])),
        "equal_opportunity_difference": by_group(table.groups, tpr - tpr[reference]),
        "accuracy": json_float(correct / cells.sum()),
    }


def _group_thresholds(optimizer: Any) -> dict[str, Any] | None:
    """Per-group interpolated thresholds, or None if this fairlearn version keeps them elsewhere.

    fairlearn stores, per group, "with probability p0 apply operation0, else operation1", each operation being
    ``score > t`` (or ``<`` when flipping); a threshold of -inf selects everyone and +inf no one.
    """
    interpolation = getattr(getattr(optimizer, "interpolated_thresholder_", None), "interpolation_dict", None)
    if not isinstance(interpolation, Mapping):
        return None
    try:
        thresholds = {}
        for group, rule in interpolation.items():
            operations = []
            for p_key, operation_key in (("p0", "operation0"), ("p1", "operation1")):
                operation = rule[operation_key]
                operator, threshold = str(operation.operator), float(operation.threshold)
                operations.append(
                    {
                        "probability": float(rule[p_key]),
                        "operator": operator,
                        "threshold": json_float(threshold),
                        "rule": _describe(operator, threshold),
                    }
                )
            entry: dict[str, Any] = {"operations": operations}
            if "p_ignore" in rule:  # only equalized odds sets these; kept so nothing fitted is hidden
                entry["p_ignore"] = float(rule["p_ignore"])
                entry["prediction_constant"] = float(rule["prediction_constant"])
            thresholds[str(group)] = entry
    except (AttributeError, KeyError, TypeError):  # fitted internals, not a stable API
        return None
    return thresholds


def _describe(operator: str, threshold: float) -> str:
    """Readable form of one threshold operation, spelling out the infinite cases."""
    if np.isinf(threshold):
        selects_all = (operator == ">") == (threshold < 0)
        return "everyone" if selects_all else "no one"
    return f"score {operator} {threshold:.6g}"
