"""The global-explanation stage of a transformers text classifier: activation clusters and attention (issue 16 §2).

Groups of a text come from the dataset's protected columns and, for each lexicon, from the terms it holds: a text
with terms of exactly one group of the lexicon belongs to that group, one with terms of several is "(mixed)", one
with none has no group for that lexicon.
"""

from __future__ import annotations

import re
import time
from collections.abc import Sequence

import numpy as np

from explainers.attributions.single import ig_words
from explainers.global_.attention import attention_summary, protected_positions
from explainers.global_.clusters import cluster_activations, text_activations
from explainers.lexicons import Lexicon
from explainers.runners.hf_common import clean_texts

MIXED = "(mixed)"


def lexicon_groups(texts: Sequence[str], lexicon: Lexicon) -> list[str | None]:
    """Each text's lexicon group (see the module docstring), None when it holds no term."""
    patterns = {
        group: re.compile(r"\b(?:" + "|".join(map(re.escape, lexicon.terms(group))) + r")\b", re.IGNORECASE)
        for group in lexicon.groups
    }
    out = []
    for text in texts:
        present = [group for group, pattern in patterns.items() if pattern.search(text or "")]
        out.append(present[0] if len(present) == 1 else (MIXED if present else None))
    return out


def lexicon_terms(lexicon: Lexicon) -> set[str]:
    return {term for group in lexicon.groups for term in lexicon.terms(group)}


def text_global(
    runner,
    texts: Sequence,
    groups: dict[str, Sequence],
    *,
    lexicons: Sequence[Lexicon] = (),
    layer: int | None = None,
    seed: int = 0,
    alpha: float = 0.05,
    n_attention: int = 5,
) -> dict:
    """JSON-ready {"clusters", "attention", "cost"} of a TextClassifierRunner over ``texts``."""
    texts = clean_texts(list(texts))
    groups = dict(groups)
    for lexicon in lexicons:
        groups[f"lexicon:{lexicon.name}"] = lexicon_groups(texts, lexicon)
    began = time.perf_counter()
    activations, used, n_layers = text_activations(runner, texts, layer)
    forward_seconds = time.perf_counter() - began
    decisions = runner.probabilities(texts).argmax(axis=1) == runner.favourable_index
    clusters = cluster_activations(
        activations, texts, decisions, groups, seed=seed, alpha=alpha, layer=used, n_layers=n_layers,
        forward_seconds=forward_seconds,
    )  # fmt: skip
    clustering_seconds = time.perf_counter() - began
    attention = []
    began = time.perf_counter()
    for lexicon in lexicons:
        terms = lexicon_terms(lexicon)
        chosen = [t for t in dict.fromkeys(texts) if protected_positions(t, terms)][: max(int(n_attention), 0)]
        ig = ig_words(runner, chosen) if chosen else []
        summary = attention_summary(runner, chosen, terms, ig=ig)
        attention.append({"lexicon": lexicon.name, **summary})
    attention_seconds = time.perf_counter() - began
    n = len(texts)
    return {
        "kind": "text",
        "clusters": clusters.__dict__,
        "attention": attention,
        "cost": {
            "examples": n,
            "clustering_seconds": round(clustering_seconds, 4),
            "attention_seconds": round(attention_seconds, 4),
            "attention_examples": sum(a["n_examples"] for a in attention),
            "seconds_per_1000": round(1000 * clustering_seconds / n, 4) if n else None,
        },
        "decision_rate": float(np.mean(decisions)) if n else None,
    }
