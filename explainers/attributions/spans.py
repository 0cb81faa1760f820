"""Exact decomposition of a pair's delta over its substituted spans by feature ablation (design.md §6).

With k substituted spans ("She ... her" has two), every mix of original and counterfactual spans is scored: 2^k
texts, mix(S) = x with the spans in S taken from x'. The game v(S) = f(mix(S)) - f(x) has v(empty) = 0 and
v(all) = f(x') - f(x) = delta (the probe's sign), and the Shapley value of span i,

    phi_i = sum over S not holding i of |S|! (k - |S| - 1)! / k! * (v(S + i) - v(S))

(Shapley 1953), splits delta exactly: the values sum to v(all) (efficiency), and with one span phi = delta.
k is capped (``MAX_SPANS``): 2^k model calls per pair grow fast, and a lexicon swap rarely touches more words.
"""

from __future__ import annotations

from math import factorial

import numpy as np

from explainers.attributions.results import SpanDecomposition, SpanValue, finite
from explainers.attributions.words import PairWords, mix_text

MAX_SPANS = 5


def shapley_values(values: np.ndarray) -> np.ndarray:
    """Exact Shapley values of a game given on all coalitions: ``values[mask]`` = v(S), bit i of mask = player i.

    Raises:
        ValueError: if the number of values is not a power of two.
    """
    values = np.asarray(values, dtype=np.float64)
    k = int(values.size).bit_length() - 1
    if values.size != 1 << k:
        raise ValueError("a game on k players needs 2^k coalition values")
    weights = [factorial(size) * factorial(k - size - 1) / factorial(k) for size in range(k)]
    phi = np.zeros(k, dtype=np.float64)
    for mask in range(values.size):
        size = mask.bit_count()
        for player in range(k):
            if not mask >> player & 1:
                phi[player] += weights[size] * (values[mask | 1 << player] - values[mask])
    return phi


def span_mix_texts(pair: PairWords, max_spans: int = MAX_SPANS) -> list[str]:
    """The 2^k texts to score, in coalition-mask order (mask 0 = x, last = x'); empty when k is 0 or > max_spans."""
    k = len(pair.spans)
    if k == 0 or k > max_spans:
        return []
    return [mix_text(pair, {i for i in range(k) if mask >> i & 1}) for mask in range(1 << k)]


def span_decomposition(pair: PairWords, outputs: np.ndarray | None, max_spans: int = MAX_SPANS) -> SpanDecomposition:
    """Shapley values of each span from the scores of :func:`span_mix_texts` (same order)."""
    k = len(pair.spans)
    if k == 0:
        return SpanDecomposition(status="no_spans", spans=(), total=0.0, evaluations=0)
    described = [_describe(pair, index) for index in range(k)]
    if k > max_spans or outputs is None:
        spans = tuple(SpanValue(text_words=a, counterfactual_words=b, value=None) for a, b in described)
        return SpanDecomposition(status="skipped", spans=spans, total=None, evaluations=0)
    outputs = np.asarray(outputs, dtype=np.float64)
    phi = shapley_values(outputs - outputs[0])
    spans = tuple(
        SpanValue(text_words=a, counterfactual_words=b, value=finite(v))
        for (a, b), v in zip(described, phi, strict=True)
    )
    return SpanDecomposition(status="exact", spans=spans, total=finite(outputs[-1] - outputs[0]), evaluations=1 << k)


def _describe(pair: PairWords, index: int) -> tuple[str, str]:
    span = pair.spans[index]
    return (
        " ".join(pair.text.words[span.start : span.stop]),
        " ".join(pair.counterfactual.words[span.cf_start : span.cf_stop]),
    )
