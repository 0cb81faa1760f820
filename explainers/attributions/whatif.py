"""Attributions of one what-if input (design.md §6), by the same methods as the audit's attribution stage.

Text: integrated gradients against the neutral baseline for a transformers classifier (a runner with ``model`` and
``tokenizer``), else word occlusion; tabular: SHAP (tree explainer when it applies, else permutation) against a
background sample of the dataset. Weights are raw attributions toward the favourable class.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from explainers.attributions.occlusion import occlusion_pairs
from explainers.attributions.tabular_shap import shap_values
from explainers.attributions.text import explain_text_pairs
from explainers.lexicons import Lexicon
from explainers.probes.counterfactual import stream_rng

_BACKGROUND_STREAM = 11


@dataclass(frozen=True)
class WhatIfAttribution:
    """Weights of the input's words (text) or feature columns (tabular), aligned with ``names``.

    ``protected`` marks lexicon terms (text) or the protected column (tabular). ``base_value`` is the SHAP base
    value (tabular) or the neutral baseline's score (integrated gradients); None for occlusion.
    """

    method: str
    names: tuple[str, ...]
    weights: tuple[float | None, ...]
    protected: tuple[bool, ...]
    base_value: float | None
    note: str | None


def text_attribution(
    runner, text: str, *, column: str, lexicon: Lexicon | None, counterfactual: str | None = None, seed: int = 0
) -> WhatIfAttribution:
    """Word weights of ``text``: integrated gradients (transformers) or occlusion (models known by scores).

    The pair machinery explains (text, counterfactual); only the text's own set (neutral baseline for integrated
    gradients, deletions for occlusion) is kept, which does not depend on the counterfactual. Without one, the
    text with a trailing " ." stands in (the pair machinery skips identical texts).
    """
    other = counterfactual if counterfactual and counterfactual != text else f"{text} ."
    pairs = [{"text": text, "counterfactual": other}]
    if hasattr(runner, "model") and hasattr(runner, "tokenizer"):
        result = explain_text_pairs(runner, pairs, lexicon=lexicon, faithfulness=False, n_render=0, seed=seed)
    else:

        def score_texts(texts):
            return np.asarray(runner.predict(pd.DataFrame({column: list(texts)}, dtype=object))[1])

        result = occlusion_pairs(score_texts, pairs, lexicon=lexicon, faithfulness=False, n_render=0, seed=seed)
    attribution = result.pairs[0].text_attribution
    return WhatIfAttribution(
        method=result.method,
        names=tuple(attribution.words),
        weights=tuple(attribution.weights),
        protected=tuple(attribution.protected),
        base_value=attribution.baseline_output,
        note=None if attribution.converged in (None, True) else "integration did not reach the completeness bound",
    )


def tabular_attribution(
    runner, row: pd.DataFrame, frame: pd.DataFrame, *, protected: str, background_rows: int = 50, seed: int = 0
) -> WhatIfAttribution:
    """SHAP values of one row against a seeded background sample of ``frame`` (the dataset)."""
    features = list(runner.feature_columns) if runner.feature_columns is not None else list(row.columns)
    size = min(int(background_rows), len(frame))
    picked = np.sort(stream_rng(seed, _BACKGROUND_STREAM).choice(len(frame), size=size, replace=False))
    background = frame.iloc[picked][features].reset_index(drop=True)
    explained = shap_values(
        runner, row[features].reset_index(drop=True), background, features, seed=seed, chunk=1, progress=_ignore
    )
    return WhatIfAttribution(
        method=f"shap_{explained.method}",
        names=tuple(features),
        weights=tuple(float(v) if np.isfinite(v) else None for v in explained.values[0]),
        protected=tuple(name == protected for name in features),
        base_value=float(explained.base[0]) if explained.base.size else None,
        note=explained.note,
    )


def _ignore(done: int, total: int) -> None:
    return None
