"""WEAT/SEAT (design.md §5): effect size by hand, exact permutation p by brute force, planted and null data."""

import dataclasses
import itertools
import json
import math

import numpy as np
import pytest

from explainers.probes.counterfactual import stream_rng
from explainers.probes.weat import (
    WeatTest,
    association,
    permutation_p_values,
    weat_effect_size,
    weat_probe,
    weat_verdict,
)


def _words(prefix: str, n: int) -> tuple[str, ...]:
    return tuple(f"{prefix}{i}" for i in range(n))


def _test(n_target: int, n_attribute: int, name: str = "t") -> WeatTest:
    return WeatTest(
        name=name,
        targets=("X", "Y"),
        attributes=("A", "B"),
        X=_words("x", n_target),
        Y=_words("y", n_target),
        A=_words("a", n_attribute),
        B=_words("b", n_attribute),
        source="unit test",
    )


class Table:
    """Embedder from a word -> vector table (missing words get a NaN row); remembers its calls."""

    def __init__(self, vectors: dict[str, np.ndarray], dim: int):
        self.vectors, self.dim, self.calls = vectors, dim, []

    def __call__(self, strings):
        self.calls.append(list(strings))
        return np.stack([self.vectors.get(s, np.full(self.dim, np.nan)) for s in strings])


def _random_table(test: WeatTest, dim: int, rng, planted: float = 0.0) -> Table:
    """Isotropic vectors; with ``planted`` > 0, X and A share a direction, as do Y and B."""
    u, v = rng.normal(size=dim), rng.normal(size=dim)
    shift = {"x": u, "a": u, "y": v, "b": v}
    vectors = {}
    for group in (test.X, test.Y, test.A, test.B):
        for word in group:
            vectors[word] = rng.normal(size=dim) + planted * shift[word[0]]
    return Table(vectors, dim)


def test_effect_size_matches_a_hand_computation_on_two_dimensional_vectors():
    # s((1,0)) = 1 - 0, s((1,1)) = 1/sqrt2 - 1/sqrt2 = 0, s((0,1)) = 0 - 1: s_X = [1, 0], s_Y = [-1, 0].
    # d = (0.5 - (-0.5)) / std([1, 0, -1, 0], ddof=1) = 1 / sqrt(2/3) = sqrt(3/2).
    x, y = np.array([[1.0, 0.0], [1.0, 1.0]]), np.array([[0.0, 1.0], [1.0, 1.0]])
    a, b = np.array([[1.0, 0.0]]), np.array([[0.0, 1.0]])
    assert association(x, a, b) == pytest.approx([1.0, 0.0], abs=1e-15)
    assert weat_effect_size(x, y, a, b) == pytest.approx(math.sqrt(1.5), rel=1e-12)
    assert weat_effect_size(7 * x, 0.5 * y, 3 * a, b) == pytest.approx(math.sqrt(1.5), rel=1e-12)  # cosine
    assert weat_effect_size(y, x, a, b) == pytest.approx(-math.sqrt(1.5), rel=1e-12)
    assert math.isnan(weat_effect_size(x[[1]], y[[1]], a, b))  # every s equal: no spread


def test_exact_p_value_equals_brute_force_over_all_partitions():
    rng = np.random.default_rng(11)
    test = _test(5, 4)
    table = _random_table(test, dim=6, rng=rng, planted=0.4)
    result = weat_probe(table, [test]).tests[0]
    vectors = {w: table.vectors[w] for w in table.vectors}
    s = association(np.stack([vectors[w] for w in (*test.X, *test.Y)]), np.stack([vectors[w] for w in test.A]),
                    np.stack([vectors[w] for w in test.B]))  # fmt: skip
    observed = s[:5].sum() - s[5:].sum()
    partitions = [s[list(c)].sum() - np.delete(s, list(c)).sum() for c in itertools.combinations(range(10), 5)]
    assert result.method == "exact" and result.n_partitions == 252 == len(partitions)
    assert result.statistic == pytest.approx(observed, rel=1e-12)
    assert result.p_value == np.mean([p >= observed - 1e-12 for p in partitions])
    assert result.p_value_reverse == np.mean([p <= observed + 1e-12 for p in partitions])
    assert result.p_value_two_sided == min(1.0, 2 * min(result.p_value, result.p_value_reverse))


