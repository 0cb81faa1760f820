"""Tabular global explanations and SHAP quality (issue 16 §2, §3) on a planted model that reads sex."""

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import make_column_transformer
from sklearn.ensemble import RandomForestClassifier
from sklearn.inspection import partial_dependence as sklearn_partial_dependence
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from explainers.attributions.quality_tabular import tabular_quality
from explainers.attributions.tabular import explain_tabular
from explainers.global_.tabular import partial_dependence, tabular_global
from explainers.runners.tabular import TabularRunner
from tests.explainers.attributions.test_tabular_attributions import _applicants

FEATURES = ["sex", "occupation", "income", "noise", "shift"]


@pytest.fixture(scope="module")
def applicants():
    return _applicants(800)


def _runner(frame, estimator):
    prepare = make_column_transformer(
        (OneHotEncoder(handle_unknown="ignore"), ["sex", "occupation", "shift"]),
        (StandardScaler(), ["income", "noise"]),
    )
    model = make_pipeline(prepare, estimator).fit(frame[FEATURES], frame["outcome"])
    return TabularRunner(model, favourable_class="grant")


@pytest.fixture(scope="module")
def forest(applicants):
    return _runner(applicants, RandomForestClassifier(40, max_depth=5, random_state=0))


def test_importance_per_group_is_mean_absolute_shap_of_the_group(forest, applicants):
    result = tabular_global(forest, applicants, protected="sex", max_rows=80, background_rows=30)
    explained = explain_tabular(forest, applicants, protected="sex", max_rows=80, background_rows=30,
                                faithfulness=False)  # fmt: skip
    values = np.array(explained.values)
    sexes = applicants.iloc[list(explained.rows)]["sex"].to_numpy()
    by_feature = {entry["feature"]: entry for entry in result["importance"]}
    assert result["importance"][0]["feature"] == "sex"
    for j, feature in enumerate(explained.feature_names):
        for group in ("female", "male"):
            expected = np.abs(values[sexes == group, j]).mean()
            assert by_feature[feature]["per_group"][group] == pytest.approx(expected)
    dependence = {entry["feature"]: entry for entry in result["partial_dependence"]}
    assert dependence["sex"]["role"] == "protected" and dependence["sex"]["range"] > 0.3
    assert dependence["occupation"]["role"] == "proxy"
    assert result["cost"]["rows"] == 80


def test_partial_dependence_equals_scikit_learn_brute_force(applicants):
    runner = _runner(applicants, LogisticRegression(max_iter=500))
    sample = applicants.head(60).reset_index(drop=True)
    ours = partial_dependence(runner, sample, "income", FEATURES, groups=sample["sex"], proxy=True)
    theirs = sklearn_partial_dependence(
        runner.model, sample[FEATURES], ["income"], custom_values={"income": np.array(ours["grid"])},
        method="brute", response_method="predict_proba", kind="average",
    )  # fmt: skip
    favourable = list(runner.model.classes_).index("grant")
    expected = theirs["average"][0] if favourable == 1 else 1 - theirs["average"][0]
    np.testing.assert_allclose(ours["mean_score"], expected, rtol=1e-9)
    women = sample["sex"] == "female"
    first = sample[FEATURES].assign(income=ours["grid"][0])
    assert ours["per_group"]["female"][0] == pytest.approx(runner.scores(first)[women.to_numpy()].mean())


def test_tree_and_permutation_shap_agree_and_are_stable(forest, applicants):
    result = tabular_quality(forest, applicants, max_rows=20, background_rows=20)
    assert result["consistency"]["methods"] == ["tree_shap", "permutation_shap"]
    agreement = result["consistency"]["agreement"]
    assert agreement["n"] == 20 and agreement["mean_top_overlap"] > 0.6
    assert result["stability"]["stable"] is True
    assert "stable" in result["stability"]["reading"]


def test_a_linear_model_is_compared_with_background_ablation(applicants):
    runner = _runner(applicants, LogisticRegression(max_iter=500))
    result = tabular_quality(runner, applicants, max_rows=10, background_rows=10)
    assert result["consistency"]["methods"] == ["permutation_shap", "ablation"]
    assert result["consistency"]["agreement"]["mean_spearman"] is not None
    assert isinstance(pd.Series(result["cost"]).get("seconds"), float)
