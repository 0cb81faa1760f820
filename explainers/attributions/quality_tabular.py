"""Stability and consistency of tabular SHAP values (design.md §6), the tabular half of ``quality.py``.

Consistency: the SHAP back end the audit uses against a second method on the same rows: permutation SHAP when the
first is TreeSHAP; otherwise (a model-agnostic first method) background ablation, f(x) minus the mean of f with one
column set to each background row's value. Stability: the same rows with every numeric column moved by
``JITTER`` of its standard deviation (categorical columns untouched), explained again with the same background.
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd

from explainers.attributions.quality import TOP_K, agreement, compare, consistency_reading
from explainers.attributions.tabular_shap import TREE, TREE_PATH, _permutation_values, shap_values
from explainers.probes.counterfactual import stream_rng

JITTER = 0.01
ABLATION_BACKGROUND = 20
_STREAM = 31


def tabular_quality(
    runner, frame: pd.DataFrame, *, max_rows: int = 50, background_rows: int = 30, seed: int = 0, k: int = TOP_K
) -> dict:
    """JSON-ready {"stability", "consistency", "cost"} of the SHAP values of a seeded sample of ``frame``."""
    began = time.perf_counter()
    features = list(runner.feature_columns) if runner.feature_columns is not None else list(frame.columns)
    rng = stream_rng(seed, _STREAM)
    rows = frame.iloc[np.sort(rng.choice(len(frame), size=min(max_rows, len(frame)), replace=False))]
    rows = rows[features].reset_index(drop=True)
    background = frame.iloc[np.sort(rng.choice(len(frame), size=min(background_rows, len(frame)), replace=False))]
    background = background[features].reset_index(drop=True)

    def noop(done, total):
        return None

    first = shap_values(runner, rows, background, features, seed=seed, chunk=len(rows), progress=noop)
    method_a = "tree_shap" if first.method in (TREE, TREE_PATH) else "permutation_shap"
    if method_a == "tree_shap":
        second, _ = _permutation_values(runner, rows, background, features, seed=seed, chunk=len(rows), progress=noop)
        method_b = "permutation_shap"
    else:
        second, method_b = _ablation(runner, rows, background.head(ABLATION_BACKGROUND), features), "ablation"
    pairs = [c for c in (compare(a, b, k) for a, b in zip(first.values, second, strict=True)) if c is not None]
    consistent = agreement(pairs)

    jittered = rows.copy()
    for column in features:
        values = jittered[column]
        if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
            scale = float(np.nanstd(values.to_numpy(dtype=np.float64))) * JITTER
            jittered[column] = values.astype(np.float64) + rng.normal(0.0, scale, len(values))
    moved = shap_values(runner, jittered, background, features, seed=seed, chunk=len(rows), progress=noop)
    stable_pairs = [c for c in (compare(a, b, k) for a, b in zip(first.values, moved.values, strict=True)) if c]
    stable = agreement(stable_pairs)
    is_stable = None if not stable.n else (stable.mean_top_overlap or 0) >= 0.6
    seconds = time.perf_counter() - began
    return {
        "stability": {
            "method": method_a,
            "perturbation": f"numeric columns moved by {JITTER:g} of their standard deviation",
            "agreement": stable.__dict__,
            "stable": is_stable,
            "reading": _tabular_stability_reading(method_a, stable, is_stable, k),
        },
        "consistency": {
            "methods": [method_a, method_b],
            "agreement": consistent.__dict__,
            "reading": consistency_reading((method_a, method_b), consistent, k),
        },
        "cost": {"rows": len(rows), "background_rows": len(background), "seconds": round(seconds, 4)},
    }


def _ablation(runner, rows: pd.DataFrame, background: pd.DataFrame, features: list[str]) -> np.ndarray:
    """f(x) - mean_b f(x with column j = b_j), per row and column: one model call for all variants."""
    base = runner.scores(rows)
    n, m = len(rows), len(background)
    blocks = []
    for column in features:
        block = rows.loc[rows.index.repeat(m)].reset_index(drop=True)
        block[column] = np.tile(background[column].to_numpy(), n)
        blocks.append(block)
    scores = runner.scores(pd.concat(blocks, ignore_index=True)).reshape(len(features), n, m).mean(axis=2)
    return base[None, :].T - scores.T


def _tabular_stability_reading(method: str, result, stable, k: int) -> str:
    if stable is None:
        return "No row could be compared, so the stability of the SHAP values is not known."
    rho = "not computable" if result.mean_spearman is None else f"{result.mean_spearman:.2f}"
    verdict = "stable" if stable else "UNSTABLE: tiny changes of the inputs change the top features"
    return (
        f"Moving the numeric inputs of {result.n} rows by {JITTER:.0%} of a standard deviation, the feature ranking "
        f"of {method.replace('_', ' ')} kept a mean rank correlation of {rho}, and {result.mean_top_overlap:.0%} of "
        f"its top {k} features stayed in the top {k}: {verdict}."
    )
