"""Attributions of model decisions (design.md §6).

Text classifiers: :func:`explain_text_pairs` (integrated gradients on the embedding layer, as Captum's),
:func:`occlusion_pairs` (black-box word deletion) and :func:`shap_text_pairs` (black box, SHAP's partition
explainer with a text masker) explain the counterfactual pairs of the text probe, chosen by
:func:`select_pairs`; all return a :class:`TextAttributionResult` with per-pair findings, per-direction summaries,
rendered examples, faithfulness (AOPC) and cost.

Tabular models: :func:`explain_tabular` (SHAP, tree or model-agnostic) with per-group aggregates, the protected
column's and its proxies' shares, and faithfulness.
"""

from explainers.attributions.occlusion import occlusion_pairs
from explainers.attributions.pairs import select_pairs
from explainers.attributions.results import (
    AttributionCost,
    AttributionSet,
    ContextDifference,
    DirectionSummary,
    Faithfulness,
    PairAttribution,
    RenderedExample,
    SpanDecomposition,
    SpanValue,
    TextAttributionResult,
)
from explainers.attributions.shap_text import shap_text_pairs
from explainers.attributions.spans import shapley_values
from explainers.attributions.tabular import TabularAttributionResult, explain_tabular
from explainers.attributions.text import explain_text_pairs

__all__ = [
    "TabularAttributionResult",
    "explain_tabular",
    "AttributionCost",
    "AttributionSet",
    "ContextDifference",
    "DirectionSummary",
    "Faithfulness",
    "PairAttribution",
    "RenderedExample",
    "SpanDecomposition",
    "SpanValue",
    "TextAttributionResult",
    "explain_text_pairs",
    "occlusion_pairs",
    "shap_text_pairs",
    "select_pairs",
    "shapley_values",
]
