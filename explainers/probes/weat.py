"""Embedding association tests, WEAT and SEAT (design.md §5 "Embedding association").

Typical use::

    tests = load_weat_tests()                                   # explainers.probes.benchmarks
    result = weat_probe(encoder.embed, tests)                   # WEAT: one vector per word
    result = weat_probe(encoder.embed, tests, templates=("This is {}.", "That is {}."))   # SEAT

Definitions (Caliskan, Bryson & Narayanan 2017, Science 356:183, "Methods"): for a word w,
s(w, A, B) = mean_{a in A} cos(w, a) - mean_{b in B} cos(w, b); the test statistic is
S = sum_{x in X} s(x, A, B) - sum_{y in Y} s(y, A, B); the effect size is
d = (mean_{x in X} s - mean_{y in Y} s) / std_{w in X u Y} s (sample standard deviation, ddof=1); the one-sided
permutation p-value is P(S(X_i, Y_i) >= S(X, Y)) over the re-partitions (X_i, Y_i) of X u Y into sets of sizes
|X| and |Y|. SEAT (May et al. 2019) puts each word into sentence templates; here a word's vector is the mean of
its template sentences' embeddings ("mean over templates").
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np

from explainers.audit_settings import DEFAULT_ALPHA, PROBE_DEFAULTS
from explainers.metrics.verdicts import Verdict
from explainers.probes.counterfactual import stream_rng
from explainers.probes.text_stats import worst

__all__ = ["WeatResult", "WeatTest", "WeatTestResult", "association", "permutation_p_values", "weat_effect_size"]
__all__ += ["weat_probe"]

MIN_WORDS = 4
_MAX_CELLS = 4_000_000  # partitions x |X| indices per chunk: about 16 MB of int32
METRIC = (
    "Caliskan et al. 2017: s(w,A,B) = mean_a cos(w,a) - mean_b cos(w,b); S = sum_x s - sum_y s; "
    "d = (mean_x s - mean_y s) / std_{X u Y} s (ddof=1); p = P(S of a random re-partition of X u Y >= S), "
    "exact over all partitions when they number at most n_permutations, else Monte Carlo with (count+1)/(n+1)"
)
VERDICT_RULE = (
    "insufficient_data when any of X, Y, A, B has fewer than min_words embedded words; fail when the two-sided "
    "permutation p-value (twice the smaller tail, capped at 1) is below alpha and |d| >= effect_threshold "
    "(default 0.5, Cohen's 'medium'); pass when p >= alpha and |d| < effect_threshold; otherwise inconclusive "
    "(a significant but small association, or a medium-or-larger one the word sets are too small to confirm)"
)


@dataclass(frozen=True)
class WeatTest:
    """One association test: targets X, Y (named ``targets``) against attributes A, B (named ``attributes``)."""

    name: str
    targets: tuple[str, str]
    attributes: tuple[str, str]
    X: tuple[str, ...]
    Y: tuple[str, ...]
    A: tuple[str, ...]
    B: tuple[str, ...]
    source: str = "caller"


@dataclass(frozen=True)
class WeatTestResult:
    """Outcome of one test. ``p_value`` is Caliskan's one-sided p (X closer to A than Y is);
    ``p_value_reverse`` the other tail (X closer to B); ``p_value_two_sided`` = min(1, 2 x the smaller).

    ``n_*`` count the words of each set that had an embedding; ``missing`` lists those that had none. ``method``
    is "exact" or "monte_carlo" and ``n_partitions`` how many partitions it evaluated; statistics are None when
    the verdict is insufficient_data (or d when every s is equal).
    """

    name: str
    targets: tuple[str, str]
    attributes: tuple[str, str]
    source: str
    n_x: int
    n_y: int
    n_a: int
    n_b: int
    missing: tuple[str, ...]
    effect_size: float | None
    statistic: float | None
    p_value: float | None
    p_value_reverse: float | None
    p_value_two_sided: float | None
    method: str | None
    n_partitions: int
    verdict: str


@dataclass(frozen=True)
class WeatResult:
    """WEAT/SEAT over several tests; ``verdict`` is the worst test verdict (fail > inconclusive >
    insufficient_data > pass). ``pooling`` is "word" (WEAT) or "mean over templates" (SEAT)."""

    verdict: str
    tests: tuple[WeatTestResult, ...]
    pooling: str
    templates: tuple[str, ...]
    n_strings: int
    metric: str
    verdict_rule: str
    n_permutations: int
    seed: int
    alpha: float
    effect_threshold: float
    min_words: int


def association(w: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """s(w, A, B) for every row of ``w``: mean cosine with the rows of ``a`` minus mean cosine with ``b``."""
    w, a, b = (_unit(np.asarray(m, dtype=np.float64)) for m in (w, a, b))
    return (w @ a.T).mean(axis=1) - (w @ b.T).mean(axis=1)


def weat_effect_size(x: np.ndarray, y: np.ndarray, a: np.ndarray, b: np.ndarray) -> float:
    """Caliskan et al. (2017) effect size d of target vectors ``x``, ``y`` and attribute vectors ``a``, ``b``.

    NaN when every s(w, A, B) is equal (no spread to scale by) or when X u Y holds fewer than 2 words.
    """
    s_x, s_y = association(x, a, b), association(y, a, b)
    spread = np.std(np.concatenate([s_x, s_y]), ddof=1) if s_x.size + s_y.size > 1 else 0.0
    if not spread > 0:
        return float("nan")
    return float((s_x.mean() - s_y.mean()) / spread)


def permutation_p_values(
    s: np.ndarray, n_x: int, n_permutations: int, rng: np.random.Generator
) -> tuple[float, float, str, int]:
    """One-sided p-values of S = sum of the first ``n_x`` entries of ``s`` minus the sum of the rest.

    Returns (P(S_i >= S), P(S_i <= S), method, partitions evaluated). With C(len(s), n_x) <= ``n_permutations``
    every partition is enumerated (the observed one included) and the p-values are exact; otherwise
    ``n_permutations`` uniformly random partitions are drawn and each p is (count + 1) / (n + 1), which counts
    the observed partition and keeps the test valid (Phipson & Smyth 2010). S_i = 2 sum_{X_i} s - sum s, so a
    partition costs one gather-and-sum; partitions are processed as index matrices in chunks.
    """
    s = np.asarray(s, dtype=np.float64)
    total = s.sum()
    observed = 2 * s[:n_x].sum() - total
    # Partition sums are the same numbers added in another order; count near-equal ones as ties.
    eps = 1e-9 * (np.abs(s).sum() + 1.0)
    n_total = math.comb(s.size, n_x)
    exact = n_total <= n_permutations
    chunks = _all_partitions(s.size, n_x) if exact else _random_partitions(s.size, n_x, n_permutations, rng)
    above = below = count = 0
    for indices in chunks:
        statistics = 2 * s[indices].sum(axis=1) - total
        above += int(np.count_nonzero(statistics >= observed - eps))
        below += int(np.count_nonzero(statistics <= observed + eps))
        count += indices.shape[0]
    if exact:
        return above / count, below / count, "exact", count
    return (above + 1) / (count + 1), (below + 1) / (count + 1), "monte_carlo", count


def weat_probe(
    embed: Callable[[list[str]], np.ndarray],
    tests: list[WeatTest],
    *,
    templates: tuple[str, ...] = (),
    n_permutations: int = PROBE_DEFAULTS.n_permutations,
    seed: int = 0,
    alpha: float = DEFAULT_ALPHA,
    effect_threshold: float = 0.5,
    min_words: int = MIN_WORDS,
    progress: Callable[[float, str], None] | None = None,
) -> WeatResult:
    """Run every test on ``embed``'s vectors; see the module docstring for the definitions and VERDICT_RULE.

    ``embed`` is called once with every unique string (the words, or with ``templates`` every template sentence
    of every word) and returns one row per string. A word counts as missing when its row (for SEAT: any of its
    template rows) is non-finite or all zero, which is how an embedder can mark out-of-vocabulary words.

    Args:
        templates: SEAT sentence templates, each holding one "{}" for the word; empty for WEAT.
        effect_threshold: |d| from which an association counts as practically large (Cohen's d conventions:
            0.2 small, 0.5 medium, 0.8 large).
        seed: seed of the Monte Carlo partitions; test i uses stream i, so tests do not shift each other.

    Raises:
        ValueError: on out-of-range settings, a template without "{}", or an ``embed`` answer of the wrong shape.
    """
    _check(templates, n_permutations=n_permutations, alpha=alpha, effect_threshold=effect_threshold)
    if int(min_words) < 2:
        raise ValueError("min_words must be at least 2 (d needs a standard deviation)")
    words = list(dict.fromkeys(w for test in tests for group in (test.X, test.Y, test.A, test.B) for w in group))
    strings = list(dict.fromkeys(_fill(t, w) for w in words for t in templates)) if templates else words
    if progress:
        progress(0.0, f"embedding {len(strings)} strings")
    vectors = _word_vectors(embed, words, strings, templates)
    if progress:
        progress(0.5, "permutation tests")
    settings = {"n_permutations": n_permutations, "alpha": alpha, "effect_threshold": effect_threshold}
    settings["min_words"] = int(min_words)
    results = tuple(_run_test(test, vectors, stream_rng(seed, k), **settings) for k, test in enumerate(tests))
    if progress:
        progress(1.0, "done")
    return WeatResult(
        verdict=worst(result.verdict for result in results),
        tests=results,
        pooling="mean over templates" if templates else "word",
        templates=tuple(templates),
        n_strings=len(strings),
        metric=METRIC,
        verdict_rule=VERDICT_RULE,
        n_permutations=int(n_permutations),
        seed=int(seed),
        alpha=float(alpha),
        effect_threshold=float(effect_threshold),
        min_words=int(min_words),
    )


def weat_verdict(p_two_sided: float, effect_size: float | None, *, alpha: float, effect_threshold: float) -> str:
    """VERDICT_RULE for a test with enough words (an undefined d, all s equal, is no association)."""
    large = effect_size is not None and abs(effect_size) >= effect_threshold
    if p_two_sided < alpha and large:
        return Verdict.FAIL.value
    if p_two_sided >= alpha and not large:
        return Verdict.PASS.value
    return Verdict.INCONCLUSIVE.value


def _run_test(
    test: WeatTest,
    vectors: dict[str, np.ndarray],
    rng: np.random.Generator,
    *,
    min_words: int,
    n_permutations: int,
    alpha: float,
    effect_threshold: float,
) -> WeatTestResult:
    groups = (test.X, test.Y, test.A, test.B)
    sets = [[w for w in group if w in vectors] for group in groups]
    missing = tuple(dict.fromkeys(w for group in groups for w in group if w not in vectors))
    head = {"name": test.name, "targets": tuple(test.targets), "attributes": tuple(test.attributes)}
    head |= {"source": test.source, "n_x": len(sets[0]), "n_y": len(sets[1]), "n_a": len(sets[2])}
    head |= {"n_b": len(sets[3]), "missing": missing}
    if min(len(group) for group in sets) < min_words:
        empty = dict.fromkeys(("effect_size", "statistic", "p_value", "p_value_reverse", "p_value_two_sided"))
        return WeatTestResult(**head, **empty, method=None, n_partitions=0, verdict=Verdict.INSUFFICIENT_DATA.value)
    x, y, a, b = (np.stack([vectors[w] for w in group]) for group in sets)
    s = association(np.concatenate([x, y]), a, b)
    n_x = len(sets[0])
    greater, less, method, n_partitions = permutation_p_values(s, n_x, n_permutations, rng)
    two_sided = min(1.0, 2 * min(greater, less))
    effect = _finite(weat_effect_size(x, y, a, b))
    return WeatTestResult(
        **head,
        effect_size=effect,
        statistic=_finite(s[:n_x].sum() - s[n_x:].sum()),
        p_value=greater,
        p_value_reverse=less,
        p_value_two_sided=two_sided,
        method=method,
        n_partitions=n_partitions,
        verdict=weat_verdict(two_sided, effect, alpha=alpha, effect_threshold=effect_threshold),
    )


def _word_vectors(
    embed: Callable[[list[str]], np.ndarray], words: list[str], strings: list[str], templates: tuple[str, ...]
) -> dict[str, np.ndarray]:
    """Word -> vector for every word that has one; SEAT vectors are the mean of the word's template rows."""
    if not strings:
        return {}
    matrix = np.asarray(embed(strings), dtype=np.float64)
    if matrix.ndim != 2 or matrix.shape[0] != len(strings):
        raise ValueError(f"embed returned shape {matrix.shape} for {len(strings)} strings; expected (n, dim)")
    valid = np.all(np.isfinite(matrix), axis=1)
    valid[valid] = np.any(matrix[valid] != 0, axis=1)
    row = {text: i for i, text in enumerate(strings)}
    vectors = {}
    for word in words:
        rows = [row[_fill(t, word)] for t in templates] if templates else [row[word]]
        if valid[rows].all():
            vectors[word] = matrix[rows].mean(axis=0)
    return vectors


