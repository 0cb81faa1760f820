"""Significance test per comparison and Holm adjustment (design.md §4 "Uncertainty and verdicts")."""

import math

import numpy as np
import pytest
from scipy import stats

from explainers.metrics import (
    CountTable,
    MetricConfig,
    MetricResult,
    Verdict,
    audit_attribute,
    holm_adjust,
    two_proportion_test,
)


def _table(*groups: tuple[str, int, int, int, int]) -> CountTable:
    """Build a labelled table from (name, tp, fp, tn, fn) per group."""
    cells = np.zeros((len(groups), 2, 2), dtype=np.int64)
    for g, (_, tp, fp, tn, fn) in enumerate(groups):
        cells[g] = [[tn, fp], [fn, tp]]
    return CountTable(groups=tuple(name for name, *_ in groups), cells=cells, has_outcome=True)


def _by_metric(table: CountTable, reference: str = "a") -> dict[str, MetricResult]:
    result = audit_attribute(table, "g", MetricConfig(reference_group=reference, n_boot=20))
    return {item.metric: item for item in result.results}


def test_large_table_uses_the_pooled_z_test_and_matches_a_hand_computation():
    result = two_proportion_test(420, 1000, 350, 900)
    p_a, p_b, pooled = 420 / 1000, 350 / 900, 770 / 1900
    z = (p_a - p_b) / math.sqrt(pooled * (1 - pooled) * (1 / 1000 + 1 / 900))
    assert result.test == "two_proportion_z"
    assert result.statistic == pytest.approx(z, rel=1e-12)
    assert result.p_value == pytest.approx(2 * stats.norm.sf(abs(z)), rel=1e-12)
    # The pooled z test is the uncorrected chi-square test of the 2x2 table (z^2 = chi^2).
    chi2 = stats.chi2_contingency([[420, 580], [350, 550]], correction=False)
    assert result.p_value == pytest.approx(chi2.pvalue, rel=1e-9)
    assert type(result.p_value) is float and type(result.statistic) is float


def test_small_expected_count_uses_fisher_exact_and_matches_scipy():
    # Expected successes in the smaller row: 10 * 9 / 21 = 4.3 < 5.
    result = two_proportion_test(2, 10, 7, 11)
    expected = stats.fisher_exact([[2, 8], [7, 4]])
    assert result.test == "fisher_exact"
    assert result.p_value == pytest.approx(expected.pvalue, rel=1e-12)
    assert result.statistic == pytest.approx(expected.statistic, rel=1e-12)


def test_expected_count_of_exactly_five_is_large_enough_for_the_z_test():
    assert two_proportion_test(3, 10, 7, 10).test == "two_proportion_z"  # 10 * 10 / 20 = 5
    assert two_proportion_test(3, 10, 6, 10).test == "fisher_exact"  # 10 * 9 / 20 = 4.5


def test_nobody_selected_anywhere_gives_fisher_p_one_and_no_infinite_statistic():
    result = two_proportion_test(0, 50, 0, 80)
    assert (result.test, result.statistic, result.p_value) == ("fisher_exact", None, 1.0)
    assert two_proportion_test(3, 3, 0, 12).statistic is None  # odds ratio is inf


def test_zero_denominator_means_no_test():
    result = two_proportion_test(0, 0, 5, 20)
    assert (result.test, result.statistic, result.p_value) == ("none", None, None)


def test_impossible_counts_are_refused():
    with pytest.raises(ValueError, match="invalid counts"):
        two_proportion_test(11, 10, 1, 10)


def test_planted_large_disparity_is_highly_significant_for_every_metric():
    # b differs from a in SR (0.5 vs 0.3), TPR (0.7 vs 0.45), FPR (0.3 vs 0.15) and PPV (0.7 vs 0.75).
    table = _table(("a", 1400, 600, 1400, 600), ("b", 900, 300, 1700, 1100))
    results = _by_metric(table)
    assert set(results) == {
        "disparate_impact",
        "statistical_parity_difference",
        "equal_opportunity_difference",
        "equal_opportunity_ratio",
        "equalized_odds_difference",
        "predictive_parity_difference",
    }
    for metric in ("disparate_impact", "statistical_parity_difference", "equal_opportunity_difference"):
        assert results[metric].test == "two_proportion_z"
        assert results[metric].p_value < 1e-6, metric
    assert results["equalized_odds_difference"].p_value < 1e-6
    assert results["predictive_parity_difference"].p_value < 0.05  # PPV differs least (0.70 vs 0.75)


