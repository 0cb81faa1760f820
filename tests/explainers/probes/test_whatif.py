"""What-if of one input: its variants are the probes' own counterfactuals, with the probes' scores (design.md §5)."""

import numpy as np
import pandas as pd
import pytest

from explainers.attributions.whatif import tabular_attribution, text_attribution
from explainers.attributions.words import split_words
from explainers.lexicons import load_lexicon
from explainers.probes.tabular import tabular_counterfactual_probe
from explainers.probes.text import text_counterfactual_probe
from explainers.probes.whatif import tabular_what_if, text_variants, text_what_if, text_words
from explainers.runners import TabularRunner
from tests.explainers.probes.test_tabular_probe import _biased_labels, _people
from tests.explainers.probes.test_tabular_probe import _pipeline as _tabular_pipeline
from tests.explainers.probes.test_text_probe import _pipeline as _text_pipeline
from tests.explainers.probes.test_text_probe import _sentences


@pytest.fixture(scope="module")
def text_model():
    frame, labels = _sentences(n=600)
    frame = frame[["text"]]
    return TabularRunner(_text_pipeline().fit(frame, labels), favourable_class="approve"), frame


@pytest.fixture(scope="module")
def tabular_model():
    frame = _people(n=800)
    model = _tabular_pipeline(["sex", "education"], ["age"]).fit(frame, _biased_labels(frame))
    return TabularRunner(model, favourable_class=">50K"), frame


def test_text_variants_equal_the_text_probe_scores_for_the_same_inputs(text_model):
    runner, frame = text_model
    lexicon = load_lexicon("gender")
    tables = []
    sample = frame.iloc[:40].reset_index(drop=True)
    text_counterfactual_probe(runner, sample, column="text", lexicon=lexicon, n_boot=10, pairs_sink=tables.append)
    table = tables[0]
    probe_pairs = table[table["set"] == "pair"]
    compared = 0
    for text, rows in probe_pairs.groupby("text"):
        result = text_what_if(runner, text, column="text", lexicon=lexicon)
        by_pair = {(v.source_group, v.target_group): v for v in result.variants}
        assert len(by_pair) == len(rows)
        for _, expected in rows.iterrows():
            variant = by_pair[expected["source_group"], expected["target_group"]]
            assert variant.text == expected["counterfactual"]
            assert variant.score == pytest.approx(expected["counterfactual_score"], abs=1e-12)
            assert variant.delta == pytest.approx(expected["delta"], abs=1e-12)
            assert variant.decision == expected["counterfactual_decision"]
            assert result.score == pytest.approx(expected["score"], abs=1e-12)
            compared += 1
    assert compared >= 40  # every sampled sentence has a pronoun: at least one pair each


def test_tabular_variants_equal_the_tabular_probe_scores_for_the_same_rows(tabular_model):
    runner, frame = tabular_model
    tables = []
    tabular_counterfactual_probe(runner, frame, column="sex", n_boot=10, max_rows=30, pairs_sink=tables.append)
    table = tables[0]
    assert len(table) == 30  # two groups: one counterfactual per probed row
    for _, expected in table.iterrows():
        row = frame.iloc[[int(expected["row"])]]
        result = tabular_what_if(runner, row, column="sex", original=frame["sex"])
        (variant,) = result.variants
        assert (variant.source_group, variant.target_group) == (expected["source_group"], expected["target_group"])
        assert result.score == pytest.approx(expected["score"], abs=1e-12)
        assert variant.score == pytest.approx(expected["counterfactual_score"], abs=1e-12)
        assert variant.delta == pytest.approx(expected["delta"], abs=1e-12)
        assert variant.flipped == expected["flipped"]


def test_a_text_without_group_terms_has_no_variants_and_swaps_are_case_preserving():
    lexicon = load_lexicon("gender")
    assert text_variants("The loan was repaid.", lexicon) == []
    (swap,) = [v for v in text_variants("She repaid her loan.", lexicon) if v[:2] == ("female", "male")]
    assert swap == ("female", "male", "He repaid his loan.", 2)


def test_edited_text_changes_the_score_of_a_biased_model(text_model):
    runner, _ = text_model
    lexicon = load_lexicon("gender")
    she = text_what_if(runner, "She the loan account steady", column="text", lexicon=lexicon)
    he = text_what_if(runner, "He the loan account steady", column="text", lexicon=lexicon)
    assert he.score > she.score  # the planted bias: male pronouns are favoured
    (to_male,) = [v for v in she.variants if v.target_group == "male"]
    assert to_male.score == pytest.approx(he.score, abs=1e-12)


def test_occlusion_weights_of_a_text_are_score_drops_per_word(text_model):
    runner, _ = text_model
    text = "She the loan steady"
    attribution = text_attribution(runner, text, column="text", lexicon=load_lexicon("gender"))
    assert attribution.method == "occlusion" and attribution.names == ("She", "the", "loan", "steady")
    assert attribution.protected == (True, False, False, False)
    full = runner.predict(pd.DataFrame({"text": [text]}, dtype=object))[1][0]
    without_she = runner.predict(pd.DataFrame({"text": ["the loan steady"]}, dtype=object))[1][0]
    assert attribution.weights[0] == pytest.approx(full - without_she, abs=1e-12)


def test_tabular_shap_weights_add_up_to_the_score_minus_the_base_value(tabular_model):
    runner, frame = tabular_model
    row = frame.iloc[[5]]
    attribution = tabular_attribution(runner, row, frame, protected="sex", background_rows=40)
    assert attribution.names == ("sex", "education", "age")
    assert attribution.protected == (True, False, False)
    score = runner.predict(row)[1][0]
    if attribution.method.endswith("permutation"):  # probabilities: additive in the score itself
        assert sum(attribution.weights) + attribution.base_value == pytest.approx(score, abs=1e-6)
    assert abs(attribution.weights[0]) > abs(attribution.weights[1])  # sex drives the planted bias
    assert np.isfinite(attribution.weights).all()


@pytest.mark.parametrize("text", ["She's late, isn't she?", "Naïve café — 42 items!", "", "  a  b "])
def test_text_words_cut_a_text_as_the_attributions_do(text):
    assert text_words(text) == split_words(text).words
