"""Verdicts that hold as a family (design.md §4): explainers.metrics.family and its seeded simulations."""

import math

import numpy as np
import pytest

from explainers.metrics import CountTable, MetricConfig, Verdict
from explainers.metrics.audit import audit_attribute_with_replicates
from explainers.metrics.bootstrap import bootstrap_tables
from explainers.metrics.definitions import metric_values
from explainers.metrics.family import FAMILYWISE, FDR, PER_COMPARISON, FamilySlice, control_family
from explainers.metrics.family_simulation import (
    edge_population,
    equalized_odds_coverage,
    equalized_odds_population,
    simulate_false_fails,
)
from explainers.metrics.significance import by_adjust


def _monte_carlo_margin(share: float, repetitions: int) -> float:
    """Two binomial standard deviations of a share estimated from `repetitions` audits."""
    return 2 * math.sqrt(share * (1 - share) / repetitions)


def test_with_50_groups_on_the_band_edge_familywise_keeps_any_false_fail_under_5_percent_and_per_comparison_does_not():
    # 50 groups whose true DI and SPD lie on the band edge (DI 0.8, SPD -0.1) or inside it: every fail is false.
    # Per comparison, each edge comparison fails with probability about 2.5%, so most audits hold some false fail.
    repetitions = 80
    figures = simulate_false_fails(
        edge_population(groups=50, n_group=400), repetitions=repetitions, n_boot=300, seed=11,
        rules=(PER_COMPARISON, FAMILYWISE),
    )  # fmt: skip

    assert figures.any_false_fail[FAMILYWISE] <= 0.05 + _monte_carlo_margin(0.05, repetitions)
    assert figures.any_false_fail[PER_COMPARISON] >= 0.3
    assert figures.false_fails_per_audit[PER_COMPARISON] > 10 * max(figures.false_fails_per_audit[FAMILYWISE], 0.01)


def test_planted_violations_among_50_edge_groups_are_found_under_every_rule():
    repetitions = 30
    figures = simulate_false_fails(
        edge_population(groups=50, n_group=400, planted=5), repetitions=repetitions, n_boot=300, seed=5
    )

    # DI 0.6 against a band from 0.8: found in most audits even with the simultaneous intervals, more often per
    # comparison (the price of holding every claim jointly), and the fdr rule lies in between or at familywise.
    assert figures.power[FAMILYWISE] >= 0.4
    assert figures.power[PER_COMPARISON] >= figures.power[FDR] >= figures.power[FAMILYWISE]
    assert figures.any_false_fail[FAMILYWISE] <= 0.05 + _monte_carlo_margin(0.05, repetitions)


def test_equalized_odds_percentile_interval_under_covers_at_the_band_edge_and_its_component_interval_does_not():
    # dTPR = dFPR = 0.1: EO = 0.1 on the band edge, where max(|a|, |b|) is most biased away from zero.
    repetitions = 300
    coverage = equalized_odds_coverage(equalized_odds_population(0.1, 0.1), repetitions=repetitions, seed=3)

    margin = _monte_carlo_margin(0.95, repetitions)
    assert coverage["truth"] == pytest.approx(0.1)
    assert coverage["percentile"] < 0.95 - margin  # measured 0.873 when written
    assert coverage["derived"] >= 0.95 - margin


def _slice(cells, reference="a", metrics=("statistical_parity_difference",), n_boot=400, seed=0, p=None):
    groups = tuple(
        f"{chr(97 + g // 26)}{chr(97 + g % 26)}" if len(cells) > 26 else chr(97 + g) for g in range(len(cells))
    )
    reference = groups[0]
    table = CountTable(groups=groups, cells=np.asarray(cells), has_outcome=True)
    config = MetricConfig(reference_group=reference, metrics=metrics, n_boot=n_boot, seed=seed)
    result, replicates = audit_attribute_with_replicates(table, "g", config)
    p_adjusted = p if p is not None else [r.p_value for r in result.results]
    return FamilySlice(result=result, cells=np.asarray(table.cells), replicates=replicates, p_adjusted=p_adjusted)


def _cells(selected, sizes):
    """A (G, 2, 2) table with decisions independent of the outcome: half of each group has y = fav."""
    cells = np.zeros((len(sizes), 2, 2), dtype=np.int64)
    for g, (s, n) in enumerate(zip(selected, sizes, strict=True)):
        cells[g, 1, 1], cells[g, 0, 1] = s // 2, s - s // 2
        cells[g, 1, 0], cells[g, 0, 0] = (n - s) // 2, n - s - (n - s) // 2
    return cells


