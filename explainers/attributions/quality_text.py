"""The explanation-quality stage of a text classifier: stability of each method and their consistency.

Transformers classifiers (a runner with ``model`` and ``tokenizer``): integrated gradients and word occlusion, each
checked for stability, and the two compared (consistency). Models known only by their scores: word occlusion's
stability alone (there is no second method that costs as little to compare with).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import asdict

import numpy as np
import pandas as pd

from explainers.attributions.quality import consistency, stability
from explainers.attributions.single import ig_words, occlusion_words
from explainers.runners.hf_common import clean_texts


def vocabulary_check(runner):
    """known(word): the tokenizer reads the word without its unknown token (None for runners without one)."""
    tokenizer = getattr(runner, "tokenizer", None)
    unknown = getattr(tokenizer, "unk_token_id", None)
    if tokenizer is None or unknown is None:
        return None

    def known(word: str) -> bool:
        return unknown not in tokenizer(word, add_special_tokens=False)["input_ids"]

    return known


def text_scorer(runner, text_column: str):
    if hasattr(runner, "score_texts"):
        return runner.score_texts
    return lambda texts: np.asarray(runner.predict(pd.DataFrame({text_column: list(texts)}))[1])


def text_quality(runner, texts: Sequence, *, text_column: str = "text") -> dict:
    """JSON-ready {"stability": [...per method], "consistency": {...} | None, "cost"} on ``texts``."""
    began = time.perf_counter()
    texts = [t for t in dict.fromkeys(clean_texts(list(texts))) if t.strip()]
    known = vocabulary_check(runner)
    score = text_scorer(runner, text_column)
    methods = {"occlusion": _memo(lambda batch: occlusion_words(score, batch))}
    if hasattr(runner, "model") and hasattr(runner, "tokenizer"):
        methods = {"integrated_gradients": _memo(lambda batch: ig_words(runner, batch)), **methods}
    results, seconds = [], {}
    for name, attribute in methods.items():
        started = time.perf_counter()
        results.append(asdict(stability(attribute, texts, method=name, known=known)))
        seconds[name] = round(time.perf_counter() - started, 4)
    agreement = None
    if len(methods) == 2:
        names = tuple(methods)
        first, second = (methods[name](texts) for name in names)
        agreement = asdict(consistency(first, second, methods=names))
    total = time.perf_counter() - began
    return {
        "kind": "text",
        "stability": results,
        "consistency": agreement,
        "cost": {
            "examples": len(texts),
            "seconds": round(total, 4),
            "seconds_by_method": seconds,
            "seconds_per_1000": round(1000 * total / len(texts), 4) if texts else None,
        },
    }


def _memo(attribute):
    """The method, explaining each distinct text once (consistency reuses the stability stage's originals)."""
    done: dict = {}

    def call(batch: list[str]):
        missing = [t for t in dict.fromkeys(batch) if t not in done]
        if missing:
            done.update(zip(missing, attribute(missing), strict=True))
        return [done[t] for t in batch]

    return call
