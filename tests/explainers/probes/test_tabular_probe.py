"""Tabular counterfactual probe (design.md §5 "Tabular probe"): planted bias, controls, proxies, privacy, seeds."""

import dataclasses
import json

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder
from sklearn.tree import DecisionTreeClassifier

from explainers.probes import sample_rows, tabular_counterfactual_probe
from explainers.runners import TabularRunner

EXAMPLE_KEYS = {
    "row",
    "source_group",
    "target_group",
    "score",
    "counterfactual_score",
    "decision",
    "counterfactual_decision",
}


def _people(n: int = 3000, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "sex": rng.choice(["female", "male"], size=n),
            "education": rng.choice(["school", "college", "degree"], size=n),
            "age": rng.integers(18, 70, size=n),
        }
    )


def _biased_labels(frame: pd.DataFrame, seed: int = 1) -> np.ndarray:
    """Outcome driven mostly by sex: the bias the probe must find."""
    rng = np.random.default_rng(seed)
    logit = np.where(frame["sex"] == "male", 1.2, -1.2) + 0.08 * (frame["age"] - 44)
    return np.where(rng.random(len(frame)) < 1 / (1 + np.exp(-logit)), ">50K", "<=50K")


def _pipeline(categorical: list[str], numeric: list[str], estimator=None):
    encode = ColumnTransformer(
        [("cat", OneHotEncoder(handle_unknown="ignore"), categorical), ("num", "passthrough", numeric)]
    )
    return make_pipeline(encode, estimator or LogisticRegression(max_iter=1000))


@pytest.fixture(scope="module")
def biased():
    frame = _people()
    model = _pipeline(["sex", "education"], ["age"]).fit(frame, _biased_labels(frame))
    runner = TabularRunner(model, favourable_class=">50K")
    return runner, frame, tabular_counterfactual_probe(runner, frame, column="sex", n_boot=500, seed=3)


def test_planted_sex_bias_gives_a_high_rate_and_fails(biased):
    _, _, result = biased
    assert result.protected_is_feature
    assert result.groups == ("female", "male")
    assert result.causal_discrimination_rate > 0.5
    assert result.cdr_ci_low <= result.causal_discrimination_rate <= result.cdr_ci_high
    assert result.cdr_ci_low > result.threshold
    assert result.verdict == "fail"


def test_female_to_male_raises_the_score_with_an_interval_excluding_zero(biased):
    _, _, result = biased
    pair = next(p for p in result.pairs if (p.source_group, p.target_group) == ("female", "male"))
    assert pair.mean_delta > 0.3 and pair.delta_ci_low > 0
    assert pair.mean_abs_delta == pytest.approx(pair.mean_delta)  # every female row moves up
    assert pair.flip_rate > 0.5 and pair.flip_ci_low > 0.4
    assert pair.wilcoxon_p is not None and pair.wilcoxon_p < 1e-10
    reverse = next(p for p in result.pairs if (p.source_group, p.target_group) == ("male", "female"))
    assert reverse.mean_delta < 0 and reverse.delta_ci_high < 0 and reverse.flip_rate > 0.5


def test_pairs_cover_every_ordered_pair_sorted_and_sizes_match_the_sample(biased):
    _, frame, result = biased
    assert [(p.source_group, p.target_group) for p in result.pairs] == [("female", "male"), ("male", "female")]
    counts = frame["sex"].value_counts()
    assert [p.n for p in result.pairs] == [counts["female"], counts["male"]]
    assert result.rows_sampled == result.n_rows == len(frame)


def test_control_model_trained_without_the_protected_column_passes_with_rate_zero():
    frame = _people()
    model = _pipeline(["education"], ["age"]).fit(frame.drop(columns="sex"), _biased_labels(frame))
    result = tabular_counterfactual_probe(TabularRunner(model, favourable_class=">50K"), frame, column="sex")
    assert not result.protected_is_feature
    assert result.causal_discrimination_rate == 0.0
    assert (result.cdr_ci_low, result.cdr_ci_high) == (0.0, 0.0)
    assert result.verdict == "pass"
    assert all(p.flip_rate == 0 and p.mean_delta == 0 and p.wilcoxon_p is None for p in result.pairs)
    assert result.examples == ()


