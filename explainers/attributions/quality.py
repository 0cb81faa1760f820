"""Explanation quality beyond faithfulness: stability and consistency of word attributions (design.md §6).

Stability: each text is rewritten without changing its meaning (casing of its first letter, its final punctuation,
one word replaced by a synonym from the project-written list ``data/synonyms.v1.json``) and explained again. The
rewrites keep the text's content words (runs of word characters) in place, so the attributions of the original
and the rewritten text are compared word by word: Spearman's rank correlation of the signed weights, and the share
of the original's top-k words (by |weight|) that stay in the rewritten text's top k. A method whose top words
move (mean top-k overlap below ``MIN_TOP_OVERLAP``) or whose ranking barely survives (mean Spearman below
``MIN_SPEARMAN``) is flagged unstable.

Consistency: two methods on the same texts (integrated gradients and word occlusion for transformers
classifiers), the same two figures between them; a reading says how far they agree.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
from scipy import stats

from explainers.attributions.single import WordAttribution

SYNONYMS_FILE = Path(__file__).parent / "data" / "synonyms.v1.json"
TOP_K = 3
MIN_TOP_OVERLAP = 0.6  # below: the top words change under a rewrite of the same meaning -> unstable
MIN_SPEARMAN = 0.5
MIN_CONTENT_WORDS = 3  # texts with fewer content words give no ranking worth comparing
PERTURBATIONS = ("casing", "punctuation", "synonym")
_CONTENT = re.compile(r"\w")
_FINAL_PUNCTUATION = re.compile(r"\s*[.!?]+\s*$")

Attribute = Callable[[list[str]], list[WordAttribution]]


@dataclass(frozen=True)
class Agreement:
    """Agreement of two word rankings over texts: mean Spearman and mean top-k overlap, with their counts."""

    n: int
    mean_spearman: float | None
    median_spearman: float | None
    mean_top_overlap: float | None
    top_changed_share: float | None  # share of comparisons whose top-k word set is not the same


@dataclass(frozen=True)
class StabilityResult:
    method: str
    n_texts: int
    k: int
    overall: Agreement
    by_perturbation: dict[str, Agreement]
    stable: bool | None
    reading: str
    synonyms: dict = field(default_factory=dict)
    seconds: float = 0.0


@dataclass(frozen=True)
class ConsistencyResult:
    methods: tuple[str, str]
    k: int
    agreement: Agreement
    reading: str
    seconds: float = 0.0


@lru_cache(maxsize=1)
def load_synonyms() -> tuple[dict[str, str], dict]:
    """word -> synonym (both directions, first pair wins) and the file's provenance (name, version, source)."""
    data = json.loads(SYNONYMS_FILE.read_text(encoding="utf-8"))
    mapping: dict[str, str] = {}
    for left, right in data["pairs"]:
        mapping.setdefault(left.lower(), right.lower())
        mapping.setdefault(right.lower(), left.lower())
    provenance = {key: data[key] for key in ("name", "version", "licence", "source")}
    return mapping, provenance


def perturb(text: str, kind: str, *, known: Callable[[str], bool] | None = None) -> str | None:
    """The text rewritten by one meaning-preserving change, or None when that change does not apply."""
    if kind == "casing":
        first = next((i for i, c in enumerate(text) if c.isalpha()), None)
        if first is None:
            return None
        flipped = text[first].lower() if text[first].isupper() else text[first].upper()
        return text[:first] + flipped + text[first + 1 :]
    if kind == "punctuation":
        if _FINAL_PUNCTUATION.search(text):
            return _FINAL_PUNCTUATION.sub("", text)
        return text.rstrip() + "."
    if kind == "synonym":
        mapping, _ = load_synonyms()
        for match in re.finditer(r"\w+", text):
            word = match.group(0)
            synonym = mapping.get(word.lower())
            if synonym and (known is None or known(synonym)):
                replacement = synonym.capitalize() if word[:1].isupper() else synonym
                return text[: match.start()] + replacement + text[match.end() :]
        return None
    raise ValueError(f"unknown perturbation {kind!r}; one of {PERTURBATIONS}")


def content_weights(attribution: WordAttribution) -> np.ndarray:
    """The weights of the content words (punctuation marks left out), in text order."""
    return np.array(
        [w for word, w in zip(attribution.words, attribution.weights, strict=True) if _CONTENT.search(word)]
    )


def compare(a: np.ndarray, b: np.ndarray, k: int = TOP_K) -> tuple[float | None, float] | None:
    """(Spearman of a and b, share of a's top-k by |weight| in b's top-k); None when the words do not align."""
    if len(a) != len(b) or len(a) < MIN_CONTENT_WORDS:
        return None
    k = min(k, len(a))
    top_a = set(np.argsort(-np.abs(a), kind="stable")[:k])
    top_b = set(np.argsort(-np.abs(b), kind="stable")[:k])
    overlap = len(top_a & top_b) / k
    if np.ptp(a) == 0 or np.ptp(b) == 0:
        return (1.0 if np.array_equal(a, b) else None), overlap
    return float(stats.spearmanr(a, b).statistic), overlap


