"""Integrated gradients and occlusion on tiny trained BERTs with a planted reason (design.md §6).

Two models trained here in seconds (``planted.py``): one decides by the pronoun (she -> positive), the other by
the adjective and ignores the pronoun. Pairs come from the real text probe with the built-in gender lexicon.
"""

import json
import math
from dataclasses import asdict

import numpy as np
import pandas as pd
import pytest
import torch

from explainers.attributions import explain_text_pairs, occlusion_pairs, select_pairs, shap_text_pairs
from explainers.lexicons import load_lexicon
from explainers.probes.text import text_counterfactual_probe
from explainers.runners.device import resolve_device
from explainers.runners.hf_text import TextClassifierRunner
from tests.explainers.attributions.planted import NEGATIVE, POSITIVE, make_planted_classifier, sentences

ADJECTIVES = POSITIVE + NEGATIVE


@pytest.fixture(scope="module", autouse=True)
def _one_thread():
    # The test machine's two cores are shared: two torch threads fighting other jobs run ten times slower.
    resolve_device("cpu")  # sizes torch's pool once per process; set our limit after it
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def lexicon():
    return load_lexicon("gender")


def _runner(tmp_path_factory, planted):
    folder = make_planted_classifier(tmp_path_factory.mktemp(planted) / "model", planted=planted)
    return TextClassifierRunner(folder, favourable_class="positive", device="cpu")


def _probe_pairs(runner, lexicon) -> list[dict]:
    """she -> he pairs of the real probe, flipped and large ones first (the probe's own example order)."""
    frame = pd.DataFrame({"text": [text for text, pronoun, _ in sentences()[::2] if pronoun == "she"]})
    result = text_counterfactual_probe(runner, frame, column="text", lexicon=lexicon, n_boot=20, n_examples=200)
    return [example for example in result.examples if example["source_group"] == "female"]


@pytest.fixture(scope="module")
def pronoun_runner(tmp_path_factory):
    return _runner(tmp_path_factory, "pronoun")


@pytest.fixture(scope="module")
def context_runner(tmp_path_factory):
    return _runner(tmp_path_factory, "context")


@pytest.fixture(scope="module")
def pronoun_result(pronoun_runner, lexicon):
    pairs = _probe_pairs(pronoun_runner, lexicon)
    return explain_text_pairs(pronoun_runner, pairs, lexicon=lexicon, budget=16)


@pytest.fixture(scope="module")
def context_result(context_runner, lexicon):
    pairs = _probe_pairs(context_runner, lexicon)
    return explain_text_pairs(context_runner, pairs, lexicon=lexicon, budget=16)


def test_planted_pronoun_carries_the_delta_and_is_the_top_word_of_flipped_pairs(pronoun_result):
    flipped = [pair for pair in pronoun_result.pairs if pair.flipped]
    assert len(flipped) == pronoun_result.n_pairs == 16
    for pair in flipped:
        assert pair.delta < -0.5 and pair.aligned
        assert pair.protected_share > 0.8  # counterfactual baseline
        assert pair.top_word == "she" and pair.top_word_protected
    summary = pronoun_result.summaries[0]
    assert (summary.source_group, summary.target_group) == ("female", "male")
    assert summary.mean_protected_share_neutral > 0.8  # the pronoun's own attribution, not context interaction
    assert summary.flipped_top_protected_rate >= 0.9  # x' ("he") included
    assert summary.mean_protected_mass > 0.5


def test_context_word_model_points_at_the_adjective_not_the_pronoun(context_result):
    pairs = context_result.pairs
    assert not any(pair.flipped for pair in pairs)
    tops = [word for pair in pairs for word in (pair.top_word, pair.counterfactual_top_word)]
    assert sum(word in ADJECTIVES for word in tops) >= 0.9 * len(tops)
    assert context_result.summaries[0].mean_protected_mass < 0.1
    for pair in pairs:
        if abs(pair.delta) < context_result.min_delta:
            assert pair.protected_share is None and pair.protected_share_neutral is None  # a share of nothing


def test_counterfactual_baseline_attributions_sum_to_the_probe_delta(pronoun_result):
    for pair in pronoun_result.pairs:
        attribution = pair.pair_attribution
        assert attribution.baseline == "counterfactual" and attribution.converged
        assert attribution.output == pytest.approx(pair.counterfactual_score, abs=1e-6)
        assert attribution.baseline_output == pytest.approx(pair.score, abs=1e-6)
        assert abs(attribution.completeness_error) <= 0.01 * abs(pair.delta)
        assert sum(attribution.weights) == pytest.approx(pair.delta, abs=0.01 * abs(pair.delta) + 1e-6)
        # Only the swapped position differs from the baseline, so every other word gets exactly nothing.
        assert [w for w, flag in zip(attribution.weights, attribution.protected, strict=True) if not flag] == [0.0] * (
            len(attribution.words) - 1
        )