def test_model_given_the_column_but_ignoring_it_also_passes():
    frame = _people()
    # Fitted with sex among its inputs (so it is a feature), but the ColumnTransformer drops it.
    model = _pipeline(["education"], ["age"]).fit(frame, _biased_labels(frame))
    result = tabular_counterfactual_probe(TabularRunner(model, favourable_class=">50K"), frame, column="sex")
    assert result.protected_is_feature
    assert result.causal_discrimination_rate == 0.0
    assert result.verdict == "pass"


def test_zip_area_is_reported_as_the_strongest_proxy_of_race():
    rng = np.random.default_rng(5)
    n = 3000
    race = rng.choice(["black", "white", "asian"], size=n)
    home = {"black": ["z1", "z2"], "white": ["z3", "z4"], "asian": ["z5", "z6"]}
    # 90% live in their group's two areas, the rest anywhere: a strong but imperfect proxy.
    zip_area = np.array([rng.choice(home[r]) if rng.random() < 0.9 else f"z{rng.integers(1, 7)}" for r in race])
    frame = pd.DataFrame(
        {"race": race, "zip_area": zip_area, "tenure": rng.integers(0, 30, size=n), "hours": rng.normal(40, 5, n)}
    )
    y = np.isin(zip_area, ["z3", "z4"]) ^ (rng.random(n) < 0.1)
    model = _pipeline(["zip_area"], ["tenure", "hours"]).fit(frame.drop(columns="race"), y)
    result = tabular_counterfactual_probe(TabularRunner(model, favourable_class=True), frame, column="race")
    assert result.causal_discrimination_rate == 0.0 and not result.protected_is_feature
    assert result.proxies[0].feature == "zip_area"
    assert result.proxies[0].association > 0.5
    assert result.proxies[0].method == "cramers_v_bias_corrected"
    assert all(p.association < 0.1 for p in result.proxies[1:])
    assert "race" not in [p.feature for p in result.proxies]


def test_examples_hold_only_scores_and_decisions_of_flipped_pairs(biased):
    runner, frame, result = biased
    assert len(result.examples) == 5
    deltas = [abs(e["counterfactual_score"] - e["score"]) for e in result.examples]
    assert deltas == sorted(deltas, reverse=True)
    positions = sample_rows(frame, column="sex", max_rows=20_000, seed=3)
    for example in result.examples:
        assert set(example) == EXAMPLE_KEYS
        assert example["decision"] != example["counterfactual_decision"]
        assert type(example["row"]) is int and type(example["score"]) is float
        row = frame.iloc[[positions[example["row"]]]]
        assert row["sex"].iloc[0] == example["source_group"]
        assert runner.scores(row)[0] == pytest.approx(example["score"])
    json.dumps(dataclasses.asdict(result))  # JSON-ready: plain types only


def test_examples_can_be_switched_off(biased):
    runner, frame, _ = biased
    result = tabular_counterfactual_probe(runner, frame, column="sex", n_boot=50, include_examples=False)
    assert result.examples == ()


def test_same_seed_gives_an_identical_result_and_another_seed_another_sample(biased):
    runner, frame, _ = biased
    first = tabular_counterfactual_probe(runner, frame, column="sex", max_rows=1000, n_boot=200, seed=11)
    assert tabular_counterfactual_probe(runner, frame, column="sex", max_rows=1000, n_boot=200, seed=11) == first
    other = tabular_counterfactual_probe(runner, frame, column="sex", max_rows=1000, n_boot=200, seed=12)
    assert other != first
    assert first.rows_sampled == 1000 and first.n_rows == len(frame)