def test_monte_carlo_p_value_uses_the_plus_one_correction_and_agrees_with_the_exact_one():
    s = np.random.default_rng(5).normal(size=16) + np.r_[np.full(8, 0.3), np.zeros(8)]
    exact = permutation_p_values(s, 8, 20_000, stream_rng(0, 0))
    sampled = permutation_p_values(s, 8, 4_000, stream_rng(0, 0))
    assert exact[2:] == ("exact", math.comb(16, 8))
    assert sampled[2:] == ("monte_carlo", 4_000)
    assert (sampled[0] * 4_001) == pytest.approx(round(sampled[0] * 4_001))  # (count + 1) / (n + 1)
    assert sampled[0] == pytest.approx(exact[0], abs=0.03)
    assert sampled == permutation_p_values(s, 8, 4_000, stream_rng(0, 0))  # seeded


def test_planted_association_gives_a_large_effect_small_p_and_fails():
    rng = np.random.default_rng(0)
    test = _test(8, 8)
    result = weat_probe(_random_table(test, dim=20, rng=rng, planted=2.0), [test], n_permutations=20_000)
    outcome = result.tests[0]  # C(16, 8) = 12,870 partitions: enumerated
    assert outcome.effect_size > 1.5
    assert outcome.p_value < 0.001 and outcome.method == "exact"
    assert outcome.verdict == "fail" and result.verdict == "fail"


def test_random_vectors_give_calibrated_p_values():
    # Under no association the exact permutation p-value is (super-)uniform: about 5% fall below 0.05.
    rng = np.random.default_rng(1)
    test = _test(6, 6)
    p_values = [weat_probe(_random_table(test, dim=10, rng=rng), [test]).tests[0].p_value for _ in range(300)]
    assert 0.01 <= np.mean(np.array(p_values) < 0.05) <= 0.10
    assert 0.4 <= np.mean(p_values) <= 0.6


def test_seat_embeds_template_sentences_once_and_pools_by_their_mean():
    rng = np.random.default_rng(2)
    test = _test(6, 6)
    words = _random_table(test, dim=8, rng=rng, planted=1.0)
    offset = 50 * rng.normal(size=8)  # the two templates pull in opposite directions; only their mean is the word
    sentences = {}
    for word, vector in words.vectors.items():
        sentences[f"This is {word}."] = vector + offset
        sentences[f"That is {word}."] = vector - offset
    embedder = Table(sentences, dim=8)
    seat = weat_probe(embedder, [test, test], templates=("This is {}.", "That is {}."))
    weat = weat_probe(words, [test])
    assert len(embedder.calls) == 1 and len(embedder.calls[0]) == len(set(embedder.calls[0])) == 48
    assert seat.pooling == "mean over templates" and weat.pooling == "word"
    assert seat.tests[0].effect_size == pytest.approx(weat.tests[0].effect_size, rel=1e-9)
    assert seat.tests[0].p_value == weat.tests[0].p_value


def test_sets_with_fewer_than_four_embedded_words_are_insufficient_data():
    rng = np.random.default_rng(3)
    test = _test(5, 5)
    table = _random_table(test, dim=6, rng=rng)
    for word in ("x0", "x1"):
        del table.vectors[word]
    table.vectors["a0"] = np.zeros(6)  # an all-zero row also marks an unknown word
    outcome = weat_probe(table, [test]).tests[0]
    assert outcome.verdict == "insufficient_data"
    assert (outcome.n_x, outcome.n_a, outcome.missing) == (3, 4, ("x0", "x1", "a0"))
    assert outcome.p_value is None and outcome.effect_size is None and outcome.n_partitions == 0


def test_result_is_json_ready():
    rng = np.random.default_rng(4)
    test = _test(4, 4)
    result = weat_probe(_random_table(test, dim=5, rng=rng), [test], n_permutations=10)
    payload = json.loads(json.dumps(dataclasses.asdict(result), allow_nan=False))
    assert payload["tests"][0]["method"] == "monte_carlo" and payload["pooling"] == "word"
    assert payload["effect_threshold"] == 0.5 and "Caliskan" in payload["metric"]


def test_verdict_rule():
    settings = {"alpha": 0.05, "effect_threshold": 0.5}
    assert weat_verdict(0.01, 0.9, **settings) == "fail"
    assert weat_verdict(0.01, -0.9, **settings) == "fail"  # the reverse association is detected too
    assert weat_verdict(0.30, 0.1, **settings) == "pass"
    assert weat_verdict(0.01, 0.3, **settings) == "inconclusive"
    assert weat_verdict(0.20, 0.8, **settings) == "inconclusive"
    assert weat_verdict(1.0, None, **settings) == "pass"


def test_bad_settings_are_rejected():
    test = _test(4, 4)
    with pytest.raises(ValueError, match="template"):
        weat_probe(lambda s: np.ones((len(s), 2)), [test], templates=("no slot",))
    with pytest.raises(ValueError, match="shape"):
        weat_probe(lambda s: np.ones(len(s)), [test])
