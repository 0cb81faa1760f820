"""The ThresholdOptimizer what-if: an analysis of group-specific thresholds, never a recommendation (design.md §4)."""

import json

import numpy as np
import pytest

from explainers.metrics.scores import threshold_optimizer_whatif


def _shifted(seed: int, n: int = 6000) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Two groups with the same outcome model, the scores of group "b" planted 0.15 lower."""
    rng = np.random.default_rng(seed)
    group = rng.choice(["a", "b"], size=n)
    y = rng.random(n) < 0.5
    score = np.clip(rng.normal(np.where(y, 0.62, 0.38) - np.where(group == "b", 0.15, 0.0), 0.12), 0, 1)
    return group, score, y


def test_demographic_parity_moves_disparate_impact_toward_one():
    group, score, y = _shifted(1)
    result = threshold_optimizer_whatif(group, score, y, reference_group="a", constraint="demographic_parity")
    assert result["label"] == "analysis, not a recommendation"
    di_before = result["before"]["disparate_impact"]["b"]
    di_after = result["after"]["disparate_impact"]["b"]
    assert di_before < 0.7  # the planted shift
    assert abs(1 - di_after) < abs(1 - di_before)
    assert abs(1 - di_after) < 0.1
    assert result["before"]["disparate_impact"]["a"] == 1.0
    # "before" is the plain rule score >= 0.5.
    assert result["before"]["selection_rate"]["b"] == pytest.approx(np.mean(score[group == "b"] >= 0.5), abs=1e-12)


def test_equal_opportunity_moves_eod_toward_zero():
    group, score, y = _shifted(2)
    result = threshold_optimizer_whatif(group, score, y, reference_group="a", constraint="equal_opportunity")
    assert result["fairlearn_constraint"] == "true_positive_rate_parity"
    eod_before = result["before"]["equal_opportunity_difference"]["b"]
    eod_after = result["after"]["equal_opportunity_difference"]["b"]
    assert abs(eod_after) < abs(eod_before)
    assert 0 <= result["after"]["accuracy"] <= 1


def test_result_is_json_ready_and_lists_per_group_thresholds():
    group, score, y = _shifted(3, n=3000)
    result = threshold_optimizer_whatif(group, score, y, reference_group="a")
    assert json.loads(json.dumps(result, allow_nan=False)) == result
    thresholds = result["group_thresholds"]
    assert set(thresholds) == {"a", "b"}
    for entry in thresholds.values():
        operations = entry["operations"]
        assert len(operations) == 2
        assert sum(op["probability"] for op in operations) == pytest.approx(1.0)
    # The shifted group gets the lower threshold.
    assert max(op["threshold"] for op in thresholds["b"]["operations"]) < min(
        op["threshold"] for op in thresholds["a"]["operations"]
    )
    assert any("not recommend" in note for note in result["notes"])


def test_large_inputs_are_subsampled_with_the_seed_recorded():
    group, score, y = _shifted(4, n=5000)
    first = threshold_optimizer_whatif(group, score, y, reference_group="a", max_rows=2000, seed=7)
    again = threshold_optimizer_whatif(group, score, y, reference_group="a", max_rows=2000, seed=7)
    assert (first["rows_total"], first["rows_used"], first["subsampled"], first["seed"]) == (5000, 2000, True, 7)
    assert first == again
    other = threshold_optimizer_whatif(group, score, y, reference_group="a", max_rows=2000, seed=8)
    assert other["before"] != first["before"]


def test_nan_scores_raise():
    group, score, y = _shifted(5, n=200)
    score[17] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        threshold_optimizer_whatif(group, score, y, reference_group="a")


def test_bad_arguments_raise_before_fitting():
    group, score, y = _shifted(6, n=200)
    with pytest.raises(ValueError, match="constraint"):
        threshold_optimizer_whatif(group, score, y, reference_group="a", constraint="equalized_odds")
    with pytest.raises(ValueError, match="reference group"):
        threshold_optimizer_whatif(group, score, y, reference_group="z")
    y[group == "b"] = True
    with pytest.raises(ValueError, match="single outcome"):
        threshold_optimizer_whatif(group, score, y, reference_group="a")