def test_batch_size_does_not_change_the_result(biased):
    runner, frame, _ = biased
    small = TabularRunner(runner.model, favourable_class=">50K", batch_size=333)
    kwargs = {"column": "sex", "max_rows": 800, "n_boot": 100}
    assert tabular_counterfactual_probe(small, frame, **kwargs) == tabular_counterfactual_probe(runner, frame, **kwargs)


def test_rate_at_the_threshold_is_inconclusive(biased):
    runner, frame, result = biased
    at = tabular_counterfactual_probe(
        runner, frame, column="sex", n_boot=500, seed=3, threshold=result.causal_discrimination_rate
    )
    assert at.verdict == "inconclusive"


def test_numeric_protected_column_gets_numeric_counterfactual_values():
    frame = _people(n=1500)
    coded = frame.assign(sex=(frame["sex"] == "male").astype(np.int64))
    model = DecisionTreeClassifier(max_depth=3, random_state=0)
    model.fit(coded[["sex", "age"]], _biased_labels(frame))
    result = tabular_counterfactual_probe(TabularRunner(model, favourable_class=">50K"), coded, column="sex")
    assert result.groups == ("0", "1")
    assert result.causal_discrimination_rate > 0.5
    assert [(p.source_group, p.target_group) for p in result.pairs] == [("0", "1"), ("1", "0")]


def test_missing_protected_values_are_dropped_and_absent_groups_are_targets_only(biased):
    runner, frame, _ = biased
    holes = frame.copy()
    holes.loc[holes.index[:100], "sex"] = None
    result = tabular_counterfactual_probe(runner, holes, column="sex", groups=["female", "male", "other"], n_boot=50)
    assert result.rows_sampled == len(frame) - 100
    assert result.groups == ("female", "male", "other")
    sources = {p.source_group for p in result.pairs}
    assert sources == {"female", "male"}
    assert len(result.pairs) == 4


def test_bad_arguments_raise_value_errors(biased):
    runner, frame, _ = biased
    with pytest.raises(ValueError, match="not in the frame"):
        tabular_counterfactual_probe(runner, frame, column="religion")
    with pytest.raises(ValueError, match="at least two groups"):
        tabular_counterfactual_probe(runner, frame, column="sex", groups=["female"])
    with pytest.raises(ValueError, match="alpha"):
        tabular_counterfactual_probe(runner, frame, column="sex", alpha=1.5)


def test_rate_and_pairs_match_a_row_by_row_recomputation_with_three_groups():
    rng = np.random.default_rng(8)
    n = 400
    frame = pd.DataFrame({"race": rng.choice(["a", "b", "c"], size=n), "age": rng.integers(18, 70, size=n)})
    logit = pd.Series(frame["race"]).map({"a": 1.0, "b": 0.0, "c": -1.0}) + 0.06 * (frame["age"] - 44)
    y = rng.random(n) < 1 / (1 + np.exp(-logit))
    runner = TabularRunner(_pipeline(["race"], ["age"]).fit(frame, y), favourable_class=True)
    result = tabular_counterfactual_probe(runner, frame, column="race", n_boot=50)

    base_decision, base_score = runner.predict(frame)
    changed = np.zeros(n, dtype=bool)
    for pair in result.pairs:
        rows = (frame["race"] == pair.source_group).to_numpy()
        moved = frame.loc[rows].assign(race=pair.target_group)
        decision, score = runner.predict(moved)
        changed[rows] |= decision != base_decision[rows]
        assert pair.n == rows.sum()
        assert pair.flip_rate == pytest.approx(np.mean(decision != base_decision[rows]), abs=1e-12)
        assert pair.mean_delta == pytest.approx(np.mean(score - base_score[rows]), abs=1e-12)
        assert pair.flip_ci_low <= pair.flip_rate <= pair.flip_ci_high
    assert len(result.pairs) == 6
    assert 0 < result.causal_discrimination_rate == pytest.approx(changed.mean(), abs=1e-12)
