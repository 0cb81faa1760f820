"""Score analyses from the histogram: AUC, reliability bins, DI / EOD threshold curves (design.md §4, §9)."""

import json

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from explainers.metrics.scores import score_analysis, score_histogram


def _scored(seed: int, n: int = 20_000) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    group = rng.choice(["a", "b", "c"], size=n, p=[0.5, 0.3, 0.2])
    y = rng.random(n) < np.where(group == "a", 0.5, 0.35)
    shift = np.where(group == "b", -0.08, 0.0)  # a planted group shift, so DI and EOD differ from 1 and 0
    score = np.clip(rng.normal(np.where(y, 0.62, 0.42) + shift, 0.17), 0, 1)
    return pd.DataFrame({"group": group, "y": y, "score": score})


def _analyse(rows: pd.DataFrame, **kwargs) -> dict:
    hist = score_histogram(rows["group"], rows["score"], rows["y"], n_bins=kwargs.pop("n_bins", 1000))
    return score_analysis(hist, reference_group=kwargs.pop("reference_group", "a"), **kwargs)


def test_auc_per_group_matches_sklearn_on_the_raw_scores():
    rows = _scored(1)
    result = _analyse(rows)
    for group, part in rows.groupby("group"):
        assert result["auc_by_group"][group] == pytest.approx(roc_auc_score(part["y"], part["score"]), abs=1e-3)
    assert result["auc_overall"] == pytest.approx(roc_auc_score(rows["y"], rows["score"]), abs=1e-3)


def test_auc_is_exact_when_scores_sit_on_bin_centres():
    rows = _scored(2)
    centres = (np.arange(1000) + 0.5) / 1000
    rows["score"] = centres[np.minimum((rows["score"] * 1000).astype(int), 999)]
    result = _analyse(rows)
    for group, part in rows.groupby("group"):
        # Ties within a bin count 1/2 on both sides, as sklearn's trapezoidal area does.
        assert result["auc_by_group"][group] == pytest.approx(roc_auc_score(part["y"], part["score"]), abs=1e-12)
    assert result["auc_overall"] == pytest.approx(roc_auc_score(rows["y"], rows["score"]), abs=1e-12)


def test_auc_is_none_for_a_group_with_one_class():
    rows = _scored(3, n=2000)
    rows.loc[rows["group"] == "c", "y"] = True
    result = _analyse(rows)
    assert result["auc_by_group"]["c"] is None
    assert result["auc_by_group"]["a"] is not None


def test_calibration_matches_a_pandas_groupby_over_equal_width_bins():
    rows = _scored(4)
    result = _analyse(rows, calibration_bins=10)
    rows["bin"] = pd.cut(rows["score"], bins=[k / 10 for k in range(11)], right=False, labels=False)
    rows.loc[rows["score"] == 1.0, "bin"] = 9  # the last bin is closed
    expected = rows.groupby(["group", "bin"]).agg(n=("y", "size"), rate=("y", "mean"), mean=("score", "mean"))
    for group in ("a", "b", "c"):
        bins = result["calibration"][group]
        assert [b["n"] for b in bins] == expected.loc[group, "n"].tolist()
        for entry, (c, row) in zip(bins, expected.loc[group].iterrows(), strict=True):
            assert (entry["bin_low"], entry["bin_high"]) == (c / 10, (c + 1) / 10)
            assert entry["observed_rate"] == pytest.approx(row["rate"], abs=1e-12)
            assert entry["mean_score"] == pytest.approx(row["mean"], abs=0.5e-3)  # within half a fine bin


def test_calibration_skips_empty_bins():
    rows = _scored(5, n=3000)
    rows["score"] = rows["score"].clip(0.3, 0.69)
    bins = _analyse(rows)["calibration"]["a"]
    assert [b["bin_low"] for b in bins] == [0.3, 0.4, 0.5, 0.6]


def test_threshold_curve_rates_equal_a_direct_computation_on_edges():
    rows = _scored(6)
    rows["score"] = (rows["score"] * 100).round() / 100  # many scores exactly on the thresholds
    thresholds = [0.25, 0.29, 0.4, 0.5, 0.57, 0.75]
    result = _analyse(rows, thresholds=thresholds, decision_threshold=0.5)
    curve = {point["threshold"]: point for point in result["threshold_curve"]}
    assert sorted(curve) == thresholds
    for t in thresholds:
        decision = rows["score"] >= t
        sr = decision.groupby(rows["group"]).mean()
        tpr = decision[rows["y"]].groupby(rows["group"][rows["y"]]).mean()
        point = curve[t]
        for group in ("a", "b", "c"):
            assert point["selection_rate"][group] == pytest.approx(sr[group], abs=1e-12)
            assert point["tpr"][group] == pytest.approx(tpr[group], abs=1e-12)
            assert point["disparate_impact"][group] == pytest.approx(sr[group] / sr["a"], abs=1e-12)
            assert point["equal_opportunity_difference"][group] == pytest.approx(tpr[group] - tpr["a"], abs=1e-12)
    assert curve[0.5]["disparate_impact"]["b"] < 0.8  # the planted shift shows


def test_default_curve_spans_005_to_095_and_includes_the_decision_threshold():
    result = _analyse(_scored(7, n=2000), decision_threshold=0.33)
    thresholds = [point["threshold"] for point in result["threshold_curve"]]
    assert thresholds == sorted([k / 20 for k in range(1, 20)] + [0.33])
    assert result["decision_threshold"] == 0.33
    assert result["n_bins"] == 1000
    assert "1000 equal-width bins on [0.0, 1.0]" in result["resolution_note"]


def test_result_is_json_ready_with_none_for_undefined_values():
    rows = _scored(8, n=2000)
    rows.loc[rows["group"] == "a", "score"] = rows["score"].clip(upper=0.9)  # nobody in "a" reaches 0.95
    result = _analyse(rows, thresholds=[0.05, 0.95], n_bins=100)
    text = json.dumps(result, allow_nan=False)
    assert json.loads(text) == result
    top = result["threshold_curve"][-1]
    assert top["threshold"] == 0.95
    assert top["selection_rate"]["a"] == 0.0
    assert top["disparate_impact"]["b"] is None  # SR_b / 0 is undefined, never inf


def test_bad_arguments_raise():
    rows = _scored(9, n=500)
    hist = score_histogram(rows["group"], rows["score"], rows["y"])
    with pytest.raises(ValueError, match="reference group"):
        score_analysis(hist, reference_group="z")
    with pytest.raises(ValueError, match="must divide"):
        score_analysis(hist, reference_group="a", calibration_bins=7)
    with pytest.raises(ValueError, match="outside"):
        score_analysis(hist, reference_group="a", thresholds=[1.5])
