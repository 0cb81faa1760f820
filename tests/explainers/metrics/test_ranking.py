"""Ranking exposure and top-k shares against a hand computation and fairlearn's MetricFrame, to 1e-12."""

import math

import numpy as np
import pandas as pd
import pytest
from fairlearn.metrics import MetricFrame

from explainers.metrics.ranking import RankingConfig, position_exposure, ranking_audit


def _finding(result, metric, group):
    return next(f for f in result.findings if f.metric == metric and f.group == group)


def test_exposure_and_top_k_share_of_a_small_ranking_by_hand():
    # One list of six: a at ranks 1, 2, 5; b at ranks 3, 4, 6; top-2.
    groups = ["a", "a", "b", "b", "a", "b"]
    ranks = [1, 2, 3, 4, 5, 6]
    result = ranking_audit(groups, ranks, attribute="g", config=RankingConfig(top_k=2, n_boot=10, min_group_size=1))
    exposure_a = (1 / math.log2(2) + 1 / math.log2(3) + 1 / math.log2(6)) / 3
    exposure_b = (1 / math.log2(4) + 1 / math.log2(5) + 1 / math.log2(7)) / 3
    assert result.reference_group == "a"  # the highest exposure
    by_group = {g.group: g for g in result.groups}
    assert by_group["a"].exposure == pytest.approx(exposure_a, abs=1e-12)
    assert by_group["b"].exposure == pytest.approx(exposure_b, abs=1e-12)
    assert _finding(result, "exposure_ratio", "b").value == pytest.approx(exposure_b / exposure_a, abs=1e-12)
    assert by_group["a"].top_k_share == 1.0 and by_group["b"].top_k_share == 0.0
    assert _finding(result, "top_k_share_ratio", "a").value == pytest.approx(1.0 / 0.5, abs=1e-12)
    assert _finding(result, "top_k_share_ratio", "b").value == 0.0


def test_exposure_is_averaged_per_query_by_hand():
    # Query 1: a at 1, b at 2. Query 2: b at 1, b at 2, a at 3, a at 4.
    queries = [1, 1, 2, 2, 2, 2]
    groups = ["a", "b", "b", "b", "a", "a"]
    ranks = [1, 2, 1, 2, 3, 4]
    result = ranking_audit(
        groups, ranks, queries, attribute="g", config=RankingConfig(top_k=1, n_boot=10, min_group_size=1)
    )
    e = position_exposure
    exposure_a = (e(1) + (e(3) + e(4)) / 2) / 2
    exposure_b = (e(2) + (e(1) + e(2)) / 2) / 2
    by_group = {g.group: g for g in result.groups}
    assert by_group["a"].exposure == pytest.approx(exposure_a, abs=1e-12)
    assert by_group["b"].exposure == pytest.approx(exposure_b, abs=1e-12)
    assert result.queries == 2 and result.resampled == "queries"
    assert by_group["a"].top_k_share == 0.5 and by_group["b"].top_k_share == 0.5


def _list(seed: int, n_queries: int = 150, length: int = 20) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    ranks = np.tile(np.arange(1, length + 1), n_queries)
    queries = np.repeat(np.arange(n_queries), length)
    other = np.where(rng.random(ranks.size) < 0.5, "b", "c")
    groups = np.where(rng.random(ranks.size) < 0.6 - 0.02 * ranks, "a", other)
    return pd.DataFrame({"group": groups, "rank": ranks, "query": queries})


@pytest.mark.parametrize("seed", [0, 1])
def test_row_level_exposure_and_top_k_shares_equal_metricframe(seed):
    rows = _list(seed)
    k = 5
    exposure = position_exposure(rows["rank"])
    frame = MetricFrame(
        metrics={
            "exposure": lambda y_true, y_pred: np.mean(y_pred),
            "in_top": lambda y_true, y_pred: np.sum(y_true <= k),
        },
        y_true=rows["rank"].to_numpy(),
        y_pred=exposure,
        sensitive_features=rows["group"],
    ).by_group
    result = ranking_audit(rows["group"], rows["rank"], attribute="g", config=RankingConfig(top_k=k, n_boot=20))
    top_total = (rows["rank"] <= k).sum()
    for group in result.groups:
        assert group.exposure == pytest.approx(frame.loc[group.group, "exposure"], abs=1e-12)
        assert group.top_k_share == pytest.approx(frame.loc[group.group, "in_top"] / top_total, abs=1e-12)
        assert group.population_share == pytest.approx((rows["group"] == group.group).mean(), abs=1e-12)
    reference = frame["exposure"].idxmax()
    for group in frame.index.drop(reference):
        ratio = frame.loc[group, "exposure"] / frame.loc[reference, "exposure"]
        assert _finding(result, "exposure_ratio", group).value == pytest.approx(ratio, abs=1e-12)


def test_query_bootstrap_is_seeded_and_wider_than_nothing():
    rows = _list(2)
    config = RankingConfig(n_boot=300, seed=3)
    first = ranking_audit(rows["group"], rows["rank"], rows["query"], attribute="g", config=config)
    again = ranking_audit(rows["group"], rows["rank"], rows["query"], attribute="g", config=config)
    assert first.findings == again.findings
    for finding in first.findings:
        assert finding.ci_low < finding.value < finding.ci_high


def test_a_ranking_that_puts_one_group_last_fails():
    groups = np.tile(np.repeat(["a", "b"], 10), 100)
    ranks = np.tile(np.arange(1, 21), 100)
    queries = np.repeat(np.arange(100), 20)
    result = ranking_audit(groups, ranks, queries, attribute="g", config=RankingConfig(n_boot=200))
    assert _finding(result, "exposure_ratio", "b").verdict == "fail"
    assert _finding(result, "top_k_share_ratio", "b").value == 0.0
    assert _finding(result, "top_k_share_ratio", "b").verdict == "fail"