def agreement(pairs: Sequence[tuple[float | None, float]]) -> Agreement:
    correlations = [r for r, _ in pairs if r is not None and np.isfinite(r)]
    overlaps = [o for _, o in pairs]
    return Agreement(
        n=len(pairs),
        mean_spearman=float(np.mean(correlations)) if correlations else None,
        median_spearman=float(np.median(correlations)) if correlations else None,
        mean_top_overlap=float(np.mean(overlaps)) if overlaps else None,
        top_changed_share=float(np.mean([o < 1 for o in overlaps])) if overlaps else None,
    )


def stability(
    attribute: Attribute,
    texts: Sequence[str],
    *,
    method: str,
    known: Callable[[str], bool] | None = None,
    k: int = TOP_K,
) -> StabilityResult:
    """Stability of one attribution method under the meaning-preserving rewrites of ``PERTURBATIONS``.

    ``attribute`` explains a list of texts (one :class:`WordAttribution` each, in order); it is called once with
    the originals and every rewrite together. ``known(word)`` says whether the model's vocabulary holds a synonym
    (a word it reads as unknown is no meaning-preserving rewrite for it).
    """
    began = time.perf_counter()
    texts = [t for t in texts if len([w for w in re.findall(r"\w+", t)]) >= MIN_CONTENT_WORDS]
    variants: list[tuple[int, str, str]] = []
    for index, text in enumerate(texts):
        for kind in PERTURBATIONS:
            rewritten = perturb(text, kind, known=known)
            if rewritten is not None and rewritten != text:
                variants.append((index, kind, rewritten))
    explained = attribute(list(texts) + [v for _, _, v in variants]) if texts else []
    originals = [content_weights(a) for a in explained[: len(texts)]]
    by_kind: dict[str, list] = {kind: [] for kind in PERTURBATIONS}
    for (index, kind, _), result in zip(variants, explained[len(texts) :], strict=True):
        compared = compare(originals[index], content_weights(result), k)
        if compared is not None:
            by_kind[kind].append(compared)
    overall = agreement([pair for pairs in by_kind.values() for pair in pairs])
    stable = None
    if overall.n:
        stable = (overall.mean_top_overlap or 0) >= MIN_TOP_OVERLAP and (
            overall.mean_spearman is None or overall.mean_spearman >= MIN_SPEARMAN
        )
    return StabilityResult(
        method=method,
        n_texts=len(texts),
        k=k,
        overall=overall,
        by_perturbation={kind: agreement(pairs) for kind, pairs in by_kind.items()},
        stable=stable,
        reading=_stability_reading(method, overall, stable, k, len(texts)),
        synonyms=load_synonyms()[1],
        seconds=round(time.perf_counter() - began, 4),
    )


def consistency(
    first: Sequence[WordAttribution], second: Sequence[WordAttribution], *, methods: tuple[str, str], k: int = TOP_K
) -> ConsistencyResult:
    """Agreement of two methods' attributions of the same texts (same order)."""
    pairs = []
    for a, b in zip(first, second, strict=True):
        compared = compare(content_weights(a), content_weights(b), k)
        if compared is not None:
            pairs.append(compared)
    result = agreement(pairs)
    reading = consistency_reading(methods, result, k, unit="words")
    return ConsistencyResult(methods=methods, k=k, agreement=result, reading=reading)


def _stability_reading(method: str, overall: Agreement, stable: bool | None, k: int, n_texts: int) -> str:
    name = method.replace("_", " ")
    if stable is None:
        return f"No text could be rewritten and compared, so the stability of {name} is not known."
    rho = "not computable" if overall.mean_spearman is None else f"{overall.mean_spearman:.2f}"
    verdict = "stable" if stable else "UNSTABLE: its top words change when the wording changes but the meaning does not"
    return (
        f"Over {overall.n} rewrites of {n_texts} texts that keep their meaning (casing, punctuation, a synonym), the "
        f"word ranking of {name} kept a mean rank correlation of {rho}, and {overall.mean_top_overlap:.0%} of its top "
        f"{k} words stayed in the top {k}: {verdict}."
    )


def consistency_reading(methods: tuple[str, str], result: Agreement, k: int, unit: str = "features") -> str:
    a, b = (m.replace("_", " ") for m in methods)
    if not result.n or result.mean_top_overlap is None:
        return f"{a} and {b} could not be compared on these examples."
    rho = "not computable" if result.mean_spearman is None else f"{result.mean_spearman:.2f}"
    level = "agree" if result.mean_top_overlap >= MIN_TOP_OVERLAP else "disagree on what matters"
    return (
        f"On {result.n} examples {a} and {b} have a mean rank correlation of {rho} and share "
        f"{result.mean_top_overlap:.0%} of their top {k} {unit}: they {level}."
    )