def test_equal_rates_are_not_significant():
    table = _table(("a", 400, 200, 300, 100), ("b", 800, 400, 600, 200))  # every rate identical, n 1000 vs 2000
    for item in _by_metric(table).values():
        assert item.p_value > 0.05, item.metric
        assert item.p_value == pytest.approx(1.0)


def test_each_metric_tests_its_own_proportion():
    table = _table(("a", 60, 40, 160, 40), ("b", 50, 60, 150, 40))
    results = _by_metric(table)
    # b: n 300, selected 110, y=fav 90, y!=fav 210; a: n 300, selected 100, y=fav 100, y!=fav 200.
    sr = two_proportion_test(110, 300, 100, 300)
    tpr = two_proportion_test(50, 90, 60, 100)
    fpr = two_proportion_test(60, 210, 40, 200)
    ppv = two_proportion_test(50, 110, 60, 100)
    for metric, expected in [
        ("disparate_impact", sr),
        ("statistical_parity_difference", sr),
        ("equal_opportunity_difference", tpr),
        ("equal_opportunity_ratio", tpr),
        ("predictive_parity_difference", ppv),
    ]:
        assert (results[metric].test, results[metric].p_value) == (expected.test, expected.p_value), metric
    odds = results["equalized_odds_difference"]
    assert odds.test == "bonferroni(tpr:two_proportion_z,fpr:two_proportion_z)"
    assert odds.p_value == pytest.approx(min(1.0, 2 * min(tpr.p_value, fpr.p_value)), rel=1e-12)


def test_small_cells_in_an_audit_use_fisher_and_insufficient_data_still_gets_a_test():
    table = _table(("a", 250, 250, 250, 250), ("b", 1, 1, 3, 3))  # n_b = 8: expected 8 * 502 / 1008 < 5
    item = _by_metric(table)["disparate_impact"]
    assert item.verdict == Verdict.INSUFFICIENT_DATA
    assert item.test == "fisher_exact"
    assert item.p_value == pytest.approx(stats.fisher_exact([[2, 6], [500, 500]]).pvalue, rel=1e-12)


def test_not_computable_results_have_no_test():
    unlabelled = CountTable(groups=("a", "b"), cells=[[[300, 300], [0, 0]], [[350, 250], [0, 0]]], has_outcome=False)
    for item in _by_metric(unlabelled).values():
        if item.verdict == Verdict.NOT_COMPUTABLE:
            assert (item.test, item.p_value) == ("none", None)
        else:
            assert item.test == "two_proportion_z" and type(item.p_value) is float
    zero_reference = _by_metric(_table(("a", 0, 0, 300, 300), ("b", 100, 100, 200, 200)))
    assert (zero_reference["disparate_impact"].test, zero_reference["disparate_impact"].p_value) == ("none", None)
    assert zero_reference["statistical_parity_difference"].test == "two_proportion_z"


def test_metric_result_built_without_test_fields_keeps_working():
    item = MetricResult(
        metric="disparate_impact",
        attribute="g",
        group="b",
        reference_group="a",
        value=1.0,
        ci_low=0.9,
        ci_high=1.1,
        verdict=Verdict.PASS,
        n_group=100,
        n_reference=100,
        band_low=0.8,
        band_high=1.25,
        reason="",
    )
    assert (item.test, item.p_value) == ("", None)


def test_holm_adjust_matches_a_hand_computation():
    # Sorted: 0.005 * 4 = 0.02, 0.01 * 3 = 0.03, 0.03 * 2 = 0.06, 0.04 * 1 = 0.04 -> raised to 0.06 (monotone).
    assert holm_adjust([0.01, 0.04, 0.03, 0.005]) == pytest.approx([0.03, 0.06, 0.06, 0.02], abs=1e-15)


def test_holm_adjust_passes_none_through_without_counting_it():
    # m = 2: 0.01 * 2 = 0.02, then max(0.02, 0.04 * 1) = 0.04.
    adjusted = holm_adjust([None, 0.04, None, 0.01])
    assert adjusted[0] is None and adjusted[2] is None
    assert adjusted[1:4:2] == pytest.approx([0.04, 0.02], abs=1e-15)
    assert holm_adjust([None]) == [None] and holm_adjust([]) == []


def test_holm_adjust_caps_at_one_and_keeps_ties_equal():
    assert holm_adjust([0.5, 0.6, 0.4]) == [1.0, 1.0, 1.0]
    assert holm_adjust([0.02, 0.02]) == pytest.approx([0.04, 0.04])


@pytest.mark.parametrize("bad", [float("nan"), -0.1, 1.5])
def test_holm_adjust_refuses_values_that_are_not_probabilities(bad):
    with pytest.raises(ValueError, match="not in"):
        holm_adjust([0.01, bad])
