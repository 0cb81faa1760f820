"""Faithfulness of tabular attributions: AOPC comprehensiveness and sufficiency (design.md §6; DeYoung et al. 2020).

design.md §6 removes the top-k% *tokens*; a table has no empty cell to put in their place, so a removed feature takes
the value it has in one background row (the column's value from a seeded draw among the background sample, one donor
row per explained row, the same donor for every k and ranking). With M features, k in 10%, ..., 100% and
m_k = ceil(k M) features:

    comprehensiveness = mean_k [ p(x) - p(x with its top m_k features taken from the donor) ]   (higher is better)
    sufficiency       = mean_k [ p(x) - p(x keeping only its top m_k features, the rest from the donor) ]  (lower)

Features are ranked by |SHAP value| (ties by column order). p is the probability of the side the model decides x is
on: P(favourable) when ``predict`` gives the favourable class, else 1 - P(favourable), so p(x) - p(x') is
``s * (score(x) - score(x'))`` with s = +1 or -1. The same is computed for one seeded random ranking per row, in the
same model call; ``faithful`` is True when the SHAP ranking's comprehensiveness is above the random one's.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from explainers.probes.counterfactual import stream_rng

FRACTIONS = tuple(round(0.1 * step, 1) for step in range(1, 11))
FAITHFULNESS_STREAM = 12  # a random stream of the seed of its own (explainers.probes.counterfactual.stream_rng)


def top_counts(n_features: int) -> list[int]:
    """m_k = ceil(k M) for each fraction k, at least one feature."""
    return [max(1, math.ceil(fraction * n_features - 1e-9)) for fraction in FRACTIONS]


def tabular_faithfulness(
    runner,
    rows: pd.DataFrame,
    background: pd.DataFrame,
    values: np.ndarray,
    features: list[str],
    *,
    decisions: np.ndarray,
    scores: np.ndarray,
    seed: int,
) -> dict:
    """AOPC of the SHAP ranking and of a random ranking, for every row of ``rows``, with one ``runner.scores`` call.

    Args:
        values: SHAP values ``(n, len(features))`` of ``rows``.
        decisions, scores: the runner's decision (favourable or not) and P(favourable) for ``rows``.

    Returns:
        JSON-ready dict: comprehensiveness, sufficiency, random_comprehensiveness, random_sufficiency,
        comprehensiveness_gain, faithful, fractions, n_rows, n_perturbed (rows scored), replacement (the rule).
    """
    n, m = values.shape
    rng = stream_rng(seed, FAITHFULNESS_STREAM)
    donors = background.iloc[rng.integers(len(background), size=n)][features].reset_index(drop=True)
    rankings = {
        "shap": np.argsort(-np.abs(values), axis=1, kind="stable"),
        "random": np.argsort(rng.random((n, m)), axis=1),
    }
    keeps = []  # (variant, n, m) True where x keeps its own value
    for order in rankings.values():
        position = np.empty_like(order)
        np.put_along_axis(position, order, np.arange(m)[None, :].repeat(n, axis=0), axis=1)
        for count in top_counts(m):
            top = position < count
            keeps.extend([~top, top])  # comprehensiveness drops the top features, sufficiency keeps only them
    keep = np.stack(keeps) if n else np.zeros((0, n, m), dtype=bool)
    perturbed = _perturbed(rows[features].reset_index(drop=True), donors, keep)
    changed = runner.scores(perturbed).reshape(len(keeps), n) if n else np.zeros((len(keeps), 0))
    side = np.where(np.asarray(decisions, dtype=bool), 1.0, -1.0)
    drops = side[None, :] * (np.asarray(scores, dtype=np.float64)[None, :] - changed)  # (variant, n)
    per_ranking = drops.reshape(len(rankings), len(FRACTIONS), 2, n).mean(axis=(1, 3)) if n else np.full((2, 2), np.nan)
    (comp, suff), (random_comp, random_suff) = per_ranking
    gain = comp - random_comp
    return {
        "comprehensiveness": _finite(comp),
        "sufficiency": _finite(suff),
        "random_comprehensiveness": _finite(random_comp),
        "random_sufficiency": _finite(random_suff),
        "comprehensiveness_gain": _finite(gain),
        "faithful": bool(gain > 0) if np.isfinite(gain) else None,
        "fractions": list(FRACTIONS),
        "n_rows": int(n),
        "n_perturbed": int(len(perturbed)),
        "replacement": "value of the column in a seeded background row (one donor row per explained row)",
    }


def _perturbed(rows: pd.DataFrame, donors: pd.DataFrame, keep: np.ndarray) -> pd.DataFrame:
    """Stacked copies of ``rows``, copy v holding each row's own value where ``keep[v]`` and the donor's elsewhere."""
    variants = keep.shape[0]
    data = {}
    for j, column in enumerate(rows.columns):
        own = np.tile(rows[column].to_numpy(dtype=object), variants)
        donor = np.tile(donors[column].to_numpy(dtype=object), variants)
        mixed = np.where(keep[:, :, j].reshape(-1), own, donor)
        # Through object and back to the column's dtype, so a categorical stays categorical and an int stays int.
        data[column] = pd.Series(mixed, dtype=object).astype(rows[column].dtype)
    return pd.DataFrame(data, columns=rows.columns)


def _finite(value) -> float | None:
    value = float(value)
    return value if math.isfinite(value) else None