def test_familywise_critical_value_is_the_max_t_quantile_computed_by_hand():
    piece = _slice(_cells([250, 200, 230, 180], [500, 500, 500, 500]), n_boot=500, seed=4)
    (revised,), summary = control_family([piece], rule=FAMILYWISE, alpha=0.05)

    # By hand: the same Multinomial replicates, SPD per group, studentised by its bootstrap sd, max over groups.
    tables = bootstrap_tables(piece.cells, 500, 4)
    point = metric_values("statistical_parity_difference", piece.cells, 0)
    boot = metric_values("statistical_parity_difference", tables, 0)[:, 1:]
    sd = boot.std(axis=0, ddof=1)
    maxima = (np.abs(boot - point[1:]) / sd).max(axis=1)
    critical = np.sort(maxima)[math.ceil(0.95 * 499)]
    assert summary.critical_value == pytest.approx(critical, rel=1e-12)
    assert summary.comparisons == 3 and summary.statistics == 3
    assert summary.marginal_level == pytest.approx(2 * (0.5 * (1 + math.erf(critical / math.sqrt(2)))) - 1)
    for result, s, value in zip(revised.results, sd, point[1:], strict=True):
        assert result.value == value  # point estimates never change
        assert result.adjusted_ci_low == pytest.approx(min(value - critical * s, result.ci_low))
        assert result.adjusted_ci_high == pytest.approx(max(value + critical * s, result.ci_high))
        assert result.adjusted_ci_low <= result.ci_low and result.ci_high <= result.adjusted_ci_high


def test_a_ratio_metric_is_studentised_on_the_log_scale():
    piece = _slice(_cells([250, 150], [500, 500]), metrics=("disparate_impact",), n_boot=500, seed=2)
    (revised,), summary = control_family([piece], rule=FAMILYWISE, alpha=0.05)

    (result,) = revised.results
    boot = np.log(metric_values("disparate_impact", bootstrap_tables(piece.cells, 500, 2), 0)[:, 1])
    sd = boot.std(ddof=1)
    c = summary.critical_value
    expected = (math.exp(math.log(0.6) - c * sd), math.exp(math.log(0.6) + c * sd))
    assert result.value == pytest.approx(0.6)
    assert result.adjusted_ci_low == pytest.approx(min(expected[0], result.ci_low))
    assert result.adjusted_ci_high == pytest.approx(max(expected[1], result.ci_high))
    assert result.verdict == Verdict.FAIL


def test_a_fail_never_stands_beside_an_adjusted_test_that_finds_no_evidence():
    cells = _cells([300, 100], [500, 500])  # SPD = -0.4: a clear fail
    for rule in (PER_COMPARISON, FAMILYWISE, FDR):
        (kept,), summary = control_family([_slice(cells, p=[1e-9])], rule=rule, alpha=0.05)
        assert kept.results[0].verdict == Verdict.FAIL and summary.withheld == 0

        (withheld,), summary = control_family([_slice(cells, p=[0.2])], rule=rule, alpha=0.05)
        (result,) = withheld.results
        assert result.verdict == Verdict.INCONCLUSIVE and summary.withheld == 1
        assert "finds no evidence" in result.reason and "0.2 > 0.05" in result.reason


def test_insufficient_and_not_computable_comparisons_stay_out_of_the_family():
    cells = _cells([250, 200, 5], [500, 500, 12])  # group c has 12 rows: insufficient data
    (revised,), summary = control_family([_slice(cells)], rule=FAMILYWISE, alpha=0.05)

    by_group = {r.group: r for r in revised.results}
    assert by_group["c"].verdict == Verdict.INSUFFICIENT_DATA and by_group["c"].adjusted_ci_low is None
    assert summary.comparisons == 1 and by_group["b"].adjusted_ci_low is not None


def test_more_comparisons_widen_the_simultaneous_intervals():
    small = control_family([_slice(_cells([250, 200], [500, 500]), seed=1)], rule=FAMILYWISE, alpha=0.05)[1]
    many = _cells([250] + [200] * 30, [500] * 31)
    large = control_family([_slice(many, seed=1)], rule=FAMILYWISE, alpha=0.05)[1]

    assert 1.8 < small.critical_value < 2.2  # one comparison: about the normal 1.96
    assert large.critical_value > small.critical_value + 0.5