def test_every_set_is_within_the_completeness_bound_or_listed(pronoun_result, context_result):
    for result in (pronoun_result, context_result):
        sets = [s for p in result.pairs for s in (p.text_attribution, p.counterfactual_attribution, p.pair_attribution)]
        for s in sets:
            bound = max(0.01 * abs(s.output - s.baseline_output), 1e-4)
            assert s.error_bound == pytest.approx(bound)
            assert s.token_error_bound == pytest.approx(bound)
            assert s.converged == (abs(s.completeness_error) <= bound and s.token_error <= bound)
            assert s.steps == s.steps_by_round[-1] and list(s.steps_by_round) == sorted(s.steps_by_round)
        assert len(result.non_converged) == sum(not s.converged for s in sets)
        assert result.all_converged == (not result.non_converged)


def test_a_tighter_tolerance_raises_the_steps_and_an_unreachable_one_is_reported(pronoun_runner, lexicon):
    pairs = select_pairs(_probe_pairs(pronoun_runner, lexicon), 3)
    loose = explain_text_pairs(pronoun_runner, pairs, tolerance=0.05, faithfulness=False)
    tight = explain_text_pairs(pronoun_runner, pairs, tolerance=0.002, faithfulness=False)

    def steps(result):
        return [s.steps for p in result.pairs for s in (p.text_attribution, p.counterfactual_attribution)]

    assert sum(steps(tight)) > sum(steps(loose))
    assert tight.all_converged and all(s.token_error <= s.token_error_bound for s in _sets(tight))
    # Completeness alone (no token bound) needs no more nodes, and the result still serialises.
    sum_only = explain_text_pairs(pronoun_runner, pairs, token_tolerance=math.inf, faithfulness=False)
    assert sum(steps(sum_only)) <= sum(steps(explain_text_pairs(pronoun_runner, pairs, faithfulness=False)))
    assert sum_only.token_tolerance is None and all(s.token_error_bound is None for s in _sets(sum_only))
    json.dumps(asdict(sum_only), allow_nan=False)
    never = explain_text_pairs(
        pronoun_runner, pairs[:1], tolerance=1e-9, absolute_tolerance=0.0, max_steps=9, faithfulness=False
    )
    assert not never.all_converged and len(never.non_converged) == 3
    assert all(entry["steps"] == 9 for entry in never.non_converged)
    pair = never.pairs[0]
    assert pair.pair_attribution.steps_by_round == (5, 9)  # one unit, halved once
    assert pair.text_attribution.steps_by_round == pair.counterfactual_attribution.steps_by_round == (9,)  # two
    assert any("within 9 path points" in note for note in never.notes)
    # x's path ends where x -> x' starts, x' ends both x' and x -> x', and both neutral paths start at the same
    # all-pad input: three of the 27 nodes are shared, and each runs once.
    assert never.cost.gradient_evaluations == 3 * 9 - 3


def _sets(result):
    return [s for p in result.pairs for s in (p.text_attribution, p.counterfactual_attribution, p.pair_attribution)]


def test_integrated_gradients_are_more_comprehensive_than_a_random_ranking(pronoun_result):
    faith = [s.faithfulness for p in pronoun_result.pairs for s in (p.text_attribution, p.counterfactual_attribution)]
    assert all(f is not None and f.n_random == 3 for f in faith)
    assert np.mean([f.comprehensiveness for f in faith]) > np.mean([f.random_comprehensiveness for f in faith]) + 0.05
    summary = pronoun_result.summaries[0]
    assert summary.faithful_rate > 0.75 and summary.mean_comprehensiveness_gain > 0.05
    assert pronoun_result.pairs[0].pair_attribution.faithfulness is None  # AOPC is for neutral sets


def test_two_span_shapley_values_sum_to_delta_and_match_a_hand_computation(pronoun_runner, lexicon):
    pair = {"text": "she is a good doctor and her cat sat .", "counterfactual": "he is a good doctor and his cat sat ."}
    result = explain_text_pairs(pronoun_runner, [pair], lexicon=lexicon, faithfulness=False)
    spans = result.pairs[0].spans
    assert spans.status == "exact" and [s.counterfactual_words for s in spans.spans] == ["he", "his"]
    f = pronoun_runner.score_texts(
        [pair["text"], pair["text"].replace("she", "he"), pair["text"].replace("her", "his"), pair["counterfactual"]]
    )
    expected = [0.5 * ((f[1] - f[0]) + (f[3] - f[2])), 0.5 * ((f[2] - f[0]) + (f[3] - f[1]))]
    assert [s.value for s in spans.spans] == pytest.approx(expected, abs=1e-9)
    assert sum(expected) == pytest.approx(f[3] - f[0], abs=1e-12) == pytest.approx(spans.total, abs=1e-9)
    assert result.pairs[0].delta == pytest.approx(spans.total, abs=1e-5)  # IG's own forward pass agrees


