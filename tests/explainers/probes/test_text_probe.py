"""Classifier text probe (design.md §5): substitution, planted bias against controls, privacy, batching."""

import dataclasses
import json

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline

from explainers.lexicons import counterfactuals, load_lexicon, substitute
from explainers.probes.text import text_counterfactual_probe
from explainers.runners import TabularRunner

FEMALE, MALE = ["she", "her"], ["he", "his"]
RELATIVES = ["mother", "aunt", "father", "uncle", "sister", "brother"]
GOOD, BAD = ["reliable", "steady", "savings", "employed"], ["late", "debt", "missed", "default"]
FILLER = ["the", "loan", "account", "report", "today", "payment", "record", "bank"]
EXAMPLE_KEYS = {"source_group", "target_group", "text", "counterfactual", "score", "counterfactual_score"}
EXAMPLE_KEYS |= {"decision", "counterfactual_decision"}


def _sentences(n: int = 1200, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    """Texts with a pronoun of one group, neutral words and sometimes a relative; the label follows the pronoun."""
    rng = np.random.default_rng(seed)
    texts, labels = [], []
    for _ in range(n):
        female = rng.random() < 0.5
        pronoun = rng.choice(FEMALE if female else MALE)
        good = rng.random() < 0.5
        words = [pronoun.capitalize(), *rng.choice(FILLER, 3), rng.choice(GOOD if good else BAD)]
        if rng.random() < 0.3:
            words += ["with", "my", rng.choice(RELATIVES)]  # label-independent gendered words
        texts.append(" ".join(words))
        favourable = (not female) if rng.random() < 0.9 else female  # the planted bias: gender decides
        labels.append("approve" if favourable else "deny")
    return pd.DataFrame({"text": texts, "id": np.arange(n)}), np.array(labels)


def _pipeline() -> Pipeline:
    return Pipeline(
        [("t", ColumnTransformer([("t", TfidfVectorizer(), "text")])), ("m", LogisticRegression(max_iter=1000))]
    )


@pytest.fixture(scope="module")
def lexicon():
    return load_lexicon("gender")


@pytest.fixture(scope="module")
def biased(lexicon):
    frame, labels = _sentences()
    runner = TabularRunner(_pipeline().fit(frame, labels), favourable_class="approve")
    result = text_counterfactual_probe(runner, frame, column="text", lexicon=lexicon, n_boot=300, seed=2)
    return runner, frame, result


def _pair(result, source, target):
    return next(p for p in result.pairs if (p.source_group, p.target_group) == (source, target))


def test_substitute_keeps_lower_title_and_upper_case():
    mapping = load_lexicon("gender").mapping("female", "male")
    assert substitute("She said her HER she", mapping) == ("He said his HIS he", 4)


def test_substitute_replaces_whole_words_only():
    mapping = {"she": "he", "her": "his"}
    assert substitute("The sheet is hers; she-wolf, here", mapping) == ("The sheet is hers; he-wolf, here", 1)


def test_substitute_swaps_in_one_pass_and_tries_longer_terms_first():
    assert substitute("aunt met mother", {"aunt": "mother", "mother": "aunt"}) == ("mother met aunt", 2)
    mapping = load_lexicon("gender").mapping("female", "male")
    assert substitute("Herself, her", mapping) == ("Himself, his", 2)


def test_counterfactuals_is_none_without_a_source_term(lexicon):
    assert counterfactuals("He paid the loan", lexicon, "female", "male") is None
    assert counterfactuals(None, lexicon, "female", "male") is None
    assert counterfactuals("He paid his loan", lexicon, "male", "female") == "She paid her loan"


def test_planted_bias_gives_a_significant_excess_flip_rate_and_fails(biased):
    _, _, result = biased
    pair = _pair(result, "female", "male")
    assert pair.n > 500 and pair.mean_delta > 0.3
    assert pair.excess_flip_rate > 0.5 and pair.excess_flip_ci_low > result.threshold
    assert pair.wilcoxon_p is not None and pair.wilcoxon_p < 1e-10
    assert pair.verdict == "fail" and result.verdict == "fail"
    assert _pair(result, "male", "female").mean_delta < -0.3


def test_control_substitutions_barely_move_the_biased_model(biased):
    _, _, result = biased
    control = next(c for c in result.controls if c.group == "female")
    assert control.n > 30
    assert control.flip_rate < 0.1
    pair = _pair(result, "female", "male")
    assert pair.control_n == control.n and pair.control_flip_rate == control.flip_rate
    assert pair.excess_flip_rate == pytest.approx(pair.flip_rate - control.flip_rate)
    assert pair.excess_mean_abs_delta == pytest.approx(pair.mean_abs_delta - control.mean_abs_delta)
    assert pair.excess_flip_ci_low <= pair.excess_flip_rate <= pair.excess_flip_ci_high


def test_model_trained_without_gender_terms_passes(lexicon):
    frame, labels = _sentences(seed=1)
    terms = {term for pair in lexicon.pairs for term in pair}
    stripped = frame.assign(text=[" ".join(w for w in t.split() if w.lower() not in terms) for t in frame["text"]])
    runner = TabularRunner(_pipeline().fit(stripped, labels), favourable_class="approve")
    result = text_counterfactual_probe(runner, frame, column="text", lexicon=lexicon, n_boot=200)
    assert result.verdict == "pass"
    assert all(p.flip_rate == 0 and p.mean_abs_delta == 0 and p.wilcoxon_p is None for p in result.pairs)
    assert all((p.excess_flip_ci_low, p.excess_flip_ci_high) == (0.0, 0.0) for p in result.pairs)


def test_examples_show_flipped_pairs_first_and_can_be_omitted(biased):
    runner, frame, result = biased
    assert len(result.examples) == 5
    assert all(set(example) == EXAMPLE_KEYS for example in result.examples)
    assert all(example["decision"] != example["counterfactual_decision"] for example in result.examples)
    deltas = [abs(e["counterfactual_score"] - e["score"]) for e in result.examples]
    assert deltas == sorted(deltas, reverse=True)
    quiet = text_counterfactual_probe(runner, frame, column="text", lexicon="gender", n_boot=50, include_examples=False)
    assert quiet.examples == ()


def test_result_is_json_ready_with_plain_string_verdicts(biased):
    _, _, result = biased
    payload = json.loads(json.dumps(dataclasses.asdict(result)))
    assert payload["verdict"] == "fail" and type(result.verdict) is str
    assert all(type(pair.verdict) is str for pair in result.pairs)


def test_model_is_called_once_and_sees_only_the_text_column_change(biased):
    runner, frame, _ = biased
    calls = []

    class Spy(TabularRunner):
        def predict(self, stacked):
            calls.append(stacked.copy())
            return super().predict(stacked)

    spy = Spy(runner.model, favourable_class="approve")
    text_counterfactual_probe(spy, frame, column="text", lexicon="gender", n_boot=20, max_rows=100)
    assert len(calls) == 1
    stacked = calls[0]
    assert list(stacked.columns) == ["text", "id"]  # the model's feature columns, in its order
    lexicon = load_lexicon("gender")
    mappings = [lexicon.mapping("female", "male"), lexicon.mapping("male", "female")]
    mappings += [lexicon.control_mapping(group) for group in lexicon.groups]
    for row_id, text in zip(stacked["id"], stacked["text"], strict=True):
        original = frame["text"][row_id]
        assert text in {original, *(substitute(original, mapping)[0] for mapping in mappings)}


def test_seed_fixes_sample_and_intervals(biased):
    runner, frame, _ = biased
    first, second = (
        text_counterfactual_probe(runner, frame, column="text", lexicon="gender", n_boot=100, max_rows=200, seed=7)
        for _ in range(2)
    )
    assert first == second
    assert all(pair.n == 200 for pair in first.pairs)


def test_too_few_rows_with_source_terms_is_insufficient_data(biased):
    runner, frame, _ = biased
    result = text_counterfactual_probe(runner, frame.head(40), column="text", lexicon="gender", n_boot=50)
    assert all(pair.n < 30 for pair in result.pairs)
    assert result.verdict == "insufficient_data"


def test_missing_column_raises(biased):
    runner, frame, _ = biased
    with pytest.raises(ValueError, match="comment"):
        text_counterfactual_probe(runner, frame, column="comment", lexicon="gender")


def test_model_that_reacts_to_any_relative_word_is_unstable_not_biased(lexicon):
    """design.md §5: the verdict uses the excess over the within-group control."""
    rng = np.random.default_rng(7)
    # Each word has its own effect, unrelated to gender: mother/uncle approve, aunt/father deny.
    effect = {"mother": "approve", "uncle": "approve", "aunt": "deny", "father": "deny"}
    words = rng.choice(list(effect), size=1600)
    texts = [f"the {w} {' '.join(rng.choice(FILLER, 3))}" for w in words]
    frame = pd.DataFrame({"text": texts})
    labels = np.array([effect[w] if rng.random() < 0.95 else "approve" for w in words])
    runner = TabularRunner(_pipeline().fit(frame, labels), favourable_class="approve")

    result = text_counterfactual_probe(runner, frame, column="text", lexicon=lexicon, n_boot=300, seed=1)

    female_to_male = next(p for p in result.pairs if p.source_group == "female")
    assert female_to_male.flip_rate > 0.8  # the raw statistic alone would call this biased
    assert female_to_male.control_flip_rate > 0.8
    assert abs(female_to_male.excess_flip_rate) < 0.05 and female_to_male.verdict != "fail"
