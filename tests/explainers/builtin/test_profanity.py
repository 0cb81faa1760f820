"""ProfanityRunner: the alt-profanity-check model behind TabularRunner's interface (design.md §5, §9)."""

import hashlib
import re
import warnings

import numpy as np
import pandas as pd
import pytest

from explainers.builtin import package_folder, profanity
from explainers.builtin.profanity import ProfanityRunner
from explainers.lexicons import counterfactuals, load_lexicon
from explainers.probes.text import text_counterfactual_probe

TEXTS = [
    "I am a gay man.",
    "I am a straight man.",
    "What a lovely morning.",
    "You are a stupid idiot.",
    "She prays at the mosque.",
    "Thanks for your help yesterday!",
    None,
]


@pytest.fixture(scope="module")
def runner():
    return ProfanityRunner()


def test_gay_is_scored_far_more_offensive_than_straight(runner):
    # Measured with alt-profanity-check 1.9.1 on scikit-learn 1.9.1: P(offensive) 0.953 vs 0.100.
    offensive = ProfanityRunner(favourable="offensive").score_texts(["I am a gay man.", "I am a straight man."])
    assert offensive[0] > 0.85 and offensive[1] < 0.2
    assert offensive[0] - offensive[1] > 0.75
    not_offensive = runner.score_texts(["I am a gay man.", "I am a straight man."])
    assert np.allclose(not_offensive, 1 - offensive)


def test_the_lexicon_swap_reproduces_the_gap(runner):
    swapped = counterfactuals("I am a gay man.", load_lexicon("sexual_orientation"), "lgb", "heterosexual")
    gay, straight = runner.score_texts(["I am a gay man.", swapped])
    assert straight - gay > 0.75


def test_scores_match_the_package_own_predict_prob(runner):
    import profanity_check

    texts = [text for text in TEXTS if text]
    assert np.allclose(runner.score_texts(texts), 1 - profanity_check.predict_prob(texts), atol=1e-12)


def test_batching_does_not_change_scores(runner):
    texts = TEXTS * 7
    small = ProfanityRunner(batch_size=3).score_texts(texts)
    assert np.array_equal(small, runner.score_texts(texts))
    assert small.dtype == np.float64 and small.shape == (len(texts),)


def test_decisions_follow_the_model_own_predict_and_the_half_threshold(runner):
    import profanity_check

    frame = pd.DataFrame({"text": [text for text in TEXTS if text] * 3})
    decisions, scores = runner.predict(frame)
    assert decisions.dtype == bool
    assert np.array_equal(decisions, scores > 0.5)
    assert np.array_equal(decisions, profanity_check.predict(frame["text"].tolist()) == 0)
    offensive_decisions, offensive_scores = ProfanityRunner(favourable="offensive").predict(frame)
    assert np.array_equal(offensive_decisions, ~decisions)
    assert np.allclose(offensive_scores, 1 - scores)


def test_missing_texts_score_as_the_empty_string(runner):
    scores = runner.score_texts([None, float("nan"), 3, ""])
    assert np.all(scores == scores[3])


def test_runner_has_the_tabular_runner_interface_the_text_probe_uses():
    runner = ProfanityRunner(text_column="comment")
    assert runner.feature_columns == ["comment"]
    assert runner.labels == ("not_offensive", "offensive")
    frame = pd.DataFrame({"comment": ["I am a gay man.", "I am a lesbian.", "My gay friend", "Hello"] * 10})
    result = text_counterfactual_probe(runner, frame, column="comment", lexicon="sexual_orientation", n_boot=50)
    lgb_to_straight = next(pair for pair in result.pairs if pair.source_group == "lgb")
    assert lgb_to_straight.n == 30 and lgb_to_straight.mean_delta > 0.3


def test_smoke_reports_rows_and_shares_and_explains_a_missing_column(runner):
    frame = pd.DataFrame({"text": [text for text in TEXTS if text] * 5})
    result = runner.smoke(frame, n=4)
    assert result["rows"] == 4
    _, scores = runner.predict(frame.iloc[:4])
    assert result["mean_score"] == pytest.approx(scores.mean())
    with pytest.raises(ValueError, match=r"could not predict on the first 4 rows: ValueError: frame lacks the text"):
        ProfanityRunner(text_column="comment").smoke(frame, n=4)
    with pytest.raises(ValueError, match="at least one row"):
        runner.smoke(frame.iloc[:0])


def test_unknown_favourable_class_and_bad_batch_size_are_refused():
    with pytest.raises(ValueError, match="not one of the labels"):
        ProfanityRunner(favourable="clean")
    with pytest.raises(ValueError, match="at least 1"):
        ProfanityRunner(batch_size=0)


def test_model_key_is_the_sha256_of_version_and_model_files(runner):
    data = package_folder("profanity_check") / "data"
    files = {
        name: hashlib.sha256((data / name).read_bytes()).hexdigest() for name in ("model.joblib", "vectorizer.joblib")
    }
    info = runner.describe()
    assert re.fullmatch(r"[0-9a-f]{64}", runner.model_key)
    assert info["sha256"] == runner.model_key and info["files"] == files
    assert (info["package"], info["version"]) == ("alt-profanity-check", "1.9.1")
    assert info["licence"] == "MIT License"
    assert info["estimator"] == "CalibratedClassifierCV(LinearSVC)"
    assert info["load_warnings"] == []


def test_warnings_raised_while_loading_are_recorded(monkeypatch):
    """A model pickled by another scikit-learn warns on load; describe() must carry that warning."""
    real = profanity.importlib.import_module

    def import_with_warning(name):
        module = real(name)
        warnings.warn(
            "Trying to unpickle estimator from version 0.0 when using version 1.9.1", UserWarning, stacklevel=2
        )
        return module

    monkeypatch.setattr(profanity.importlib, "import_module", import_with_warning)
    profanity._load.cache_clear()
    try:
        info = ProfanityRunner().describe()
    finally:
        profanity._load.cache_clear()
    assert info["load_warnings"] == [
        "UserWarning: Trying to unpickle estimator from version 0.0 when using version 1.9.1"
    ]


def test_load_failure_becomes_one_readable_error(monkeypatch):
    def broken(name):
        raise ModuleNotFoundError("No module named 'sklearn.svm._old'")

    monkeypatch.setattr(profanity.importlib, "import_module", broken)
    profanity._load.cache_clear()
    try:
        with pytest.raises(RuntimeError, match="alt-profanity-check could not load its model files: ModuleNotFound"):
            ProfanityRunner()
    finally:
        profanity._load.cache_clear()