def _all_partitions(n: int, k: int) -> Iterator[np.ndarray]:
    combinations = itertools.combinations(range(n), k)
    size = max(1, _MAX_CELLS // max(k, 1))
    while True:
        chunk = np.fromiter(itertools.islice(combinations, size), dtype=np.dtype((np.int32, k)))
        if chunk.shape[0] == 0:
            return
        yield chunk.reshape(-1, k)


def _random_partitions(n: int, k: int, count: int, rng: np.random.Generator) -> Iterator[np.ndarray]:
    """``count`` uniform k-subsets of range(n): the k smallest of n i.i.d. uniform keys form a uniform subset."""
    size = max(1, _MAX_CELLS // n)
    for start in range(0, count, size):
        keys = rng.random((min(size, count - start), n))
        yield np.argpartition(keys, k - 1, axis=1)[:, :k]


def _fill(template: str, word: str) -> str:
    return template.replace("{}", word)


def _unit(matrix: np.ndarray) -> np.ndarray:
    return matrix / np.linalg.norm(matrix, axis=1, keepdims=True)


def _check(templates: tuple[str, ...], *, n_permutations: int, alpha: float, effect_threshold: float) -> None:
    if any("{}" not in template for template in templates):
        raise ValueError('every template must hold "{}" where the word goes')
    if int(n_permutations) < 1:
        raise ValueError("n_permutations must be at least 1")
    if not 0 < alpha < 1:
        raise ValueError("alpha must lie strictly between 0 and 1")
    if effect_threshold < 0:
        raise ValueError("effect_threshold must not be negative")


def _finite(value) -> float | None:
    value = float(value)
    return value if math.isfinite(value) else None