def test_slices_join_replicate_by_replicate_into_one_family():
    one = _slice(_cells([250, 200, 210], [500, 500, 500]), seed=1)
    two = _slice(_cells([240, 220, 190], [400, 400, 400]), seed=2)
    _, joint = control_family([one, two], rule=FAMILYWISE, alpha=0.05)
    _, alone = control_family([one], rule=FAMILYWISE, alpha=0.05)

    assert joint.comparisons == 4 and joint.critical_value > alone.critical_value


def test_fdr_selects_r_claims_and_reports_every_interval_at_level_one_minus_r_alpha_over_m_h():
    # 10 groups: 4 far outside the band (SPD -0.3), 6 straddling it (SPD -0.1).
    cells = _cells([300] + [150] * 4 + [250] * 6, [600] + [600] * 10)
    (revised,), summary = control_family([_slice(cells, seed=3)], rule=FDR, alpha=0.05)

    m = 10
    harmonic = sum(1 / i for i in range(1, m + 1))
    claims = sum(r.verdict in (Verdict.PASS, Verdict.FAIL) for r in revised.results)
    assert summary.selected == claims == 4
    assert summary.marginal_level == pytest.approx(1 - 4 * 0.05 / (m * harmonic))
    assert [r.verdict for r in revised.results] == [Verdict.FAIL] * 4 + [Verdict.INCONCLUSIVE] * 6
    for result in revised.results:
        assert result.adjusted_ci_low <= result.ci_low and result.ci_high <= result.adjusted_ci_high


def test_equalized_odds_interval_is_derived_from_its_tpr_and_fpr_components():
    # Group b against a: dTPR = 280/600 - 400/600 = -0.2, dFPR = 270/600 - 300/600 = -0.05.
    cells = np.array([[[300, 300], [200, 400]], [[330, 270], [320, 280]]])  # [g, y, yhat]
    piece = _slice(cells, metrics=("equalized_odds_difference",), n_boot=500, seed=8)
    (revised,), summary = control_family([piece], rule=FAMILYWISE, alpha=0.05)

    (result,) = revised.results
    tables = bootstrap_tables(piece.cells, 500, 8)
    tpr = tables[..., 1, 1] / tables[..., 1, :].sum(-1)
    fpr = tables[..., 0, 1] / tables[..., 0, :].sum(-1)
    c = summary.critical_value
    bounds = []
    for rate, point in ((tpr, (400 / 600, 280 / 600)), (fpr, (300 / 600, 270 / 600))):
        diff = rate[:, 1] - rate[:, 0]
        estimate, sd = point[1] - point[0], diff.std(ddof=1)
        bounds.append((estimate - c * sd, estimate + c * sd))
    nearest = max(0.0 if lo <= 0 <= hi else min(abs(lo), abs(hi)) for lo, hi in bounds)
    farthest = max(max(abs(lo), abs(hi)) for lo, hi in bounds)
    assert summary.statistics == 2 and summary.comparisons == 1
    assert result.adjusted_ci_low == pytest.approx(min(nearest, result.ci_low))
    assert result.adjusted_ci_high == pytest.approx(max(farthest, result.ci_high))


def test_per_comparison_leaves_every_interval_but_equalized_odds_as_the_percentile_one():
    cells = np.array([[[300, 300], [200, 400]], [[330, 270], [320, 280]]])
    piece = _slice(cells, metrics=("statistical_parity_difference", "equalized_odds_difference"), seed=8)
    (revised,), summary = control_family([piece], rule=PER_COMPARISON, alpha=0.05)

    spd, eo = revised.results
    assert spd == piece.result.results[0]  # untouched
    assert eo.adjusted_ci_low is not None and summary.critical_value is None


def test_an_unknown_rule_is_refused():
    with pytest.raises(ValueError, match="verdict_error_control"):
        control_family([], rule="bonferroni", alpha=0.05)


def test_benjamini_yekutieli_adjustment_matches_a_hand_computation():
    # m = 4, H_4 = 25/12; sorted p 0.005, 0.01, 0.03, 0.04 -> m H p / rank = 0.04167, 0.04167, 0.08333, 0.08333
    # (already monotone, so the running minimum from the largest rank down keeps them).
    low, high = 4 * (25 / 12) * 0.005, 4 * (25 / 12) * 0.01
    expected = [low, high, high, low]
    assert by_adjust([0.01, 0.04, 0.03, 0.005]) == pytest.approx(expected, abs=1e-15)
    assert (
        by_adjust([None, 0.9, None]) == [None, 0.9, None]
        and by_adjust([0.5, 0.9]) == [1.0, 1.0]
        and by_adjust([]) == []
    )
    with pytest.raises(ValueError):
        by_adjust([float("nan")])
