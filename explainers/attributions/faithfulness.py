"""Faithfulness of word attributions: AOPC comprehensiveness and sufficiency (design.md §6; DeYoung et al. 2020).

For an input x with n words ranked by attribution, and k in 10%, 20%, ..., 100% (m_k = ceil(k n) words):

    comprehensiveness = mean_k [ p(x) - p(x without its top m_k words) ]     (higher: the top words matter)
    sufficiency       = mean_k [ p(x) - p(only the top m_k words of x) ]     (lower: the top words suffice)

p is the probability of the class the model predicts for x. Removing a word deletes it; the kept words are joined
by single spaces (deletion rather than [MASK] works for black-box models too and adds no token the model never
saw in that place). The ranking orients the weights toward the predicted class: attributions are computed toward
one target class, so when the model predicts another class the ranking uses -weight, which is exact for two
classes (p_other = 1 - p_target) and an approximation for more.

Every attribution set is compared with ``n_random`` seeded random rankings of the same words, scored in the same
call: a set whose comprehensiveness is not above the random one's is flagged ``faithful=False``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np

from explainers.attributions.results import Faithfulness, finite
from explainers.attributions.words import Words

FRACTIONS = tuple(round(0.1 * step, 1) for step in range(1, 11))

Probabilities = Callable[[list[str]], np.ndarray]


def top_counts(n_words: int, fractions: Sequence[float] = FRACTIONS) -> list[int]:
    """m_k = ceil(k n) words for each fraction k (at least one word)."""
    return [max(1, math.ceil(fraction * n_words - 1e-9)) for fraction in fractions]


def ablations(words: Words, order: np.ndarray, fractions: Sequence[float] = FRACTIONS) -> tuple[list[str], list[str]]:
    """Texts without their top-m_k words (comprehensiveness) and with only them (sufficiency), one per fraction."""
    removed, kept = [], []
    everything = range(len(words))
    for count in top_counts(len(words), fractions):
        top = set(int(i) for i in order[:count])
        removed.append(words.keep(i for i in everything if i not in top))
        kept.append(words.keep(top))
    return removed, kept


def evaluate_faithfulness(
    items: Sequence[tuple[Words, np.ndarray]],
    probabilities: Probabilities,
    labels: Sequence[str],
    *,
    target: int,
    rng: np.random.Generator,
    n_random: int = 3,
    fractions: Sequence[float] = FRACTIONS,
) -> tuple[list[Faithfulness | None], int]:
    """AOPC of each (words, weights) attribution set and of random rankings, with one ``probabilities`` call.

    ``probabilities`` maps texts to class probabilities (n, classes). Sets without words get None.

    Returns:
        One Faithfulness (or None) per item, and the number of texts scored.
    """
    texts: list[str] = []
    plans = []
    for words, weights in items:
        if len(words) == 0:
            plans.append(None)
            continue
        weights = np.asarray(weights, dtype=np.float64)
        randoms = [rng.permutation(len(words)) for _ in range(n_random)]
        plans.append((len(texts), len(words), len(randoms)))
        texts.append(words.text)
        # Both orientations are prepared, so one model call serves whichever class turns out predicted.
        for order in (np.argsort(-weights, kind="stable"), np.argsort(weights, kind="stable"), *randoms):
            removed, kept = ablations(words, order, fractions)
            texts.extend(removed + kept)
    if not texts:
        return [None] * len(items), 0
    unique = list(dict.fromkeys(texts))
    table = np.asarray(probabilities(unique), dtype=np.float64)
    rows = {text: table[i] for i, text in enumerate(unique)}
    results = []
    n = len(fractions)
    for plan in plans:
        if plan is None:
            results.append(None)
            continue
        start, n_words, n_randoms = plan
        full = rows[texts[start]]
        predicted = int(np.argmax(full))
        p_full = full[predicted]
        blocks = [texts[start + 1 + b * 2 * n : start + 1 + (b + 1) * 2 * n] for b in range(2 + n_randoms)]
        scores = [_aopc(p_full, [rows[t][predicted] for t in block], n) for block in blocks]
        mine = scores[0] if predicted == target else scores[1]
        random = np.array(scores[2:]) if n_randoms else np.empty((0, 2))
        results.append(_record(labels[predicted], n_words, fractions, mine, random))
    return results, len(unique)


def _aopc(p_full: float, probabilities: list[float], n: int) -> tuple[float, float]:
    drops = p_full - np.asarray(probabilities, dtype=np.float64)
    return float(drops[:n].mean()), float(drops[n:].mean())


def _record(label: str, n_words: int, fractions, mine: tuple[float, float], random: np.ndarray) -> Faithfulness:
    comprehensiveness, sufficiency = mine
    random_comprehensiveness = float(random[:, 0].mean()) if random.size else None
    random_sufficiency = float(random[:, 1].mean()) if random.size else None
    gain = None if random_comprehensiveness is None else comprehensiveness - random_comprehensiveness
    return Faithfulness(
        predicted_class=str(label),
        n_words=int(n_words),
        fractions=tuple(float(f) for f in fractions),
        comprehensiveness=finite(comprehensiveness),
        sufficiency=finite(sufficiency),
        random_comprehensiveness=finite(random_comprehensiveness),
        random_sufficiency=finite(random_sufficiency),
        comprehensiveness_gain=finite(gain),
        n_random=int(random.shape[0]),
        faithful=None if gain is None else bool(gain > 0),
    )
