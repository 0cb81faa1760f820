"""select_pairs: flipped pairs first, then by largest |Delta|; duplicates once; a budget caps the list (§9)."""

import pytest

from explainers.attributions import select_pairs


def _pair(text, score, counterfactual_score, flipped=False, counterfactual=None):
    return {
        "text": text,
        "counterfactual": counterfactual or text.upper(),
        "score": score,
        "counterfactual_score": counterfactual_score,
        "decision": score >= 0.5,
        "counterfactual_decision": (score >= 0.5) != flipped,
    }


PAIRS = [
    _pair("small", 0.50, 0.52),
    _pair("flip small", 0.51, 0.49, flipped=True),
    _pair("large", 0.10, 0.45),
    _pair("flip large", 0.90, 0.20, flipped=True),
    _pair("medium", 0.70, 0.55),
    _pair("large", 0.10, 0.45),  # the same pair again
]


def test_flipped_pairs_come_first_then_the_largest_absolute_delta():
    order = [pair["text"] for pair in select_pairs(PAIRS, None)]
    assert order == ["flip large", "flip small", "large", "medium", "small"]


def test_budget_keeps_the_most_important_pairs_and_zero_keeps_none():
    assert [pair["text"] for pair in select_pairs(PAIRS, 3)] == ["flip large", "flip small", "large"]
    assert select_pairs(PAIRS, 0) == []


def test_identical_pairs_are_explained_once_and_unchanged_texts_not_at_all():
    pairs = PAIRS + [_pair("same", 0.2, 0.9, counterfactual="same"), {"text": None, "counterfactual": "x"}]
    texts = [pair["text"] for pair in select_pairs(pairs, None)]
    assert texts.count("large") == 1 and "same" not in texts and None not in texts


def test_ties_keep_input_order_and_a_missing_score_counts_as_no_delta():
    pairs = [_pair("b", 0.2, 0.4), _pair("a", 0.6, 0.4), {"text": "c", "counterfactual": "C"}]
    assert [pair["text"] for pair in select_pairs(pairs, None)] == ["b", "a", "c"]


def test_negative_budget_is_refused():
    with pytest.raises(ValueError, match="budget"):
        select_pairs(PAIRS, -1)
