"""Words, substituted spans and protected flags; AOPC comprehensiveness and sufficiency against random rankings."""

import numpy as np
import pytest

from explainers.attributions.faithfulness import ablations, evaluate_faithfulness, top_counts
from explainers.attributions.words import mix_text, pair_words, split_words, token_words, word_weights
from explainers.lexicons import load_lexicon


def test_words_keep_inner_apostrophes_and_split_punctuation():
    words = split_words("She didn't pay, Mr. Smith!")
    assert words.words == ("She", "didn't", "pay", ",", "Mr", ".", "Smith", "!")
    assert words.text[words.starts[1] : words.ends[1]] == "didn't"


def test_substituted_words_are_protected_and_the_lexicon_adds_unchanged_group_terms():
    plain = pair_words("He told his sister the news.", "He told his brother the news.")
    assert [(s.start, s.stop, s.cf_start, s.cf_stop) for s in plain.spans] == [(3, 4, 3, 4)]
    assert plain.protected == (False, False, False, True, False, False, False)
    with_lexicon = pair_words("He told his sister the news.", "He told his brother the news.", load_lexicon("gender"))
    assert with_lexicon.protected == (True, False, True, True, False, False, False)
    assert (1, 1) in with_lexicon.matches and (3, 3) not in with_lexicon.matches


def test_mixing_every_span_rebuilds_the_counterfactual_verbatim():
    words = pair_words("She paid HER rent, she said.", "He paid HIS rent, he said.")
    assert mix_text(words, set(range(len(words.spans)))) == "He paid HIS rent, he said."
    assert mix_text(words, set()) == "She paid HER rent, she said."


def test_subword_tokens_add_up_to_their_word_and_special_tokens_to_none():
    words = split_words("the doctors sat")
    offsets = [(0, 0), (0, 3), (4, 10), (10, 11), (12, 15), (0, 0)]  # [CLS] the doctor ##s sat [SEP]
    owners = token_words(words, offsets, [1, 0, 0, 0, 0, 1])
    assert owners.tolist() == [-1, 0, 1, 1, 2, -1]
    weights = word_weights(np.array([5.0, 0.1, 0.2, 0.3, 0.4, 5.0]), owners, 3)
    np.testing.assert_allclose(weights, [0.1, 0.5, 0.4])


def test_top_counts_round_up_and_ablations_remove_or_keep_the_top_words():
    assert top_counts(4) == [1, 1, 2, 2, 2, 3, 3, 4, 4, 4]
    removed, kept = ablations(split_words("a b c d"), np.array([2, 0, 1, 3]), fractions=(0.25, 0.5, 1.0))
    assert removed == ["a b d", "b d", ""] and kept == ["c", "a c", "a b c d"]


def _decider(texts):
    """P(positive) = 0.9 when "good" is in the text, 0.1 when "bad" is, else 0.5."""
    rows = []
    for text in texts:
        p = 0.9 if "good" in text.split() else 0.1 if "bad" in text.split() else 0.5
        rows.append([1 - p, p])
    return np.array(rows)


def test_a_ranking_with_the_deciding_word_first_beats_random_and_a_reversed_one_does_not():
    words = split_words("the film was good and long")
    right = np.array([0.0, 0.0, 0.0, 1.0, 0.0, -0.1])
    wrong = -right
    results, n_texts = evaluate_faithfulness(
        [(words, right), (words, wrong)], _decider, ("negative", "positive"), target=1, rng=np.random.default_rng(0)
    )
    good, bad = results
    assert good.predicted_class == "positive" and good.faithful is True
    assert good.comprehensiveness == pytest.approx(0.4) and good.sufficiency == pytest.approx(0.0)
    assert good.comprehensiveness > good.random_comprehensiveness
    assert bad.faithful is False and bad.comprehensiveness_gain < 0
    assert 0 < n_texts <= 1 + 2 * 20 * 2 + 3 * 20 * 2


def test_for_the_other_predicted_class_the_ranking_is_turned_around():
    words = split_words("the film was bad")
    # Toward "positive", "bad" has the most negative weight: it is the top word for the predicted negative class.
    results, _ = evaluate_faithfulness(
        [(words, np.array([0.0, 0.1, 0.0, -1.0]))], _decider, ("negative", "positive"), target=1,
        rng=np.random.default_rng(1), n_random=2,
    )  # fmt: skip
    assert results[0].predicted_class == "negative" and results[0].comprehensiveness == pytest.approx(0.4)
    assert results[0].n_random == 2 and results[0].faithful is True


def test_an_input_without_words_has_no_faithfulness():
    results, n_texts = evaluate_faithfulness(
        [(split_words(""), np.zeros(0))], _decider, ("n", "p"), target=1, rng=np.random.default_rng(0)
    )
    assert results == [None] and n_texts == 0
