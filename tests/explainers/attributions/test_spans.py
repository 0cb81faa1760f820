"""Exact Shapley decomposition of a pair's delta over its substituted spans (spans.py)."""

import itertools

import numpy as np
import pytest

from explainers.attributions import shapley_values
from explainers.attributions.spans import span_decomposition, span_mix_texts
from explainers.attributions.words import pair_words


def test_two_player_values_equal_the_hand_formula():
    # v(empty)=0, v({0})=0.3, v({1})=0.1, v({0,1})=0.8: interaction 0.4 is split equally.
    phi = shapley_values(np.array([0.0, 0.3, 0.1, 0.8]))
    np.testing.assert_allclose(phi, [0.5 * (0.3 + (0.8 - 0.1)), 0.5 * (0.1 + (0.8 - 0.3))])


def test_values_sum_to_the_grand_coalition_and_symmetric_players_share_equally():
    rng = np.random.default_rng(0)
    game = rng.normal(size=32)
    game[0] = 0.0
    assert shapley_values(game).sum() == pytest.approx(game[-1], abs=1e-12)
    symmetric = np.array([bin(mask).count("1") ** 2 for mask in range(8)], dtype=float)
    np.testing.assert_allclose(shapley_values(symmetric), [3.0, 3.0, 3.0])


def test_a_game_not_on_a_power_of_two_is_refused():
    with pytest.raises(ValueError, match="2\\^k"):
        shapley_values(np.zeros(3))


def test_mixes_take_each_span_from_the_counterfactual_in_mask_order():
    words = pair_words("She said her dog is good.", "He said his dog is good.")
    assert span_mix_texts(words) == [
        "She said her dog is good.",
        "He said her dog is good.",
        "She said his dog is good.",
        "He said his dog is good.",
    ]


def test_decomposition_of_a_scored_pair_sums_to_delta_and_matches_a_hand_computation():
    words = pair_words("She said her dog is good.", "He said his dog is good.")

    def score(text):  # additive in the two spans plus an interaction, like a real model would be
        he, his = text.startswith("He"), " his " in text
        return 0.2 + 0.5 * he + 0.1 * his + 0.15 * (he and his)

    outputs = np.array([score(text) for text in span_mix_texts(words)])
    result = span_decomposition(words, outputs)
    assert result.status == "exact" and result.evaluations == 4
    assert [(s.text_words, s.counterfactual_words) for s in result.spans] == [("She", "He"), ("her", "his")]
    values = [s.value for s in result.spans]
    assert values == pytest.approx([0.5 + 0.075, 0.1 + 0.075], abs=1e-12)
    assert sum(values) == pytest.approx(result.total, abs=1e-12) and result.total == pytest.approx(0.75)


def test_too_many_spans_are_skipped_and_no_span_is_reported():
    text = "she her she her she her"
    words = pair_words(text, "he his he his he his")
    assert len(words.spans) == 1  # adjacent changes merge into one span
    spaced = " and ".join(["she"] * 6)
    words = pair_words(spaced, spaced.replace("she", "he"))
    assert len(words.spans) == 6 and span_mix_texts(words) == []
    skipped = span_decomposition(words, None)
    assert skipped.status == "skipped" and all(s.value is None for s in skipped.spans)
    assert span_decomposition(pair_words("a b", "a b"), None).status == "no_spans"


def test_every_mix_of_three_spans_is_a_distinct_text():
    spaced = "she and her and she"
    words = pair_words(spaced, "he and his and he")
    mixes = span_mix_texts(words)
    assert len(mixes) == 8 == len(set(mixes))
    assert mixes[0] == spaced and mixes[-1] == "he and his and he"
    assert all(len(m.split()) == 5 for m in mixes)
    assert list(itertools.islice(mixes, 2)) == [spaced, "he and her and she"]
