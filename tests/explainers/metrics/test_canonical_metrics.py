"""Canonical metrics (design.md §4) equal a hand computation with pandas on the raw rows."""

import numpy as np
import pandas as pd
import pytest

from explainers.metrics import METRIC_DEFINITIONS, MetricConfig, audit_attribute, count_table


def _rows(seed: int, sizes: list[int]) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    group = np.repeat([f"group-{i}" for i in range(len(sizes))], sizes)
    y = rng.random(group.size) < np.repeat(rng.uniform(0.3, 0.7, len(sizes)), sizes)
    yhat = rng.random(group.size) < np.where(y, 0.75, 0.3) + np.repeat(rng.uniform(-0.2, 0.2, len(sizes)), sizes)
    return pd.DataFrame({"group": group, "y": y, "yhat": yhat})


def _hand_rates(rows: pd.DataFrame) -> pd.DataFrame:
    """SR, TPR, FPR, PPV per group straight from the rows."""
    by_group = rows.groupby("group")
    return pd.DataFrame(
        {
            "sr": by_group["yhat"].mean(),
            "tpr": rows[rows["y"]].groupby("group")["yhat"].mean(),
            "fpr": rows[~rows["y"]].groupby("group")["yhat"].mean(),
            "ppv": rows[rows["yhat"]].groupby("group")["y"].mean(),
        }
    )


@pytest.mark.parametrize(("seed", "sizes", "reference"), [(0, [300, 700], None), (1, [120, 800, 450, 90], "group-2")])
def test_canonical_metrics_equal_a_pandas_groupby_hand_computation(seed, sizes, reference):
    rows = _rows(seed, sizes)
    hand = _hand_rates(rows)
    table = count_table(rows["group"], rows["yhat"].to_numpy(), rows["y"].to_numpy())
    result = audit_attribute(table, "g", MetricConfig(reference_group=reference, n_boot=10))
    r = result.reference_group
    assert r == (reference or hand["sr"].idxmax())
    expected = {
        "disparate_impact": hand["sr"] / hand.loc[r, "sr"],
        "statistical_parity_difference": hand["sr"] - hand.loc[r, "sr"],
        "equal_opportunity_difference": hand["tpr"] - hand.loc[r, "tpr"],
        "equal_opportunity_ratio": hand["tpr"] / hand.loc[r, "tpr"],
        "equalized_odds_difference": np.maximum(
            (hand["tpr"] - hand.loc[r, "tpr"]).abs(), (hand["fpr"] - hand.loc[r, "fpr"]).abs()
        ),
        "predictive_parity_difference": hand["ppv"] - hand.loc[r, "ppv"],
    }
    assert len(result.results) == len(METRIC_DEFINITIONS) * (len(sizes) - 1)
    for item in result.results:
        assert item.value == pytest.approx(expected[item.metric][item.group], abs=1e-12), (item.metric, item.group)


def test_results_are_ordered_by_metric_then_group_and_hold_plain_python_numbers():
    rows = _rows(2, [200, 300, 400])
    table = count_table(rows["group"], rows["yhat"].to_numpy(), rows["y"].to_numpy())
    result = audit_attribute(table, "g", MetricConfig(reference_group="group-1", n_boot=50))
    order = [(item.metric, item.group) for item in result.results]
    assert order == [(m, g) for m in METRIC_DEFINITIONS for g in ("group-0", "group-2")]
    for item in result.results:
        for number in (item.value, item.ci_low, item.ci_high, item.band_low, item.band_high):
            assert type(number) is float
        assert type(item.n_group) is int and type(item.n_reference) is int
    for stats in result.groups:
        assert type(stats.tp) is int and type(stats.selection_rate) is float and type(stats.npv) is float


def test_requested_metrics_come_back_in_definition_order_whatever_the_config_order():
    rows = _rows(3, [200, 300])
    table = count_table(rows["group"], rows["yhat"].to_numpy(), rows["y"].to_numpy())
    config = MetricConfig(metrics=["predictive_parity_difference", "disparate_impact"], n_boot=20)
    metrics = [item.metric for item in audit_attribute(table, "g", config).results]
    assert metrics == ["disparate_impact", "predictive_parity_difference"]


def test_unknown_metric_in_config_is_refused():
    with pytest.raises(ValueError, match="unknown metrics"):
        MetricConfig(metrics=("disparate_impakt",))
