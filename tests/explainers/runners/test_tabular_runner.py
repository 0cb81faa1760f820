"""TabularRunner: favourable-class matching, batching, decisions and the smoke check (design.md §5, §9)."""

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder
from sklearn.svm import LinearSVC
from sklearn.tree import DecisionTreeClassifier

from explainers.runners import TabularRunner


def _frame(n: int = 400, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "job": rng.choice(["clerk", "nurse", "welder"], size=n),
            "age": rng.integers(18, 70, size=n),
            "hours": rng.normal(40, 8, size=n),
        }
    )


def _labels(frame: pd.DataFrame, seed: int = 1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    logit = 0.08 * (frame["age"] - 40) + np.where(frame["job"] == "nurse", 1.0, -0.3)
    return rng.random(len(frame)) < 1 / (1 + np.exp(-logit))


def _pipeline(frame: pd.DataFrame, y) -> object:
    encode = ColumnTransformer([("cat", OneHotEncoder(handle_unknown="ignore"), ["job"])], remainder="passthrough")
    return make_pipeline(encode, LogisticRegression(max_iter=1000)).fit(frame, y)


def test_favourable_class_given_as_text_finds_the_integer_class():
    frame = _frame()
    model = _pipeline(frame, _labels(frame).astype(int))
    runner = TabularRunner(model, favourable_class="1")
    assert runner.favourable_index == 1
    assert runner.favourable_class == 1


def test_favourable_class_given_as_integer_finds_the_text_class():
    frame = _frame()
    model = _pipeline(frame, np.where(_labels(frame), "1", "0"))
    assert TabularRunner(model, favourable_class=1).favourable_index == 1
    assert TabularRunner(model, favourable_class=0).favourable_index == 0


def test_favourable_class_matches_income_strings_and_float_classes():
    frame = _frame()
    income = _pipeline(frame, np.where(_labels(frame), ">50K", "<=50K"))
    assert list(income.classes_) == ["<=50K", ">50K"]
    assert TabularRunner(income, favourable_class=">50K").favourable_index == 1
    floats = _pipeline(frame, _labels(frame).astype(float))
    assert TabularRunner(floats, favourable_class="1").favourable_index == 1


def test_absent_favourable_class_raises_naming_the_model_classes():
    frame = _frame()
    model = _pipeline(frame, np.where(_labels(frame), ">50K", "<=50K"))
    with pytest.raises(ValueError, match=r"'yes'.*\['<=50K', '>50K'\]"):
        TabularRunner(model, favourable_class="yes")


def test_unfitted_or_non_classifier_model_is_refused():
    with pytest.raises(ValueError, match="classes_"):
        TabularRunner(LogisticRegression(), favourable_class=1)


def test_batched_scores_equal_one_shot_predict_proba():
    frame = _frame(n=1000)
    model = _pipeline(frame, _labels(frame))
    runner = TabularRunner(model, favourable_class=True, batch_size=7)
    scores = runner.scores(frame)
    assert scores.dtype == np.float64 and scores.shape == (1000,)
    np.testing.assert_allclose(scores, model.predict_proba(frame)[:, 1], rtol=0, atol=1e-12)


def test_decisions_are_the_models_own_predict_rule_in_batches():
    frame = _frame(n=1000)
    model = _pipeline(frame, np.where(_labels(frame), "yes", "no"))
    runner = TabularRunner(model, favourable_class="yes", batch_size=64)
    decisions = runner.decisions(frame)
    assert decisions.dtype == bool
    np.testing.assert_array_equal(decisions, model.predict(frame) == "yes")
    assert 0 < decisions.mean() < 1


@pytest.mark.parametrize("kind", ["pipeline", "plain_estimator"])
def test_predict_returns_the_same_decisions_and_scores_as_the_separate_calls(kind):
    frame, y = _frame(n=800), _labels(_frame(n=800))
    if kind == "pipeline":
        model = _pipeline(frame, y)
    else:
        frame = frame.drop(columns="job")
        model = DecisionTreeClassifier(max_depth=4, random_state=0).fit(frame, y)
    runner = TabularRunner(model, favourable_class=True, batch_size=100)
    decisions, scores = runner.predict(frame)
    np.testing.assert_array_equal(decisions, model.predict(frame))
    np.testing.assert_allclose(scores, model.predict_proba(frame)[:, 1], rtol=0, atol=1e-12)


def test_model_without_probabilities_scores_its_decisions_as_one_or_zero():
    frame = _frame().drop(columns="job")
    model = LinearSVC().fit(frame, _labels(_frame()))
    runner = TabularRunner(model, favourable_class=True)
    decisions, scores = runner.predict(frame)
    np.testing.assert_array_equal(scores, decisions.astype(float))
    np.testing.assert_array_equal(runner.scores(frame), decisions.astype(float))


def test_feature_columns_default_to_the_fitted_names_and_ignore_extra_columns():
    frame = _frame()
    runner = TabularRunner(_pipeline(frame, _labels(frame)), favourable_class=True)
    assert runner.feature_columns == ["job", "age", "hours"]
    shuffled = frame[["hours", "job", "age"]].assign(sex="female")
    np.testing.assert_allclose(runner.scores(shuffled), runner.scores(frame), rtol=0, atol=1e-12)


def test_smoke_reports_rows_mean_score_and_favourable_share():
    frame = _frame()
    runner = TabularRunner(_pipeline(frame, _labels(frame)), favourable_class=True)
    report = runner.smoke(frame, n=20)
    decisions, scores = runner.predict(frame.head(20))
    assert report == {"rows": 20, "mean_score": float(scores.mean()), "favourable_share": float(decisions.mean())}


def test_smoke_on_a_frame_missing_a_model_column_raises_a_clear_error():
    frame = _frame()
    runner = TabularRunner(_pipeline(frame, _labels(frame)), favourable_class=True)
    with pytest.raises(ValueError, match=r"could not predict.*\['age'\]"):
        runner.smoke(frame.drop(columns="age"))
    with pytest.raises(ValueError, match="at least one row"):
        runner.smoke(frame.iloc[:0])


def test_a_pipeline_fitted_on_raw_documents_reads_its_text_column_as_strings():
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import Pipeline

    from explainers.runners.tabular import reads_documents

    texts = ["she leads the team", "he leads the team", "she cooks dinner", "he fixes cars"] * 10
    labels = ["ok", "ok", "toxic", "ok"] * 10
    model = Pipeline([("tfidf", TfidfVectorizer()), ("classify", LogisticRegression())]).fit(texts, labels)
    frame = pd.DataFrame({"id": range(len(texts)), "review": texts})

    runner = TabularRunner(model, favourable_class="ok", text_column="review", batch_size=7)
    decisions, scores = runner.predict(frame)

    assert reads_documents(model) and runner.feature_columns == ["review"]
    assert np.array_equal(decisions, model.predict(texts) == "ok")
    assert np.allclose(scores, model.predict_proba(texts)[:, list(model.classes_).index("ok")])
    assert np.allclose(runner.scores(frame), scores) and np.array_equal(runner.decisions(frame), decisions)


def test_models_fitted_on_columns_or_arrays_do_not_read_documents():
    from explainers.runners.tabular import reads_documents

    frame = _frame()
    fitted_on_frame = LogisticRegression().fit(frame[["age", "hours"]], _labels(frame))
    fitted_on_array = LogisticRegression().fit(frame[["age", "hours"]].to_numpy(), _labels(frame))

    assert not reads_documents(fitted_on_frame) and not reads_documents(fitted_on_array)
    with pytest.raises(ValueError, match="either text_column or feature_columns"):
        TabularRunner(fitted_on_frame, favourable_class=True, feature_columns=["age"], text_column="age")