def test_pairs_of_different_token_lengths_fall_back_to_neutral_baselines(pronoun_runner):
    pair = {"text": "she is a good doctor .", "counterfactual": "he is a good doctors ."}  # doctor ##s
    result = explain_text_pairs(pronoun_runner, [pair], faithfulness=False)
    record = result.pairs[0]
    assert not record.aligned and record.pair_attribution is None and record.protected_share is None
    assert record.protected_share_neutral is not None and record.protected_share_neutral > 0.5
    assert record.counterfactual_attribution.words[4] == "doctors"  # two subwords, one word
    assert any("different lengths" in note for note in result.notes)


def test_result_is_json_ready_renders_examples_and_reports_progress(pronoun_runner, lexicon):
    calls = []
    pairs = select_pairs(_probe_pairs(pronoun_runner, lexicon), 4)
    result = explain_text_pairs(pronoun_runner, pairs, lexicon=lexicon, n_render=2, progress=lambda *a: calls.append(a))
    json.dumps(asdict(result), allow_nan=False)
    assert len(result.rendered) == 2
    first = result.rendered[0]
    assert [word for word, _, _ in first.text_tokens] == list(result.pairs[0].text_attribution.words)
    assert any(protected and word == "she" for word, _, protected in first.text_tokens)
    fractions = [fraction for fraction, _ in calls]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0 and len(calls) >= len(pairs)
    assert result.method == "integrated_gradients" and result.library_version
    assert result.cost.gradient_evaluations > 0 and result.cost.texts_scored > 0


def test_occlusion_finds_the_pronoun_through_scores_alone(pronoun_runner, lexicon):
    seen = []

    def black_box(texts):
        seen.append(len(texts))
        return pronoun_runner.score_texts(texts)

    pairs = select_pairs(_probe_pairs(pronoun_runner, lexicon), 16)
    masked = occlusion_pairs(black_box, pairs, lexicon=lexicon, replacement="[PAD]")
    assert masked.method == "occlusion" and masked.n_pairs == 16 and "'[PAD]'" in masked.implementation
    for pair in masked.pairs:
        assert pair.flipped and pair.top_word == "she" and pair.counterfactual_top_word == "he"
        assert pair.text_attribution.completeness_error is None and pair.protected_share is None
        assert sum(s.value for s in pair.spans.spans) == pytest.approx(pair.delta, abs=1e-12)
    assert masked.cost.model_calls == len(seen) == 2 and masked.cost.texts_scored == sum(seen)
    assert masked.summaries[0].faithful_rate > 0.75
    json.dumps(asdict(masked), allow_nan=False)
    # Deleting words shifts the pronoun's position, which this position-aware model also reacts to: x still
    # points at "she" in most pairs, x' ("he") less often.
    deleted = occlusion_pairs(black_box, pairs, lexicon=lexicon)
    assert sum(pair.top_word == "she" for pair in deleted.pairs) >= 12


def test_shap_text_explainer_finds_the_pronoun_adds_up_and_states_its_cost(pronoun_runner, lexicon):
    seen = []

    def black_box(texts):
        seen.append(list(texts))
        return pronoun_runner.score_texts(texts)

    pairs = select_pairs(_probe_pairs(pronoun_runner, lexicon), 4)
    # The planted model reads positions, so masked words are replaced, as for occlusion (deleting shifts them).
    result = shap_text_pairs(black_box, pairs, lexicon=lexicon, replacement="[PAD]", max_evals=60)
    assert result.method == "shap_partition" and result.library_version.startswith("shap ")
    assert "'[PAD]'" in result.implementation
    for pair in result.pairs:
        assert pair.flipped and pair.top_word == "she" and pair.counterfactual_top_word == "he"
        assert pair.protected_share is None and pair.protected_share_neutral is not None
        for s in (pair.text_attribution, pair.counterfactual_attribution):
            assert s.baseline == "shap_masked" and len(s.weights) == len(s.words)
            masked = " ".join(["[PAD]"] * len(s.words))
            assert s.baseline_output == pytest.approx(float(pronoun_runner.score_texts([masked])[0]), abs=1e-6)
            assert abs(s.completeness_error) < 1e-9  # Owen values add up to f(x) - f(every word masked)
    texts = [text for call in seen for text in call]
    assert result.cost.texts_scored == len(texts) and result.cost.model_calls == len(seen)
    assert "xxshapmaskxx" not in " ".join(texts)  # masked words are deleted before the model sees the text
    assert any("SHAP scored" in note for note in result.notes)
    json.dumps(asdict(result), allow_nan=False)
    with pytest.raises(ValueError, match="max_evals"):
        shap_text_pairs(black_box, pairs, max_evals=5)


def test_settings_out_of_range_are_refused(pronoun_runner):
    pair = [{"text": "she is good .", "counterfactual": "he is good ."}]
    with pytest.raises(ValueError, match="max_steps"):
        explain_text_pairs(pronoun_runner, pair, max_steps=4)
    with pytest.raises(ValueError, match="target"):
        explain_text_pairs(pronoun_runner, pair, target=5)
    with pytest.raises(ValueError, match="tolerance"):
        explain_text_pairs(pronoun_runner, pair, tolerance=0)
