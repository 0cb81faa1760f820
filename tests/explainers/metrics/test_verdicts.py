"""Verdict rule of design.md §4: pass, fail, inconclusive, insufficient_data, not_computable."""

import numpy as np
import pytest

from explainers.metrics import CountTable, MetricConfig, Verdict, audit_attribute
from explainers.metrics.verdicts import band_verdict


def _table(*groups: tuple[str, int, int, int, int]) -> CountTable:
    """Build a labelled table from (name, tp, fp, tn, fn) per group."""
    cells = np.zeros((len(groups), 2, 2), dtype=np.int64)
    for g, (_, tp, fp, tn, fn) in enumerate(groups):
        cells[g] = [[tn, fp], [fn, tp]]
    return CountTable(groups=tuple(name for name, *_ in groups), cells=cells, has_outcome=True)


def _result(table: CountTable, metric: str, group: str = "b", **config):
    config.setdefault("reference_group", "a")
    result = audit_attribute(table, "attr", MetricConfig(metrics=(metric,), **config))
    return next(item for item in result.results if item.group == group)


def test_equal_large_groups_pass_disparate_impact():
    table = _table(("a", 2500, 2500, 2500, 2500), ("b", 2500, 2500, 2500, 2500))  # SR 0.5 both, n = 10000
    item = _result(table, "disparate_impact")
    assert item.value == 1.0
    assert item.verdict == Verdict.PASS and item.verdict == "pass"
    assert 0.8 <= item.ci_low and item.ci_high <= 1.25
    assert item.reason == ""


def test_clearly_lower_selection_rate_fails_disparate_impact():
    table = _table(("a", 1250, 1250, 1250, 1250), ("b", 500, 500, 2000, 2000))  # SR 0.5 vs 0.2
    item = _result(table, "disparate_impact")
    assert item.value == pytest.approx(0.4)
    assert item.verdict == Verdict.FAIL
    assert item.ci_high < 0.8


def test_interval_straddling_the_band_edge_is_inconclusive():
    table = _table(("a", 250, 250, 250, 250), ("b", 200, 200, 300, 300))  # SR 0.5 vs 0.4: DI = 0.8 exactly
    item = _result(table, "disparate_impact")
    assert item.verdict == Verdict.INCONCLUSIVE
    assert item.ci_low < 0.8 < item.ci_high


def test_band_override_changes_the_verdict():
    table = _table(("a", 250, 250, 250, 250), ("b", 200, 200, 300, 300))
    item = _result(table, "disparate_impact", bands={"disparate_impact": (0.5, 2.0)})
    assert (item.band_low, item.band_high, item.verdict) == (0.5, 2.0, Verdict.PASS)


@pytest.mark.parametrize(
    ("ci", "expected"),
    [
        ((0.8, 1.25), Verdict.PASS),  # bands are inclusive at both ends
        ((0.7, 0.8), Verdict.INCONCLUSIVE),
        ((0.7, 0.7999), Verdict.FAIL),
        ((1.2501, 1.4), Verdict.FAIL),
        ((0.5, 1.5), Verdict.INCONCLUSIVE),
    ],
)
def test_band_verdict_treats_band_edges_as_inside(ci, expected):
    assert band_verdict(*ci, 0.8, 1.25) == expected


def test_small_group_is_insufficient_data_but_still_reports_its_value():
    table = _table(("a", 250, 250, 250, 250), ("b", 3, 3, 3, 3))  # n_b = 12
    item = _result(table, "disparate_impact")
    assert item.verdict == Verdict.INSUFFICIENT_DATA
    assert item.reason == "n_group=12 < 30"
    assert item.value == pytest.approx(1.0)
    assert item.ci_low is not None


def test_few_favourable_outcomes_make_tpr_metrics_insufficient_data():
    # Both groups are large, but the reference has only 4 rows with y=fav (tp + fn).
    table = _table(("a", 3, 100, 400, 1), ("b", 200, 100, 200, 100))
    item = _result(table, "equal_opportunity_difference")
    assert item.verdict == Verdict.INSUFFICIENT_DATA
    assert item.reason == "reference has 4 rows with y=fav < 10"
    odds = _result(table, "equalized_odds_difference")
    assert odds.verdict == Verdict.INSUFFICIENT_DATA
    # Selection-rate metrics need no labels and are judged normally on the same table.
    assert _result(table, "statistical_parity_difference").verdict != Verdict.INSUFFICIENT_DATA


def test_few_unfavourable_outcomes_in_the_group_make_equalized_odds_insufficient_data():
    table = _table(("a", 200, 100, 200, 100), ("b", 300, 2, 5, 100))  # group b: 7 rows with y=unfav
    item = _result(table, "equalized_odds_difference")
    assert item.verdict == Verdict.INSUFFICIENT_DATA
    assert item.reason == "group has 7 rows with y=unfav < 10"
    assert _result(table, "equal_opportunity_difference").verdict != Verdict.INSUFFICIENT_DATA


def test_outcome_metrics_are_not_computable_without_labels():
    cells = np.array([[[300, 300], [0, 0]], [[350, 250], [0, 0]]])
    table = CountTable(groups=("a", "b"), cells=cells, has_outcome=False)
    item = _result(table, "equal_opportunity_difference")
    assert (item.verdict, item.value, item.ci_low, item.ci_high) == (Verdict.NOT_COMPUTABLE, None, None, None)
    assert item.reason == "no outcome labels"


def test_zero_reference_selection_rate_makes_disparate_impact_not_computable():
    table = _table(("a", 0, 0, 300, 300), ("b", 100, 100, 200, 200))  # SR_a = 0
    item = _result(table, "disparate_impact")
    assert (item.verdict, item.value, item.ci_low, item.ci_high) == (Verdict.NOT_COMPUTABLE, None, None, None)
    assert item.reason == "SR_r = 0, ratio undefined"
    # The difference is still defined on the same table.
    spd = _result(table, "statistical_parity_difference")
    assert spd.value == pytest.approx(1 / 3) and spd.verdict == Verdict.FAIL


def test_group_without_selections_makes_predictive_parity_not_computable():
    table = _table(("a", 200, 100, 200, 100), ("b", 0, 0, 300, 300))  # group b: no yhat=fav rows
    item = _result(table, "predictive_parity_difference")
    assert item.verdict == Verdict.NOT_COMPUTABLE
    assert item.reason == "group has 0 rows with yhat=fav"
