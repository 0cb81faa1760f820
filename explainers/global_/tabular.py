"""Global explanations of a tabular model (issue 16 §2): SHAP importance per group and partial dependence.

Importance: mean |SHAP| of every feature within each group of the protected attribute, from
:func:`explainers.attributions.tabular.explain_tabular` on a seeded sample (its faithfulness check skipped).
Partial dependence (Friedman 2001): for the protected column (when the model reads it) and its strongest proxies
(the features most associated with it), the mean P(favourable) over the sample with the column set to each value of
a grid (every category, up to ``MAX_CATEGORIES``; ``GRID`` quantiles of a numeric column), overall and per group.
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd

from explainers.attributions.tabular import explain_tabular

GRID = 10
MAX_CATEGORIES = 20


def tabular_global(
    runner,
    frame: pd.DataFrame,
    *,
    protected: str,
    max_rows: int = 200,
    background_rows: int = 50,
    seed: int = 0,
    n_proxies: int = 3,
) -> dict:
    """JSON-ready {"importance", "partial_dependence", "method", "cost"} for one protected column."""
    began = time.perf_counter()
    explained = explain_tabular(
        runner, frame, protected=protected, max_rows=max_rows, background_rows=background_rows, seed=seed,
        n_proxies=n_proxies, faithfulness=False,
    )  # fmt: skip
    importance = [
        {
            "feature": entry["feature"],
            "mean_abs": entry["mean_abs"],
            "per_group": {group: values["mean_abs"] for group, values in entry["per_group"].items()},
        }
        for entry in explained.features
    ]
    features = list(explained.feature_names)
    sample = frame.iloc[list(explained.rows)].reset_index(drop=True)
    columns = [protected] if protected in features else []
    columns += [p["feature"] for p in explained.proxies if p["is_feature"]][:n_proxies]
    shap_seconds = time.perf_counter() - began
    began = time.perf_counter()
    dependence = [
        partial_dependence(runner, sample, column, features, groups=sample[protected], proxy=column != protected)
        for column in columns
    ]
    associations = {p["feature"]: p["association"] for p in explained.proxies}
    for entry in dependence:
        entry["association"] = associations.get(entry["feature"])
    return {
        "protected": protected,
        "protected_is_feature": protected in features,
        "method": explained.method,
        "output": explained.output,
        "n_rows": explained.n_rows,
        "background_rows": explained.background_rows,
        "groups": list(explained.groups),
        "importance": importance,
        "partial_dependence": dependence,
        "cost": {
            "rows": explained.n_rows,
            "shap_seconds": round(shap_seconds, 4),
            "partial_dependence_seconds": round(time.perf_counter() - began, 4),
        },
    }


def grid_values(column: pd.Series) -> list:
    values = column.dropna()
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values) and values.nunique() > GRID:
        return sorted({float(v) for v in np.quantile(values.to_numpy(dtype=np.float64), np.linspace(0.05, 0.95, GRID))})
    return list(values.value_counts().index[:MAX_CATEGORIES])


def partial_dependence(runner, sample: pd.DataFrame, column: str, features: list[str], *, groups, proxy: bool) -> dict:
    """Mean score with ``column`` set to each grid value, overall and per group: one model call for the grid."""
    grid = grid_values(sample[column])
    blocks = []
    for value in grid:
        block = sample[features].copy()
        block[column] = value
        blocks.append(block)
    scores = runner.scores(pd.concat(blocks, ignore_index=True)).reshape(len(grid), len(sample))
    labels = pd.Series(groups).astype("string").fillna("").to_numpy()
    per_group = {str(g): [float(v) for v in scores[:, labels == g].mean(axis=1)] for g in sorted(set(labels) - {""})}
    overall = scores.mean(axis=1)
    return {
        "feature": column,
        "role": "proxy" if proxy else "protected",
        "grid": [v.item() if hasattr(v, "item") else v for v in grid],
        "mean_score": [float(v) for v in overall],
        "per_group": per_group,
        "range": float(overall.max() - overall.min()) if len(overall) else None,
    }
