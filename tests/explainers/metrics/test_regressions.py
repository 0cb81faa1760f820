"""Regressions against a baseline audit: the difference interval (hand computation, a direct row bootstrap, the
normal approximation), the rules of each kind, and the false-alarm rate on resamples of one population."""

from dataclasses import asdict

import numpy as np
import pytest

from explainers.metrics import MetricConfig, audit_attribute, count_table
from explainers.metrics.counts import CountTable
from explainers.metrics.regressions import (
    AuditSnapshot,
    RegressionRules,
    SliceSnapshot,
    find_regressions,
    metric_differences,
    regression_seeds,
    table_from_group_stats,
)

RULES = RegressionRules(tolerance=0.05, n_boot=2000, alpha=0.05, min_group_size=30, min_denominator=10)
METRICS = ("disparate_impact", "statistical_parity_difference", "equal_opportunity_difference")


def _table(counts: dict[str, tuple[int, int, int, int]]) -> CountTable:
    """Groups -> (tn, fp, fn, tp), i.e. cells [y=0,yhat=0], [0,1], [1,0], [1,1]."""
    groups = tuple(sorted(counts))
    cells = np.array([np.reshape(counts[g], (2, 2)) for g in groups])
    return CountTable(groups=groups, cells=cells, has_outcome=True)


def _rows(counts: dict[str, tuple[int, int]], rng) -> tuple[np.ndarray, np.ndarray]:
    """Raw rows of groups with (n, selected): group labels and decisions, shuffled."""
    groups = np.concatenate([[g] * n for g, (n, _) in counts.items()])
    decisions = np.concatenate([[True] * k + [False] * (n - k) for _, (n, k) in counts.items()])
    order = rng.permutation(len(groups))
    return groups[order], decisions[order]


def _snapshot(table: CountTable, attribute="sex", metrics=METRICS, verdicts=None, probes=None, seed=11):
    result = audit_attribute(table, attribute, MetricConfig(metrics=metrics, n_boot=300, seed=seed))
    if verdicts is None:
        verdicts = {(r.metric, r.group): str(r.verdict) for r in result.results}
    piece = SliceSnapshot(attribute, "", result.reference_group, table, seed, verdicts)
    return AuditSnapshot(slices=(piece,), probes=probes or {})


def test_the_count_table_is_rebuilt_exactly_from_a_reports_group_rows():
    rng = np.random.default_rng(3)
    groups = rng.choice(["a", "b", "c"], 500)
    labelled = count_table(groups, rng.random(500) < 0.5, rng.random(500) < 0.4)
    unlabelled = count_table(groups, rng.random(500) < 0.5)

    for table in (labelled, unlabelled):
        stats = [asdict(g) for g in audit_attribute(table, "x", MetricConfig(n_boot=100)).groups]
        assert table_from_group_stats(list(reversed(stats))) == table


def test_the_point_difference_is_the_hand_computation():
    # Baseline: SR_f = 30/100, SR_m = 50/100 -> DI 0.6; now SR_f = 20/100 -> DI 0.4, SPD -0.2 -> -0.3.
    before = _table({"f": (40, 30, 30, 0), "m": (25, 25, 25, 25)})
    after = _table({"f": (50, 20, 30, 0), "m": (25, 25, 25, 25)})

    (di, spd) = metric_differences(
        after, before, "m", ["disparate_impact", "statistical_parity_difference"], n_boot=500, alpha=0.05, seed=1
    )

    assert (di.group, di.before, di.after) == ("f", pytest.approx(0.6), pytest.approx(0.4))
    assert di.difference == pytest.approx(-0.2)
    assert (spd.before, spd.after, spd.difference) == (pytest.approx(-0.2), pytest.approx(-0.3), pytest.approx(-0.1))


def test_the_interval_agrees_with_a_bootstrap_of_the_raw_rows_of_both_samples():
    rng = np.random.default_rng(20261204)
    before = {"f": (800, 400), "m": (900, 540)}
    now = {"f": (700, 294), "m": (1000, 610)}
    g0, d0 = _rows(before, rng)
    g1, d1 = _rows(now, rng)
    b = 4000

    ours = metric_differences(
        count_table(g1, d1), count_table(g0, d0), "m", ["disparate_impact"], n_boot=b, alpha=0.05, seed=5
    )[0]
    # Direct: resample the rows of each sample with replacement, independently, and recompute DI each time.
    replicates = []
    for _ in range(b):
        i, j = rng.integers(0, len(g0), len(g0)), rng.integers(0, len(g1), len(g1))
        di = [np.mean(d[g == "f"]) / np.mean(d[g == "m"]) for g, d in ((g1[j], d1[j]), (g0[i], d0[i]))]
        replicates.append(di[0] - di[1])
    low, high = np.percentile(replicates, [2.5, 97.5])

    assert ours.difference == pytest.approx((294 / 700) / (610 / 1000) - (400 / 800) / (540 / 900))
    # Monte-Carlo error of a 2.5% quantile with B=4000 is about 0.002 here; 0.01 is five of them.
    assert ours.ci_low == pytest.approx(low, abs=0.01) and ours.ci_high == pytest.approx(high, abs=0.01)


def test_the_interval_of_a_difference_of_rates_matches_the_normal_approximation():
    before = _table({"f": (300, 200, 0, 0), "m": (250, 250, 0, 0)})
    now = _table({"f": (350, 150, 0, 0), "m": (250, 250, 0, 0)})

    (spd,) = metric_differences(now, before, "m", ["statistical_parity_difference"], n_boot=4000, alpha=0.05, seed=2)

    # SPD_now - SPD_before = (0.3 - 0.5) - (0.4 - 0.5); four independent proportions of 500 rows each.
    se = np.sqrt(sum(p * (1 - p) / 500 for p in (0.3, 0.5, 0.4, 0.5)))
    assert spd.difference == pytest.approx(-0.1)
    assert spd.ci_low == pytest.approx(-0.1 - 1.96 * se, abs=0.006)
    assert spd.ci_high == pytest.approx(-0.1 + 1.96 * se, abs=0.006)


def test_the_two_tables_get_independent_reproducible_streams():
    baseline_seed, current_seed = regression_seeds(7)
    assert baseline_seed != current_seed and regression_seeds(7) == (baseline_seed, current_seed)
    table = _table({"f": (300, 200, 0, 0), "m": (250, 250, 0, 0)})

    (same,) = metric_differences(table, table, "m", ["disparate_impact"], n_boot=1000, alpha=0.05, seed=7)

    # Shared random numbers would give identical replicates and a zero-width interval.
    assert same.difference == 0 and same.ci_low < -0.05 and same.ci_high > 0.05


def test_unchanged_data_reports_no_regression():
    table = _table({"f": (40, 30, 30, 100), "m": (60, 40, 20, 80), "x": (50, 50, 50, 50)})

    assert find_regressions(_snapshot(table), _snapshot(table), METRICS, RULES) == []


def test_a_planted_drop_in_one_group_is_the_only_regression_and_an_improvement_is_none():
    base = {"f": (400, 400, 200, 1000), "m": (400, 400, 200, 1000), "x": (400, 400, 200, 1000)}
    drop = {**base, "x": (600, 200, 500, 700)}  # x's selection rate 0.7 -> 0.45

    metrics = ("disparate_impact",)
    found = find_regressions(
        _snapshot(_table(drop), metrics=metrics), _snapshot(_table(base), metrics=metrics), metrics, RULES
    )
    improved = find_regressions(
        _snapshot(_table(base), metrics=metrics), _snapshot(_table(drop), metrics=metrics), metrics, RULES
    )

    assert [(r.kind, r.group, r.metric) for r in found] == [
        ("verdict_change", "x", "disparate_impact"),
        ("metric_move", "x", "disparate_impact"),
    ]
    move = found[1]
    assert (move.before, move.after) == (pytest.approx(1.0), pytest.approx(0.45 / 0.7))
    assert move.interval[1] < 0 and move.reference_group == "f"
    assert improved == []


def test_a_move_within_the_tolerance_is_not_a_regression():
    base = {"f": (4000, 4000, 2000, 10000), "m": (4000, 4000, 2000, 10000)}
    small = {**base, "m": (4200, 3800, 2200, 9800)}  # SR 0.7 -> 0.68: significant with 20,000 rows, yet small

    (move,) = metric_differences(
        _table(small), _table(base), "f", ["statistical_parity_difference"], n_boot=1000, alpha=0.05, seed=3
    )
    found = find_regressions(_snapshot(_table(small)), _snapshot(_table(base)), METRICS, RULES)
    strict = find_regressions(_snapshot(_table(small)), _snapshot(_table(base)), METRICS, RULES.__class__(
        tolerance=0.01, n_boot=2000, alpha=0.05, min_group_size=30, min_denominator=10
    ))  # fmt: skip

    assert move.excludes_zero and abs(move.difference) < RULES.tolerance
    assert found == []
    assert {(r.kind, r.group) for r in strict} == {("metric_move", "m")}


def test_verdict_changes_count_worse_verdicts_and_lost_passes_only():
    table = _table({"f": (40, 30, 30, 100), "m": (60, 40, 20, 80)})
    metrics = ("disparate_impact",)

    def changes(before: str, after: str) -> list:
        now = _snapshot(table, metrics=metrics, verdicts={("disparate_impact", "m"): after})
        then = _snapshot(table, metrics=metrics, verdicts={("disparate_impact", "m"): before})
        return [(r.before, r.after) for r in find_regressions(now, then, metrics, RULES) if r.kind == "verdict_change"]

    assert changes("pass", "fail") == [("pass", "fail")]
    assert changes("pass", "inconclusive") == [("pass", "inconclusive")]
    assert changes("inconclusive", "fail") == [("inconclusive", "fail")]
    assert changes("pass", "insufficient_data") == [("pass", "insufficient_data")]
    for before, after in [("fail", "pass"), ("inconclusive", "pass"), ("fail", "fail"), ("fail", "insufficient_data")]:
        assert changes(before, after) == []


def test_a_group_under_the_minimum_is_one_item_and_not_also_a_verdict_change():
    big = {"f": (400, 400, 200, 1000), "m": (400, 400, 200, 1000)}
    base, shrunk, gone = _table({**big, "x": (50, 50, 50, 50)}), _table({**big, "x": (5, 5, 5, 5)}), _table(big)

    found = find_regressions(_snapshot(shrunk), _snapshot(base), METRICS, RULES)
    vanished = find_regressions(_snapshot(gone), _snapshot(base), METRICS, RULES)

    assert [(r.kind, r.group, r.before, r.after, r.difference) for r in found] == [
        ("group_below_minimum", "x", 200, 20, -180)
    ]
    assert [(r.kind, r.group, r.after) for r in vanished] == [("group_below_minimum", "x", 0)]


def test_new_probe_failures_are_those_not_failing_in_the_baseline():
    table = _table({"f": (40, 30, 30, 100), "m": (60, 40, 20, 80)})
    before = {("tabular_counterfactual", "sex"): "pass", ("weat", "gender"): "fail"}
    now = {**before, ("tabular_counterfactual", "sex"): "fail", ("crows_pairs", "overall"): "fail"}

    found = find_regressions(_snapshot(table, probes=now), _snapshot(table, probes=before), METRICS, RULES)

    assert [(r.kind, r.metric, r.attribute, r.before, r.after) for r in found] == [
        ("probe_failure", "tabular_counterfactual", "sex", "pass", "fail"),
        ("probe_failure", "crows_pairs", "overall", None, "fail"),
    ]


# Measured (seed 42, 300 repetitions of 3 groups): n=400 per group: the interval excludes 0 for 4.3% of comparisons,
# 2.2% are regressions, 4.7% of audits have one; n=4000: 4.1%, 0.75% (DI 1.3%, SPD 0.17%), 2.7% of audits.
@pytest.mark.parametrize(("n", "most_flagged"), [(400, 0.035), (4000, 0.015)])
def test_false_alarm_rate_on_resamples_of_one_population(n, most_flagged):
    """Two independent samples of one population per repetition: the difference interval excludes zero at about
    the nominal 5% per comparison; a regression (also away from parity, half of those, and beyond the tolerance,
    which binds once groups are large enough for a 0.05 move to be several standard errors) is rarer."""
    rng = np.random.default_rng(42)
    rates, repetitions = {"a": 0.6, "b": 0.55, "c": 0.5}, 300
    rules = RegressionRules(tolerance=0.05, n_boot=400, alpha=0.05, min_group_size=30, min_denominator=10)
    exclusions = comparisons = flagged = audits_flagged = 0

    def sample() -> CountTable:
        cells = np.zeros((3, 2, 2), dtype=np.int64)
        for i, rate in enumerate(rates.values()):
            selected = rng.binomial(n, rate)
            cells[i, 0] = (n - selected, selected)
        return CountTable(groups=tuple(rates), cells=cells, has_outcome=False)

    metrics = ("disparate_impact", "statistical_parity_difference")
    for repetition in range(repetitions):
        before, now = sample(), sample()
        for d in metric_differences(now, before, "a", metrics, n_boot=400, alpha=0.05, seed=repetition):
            comparisons += 1
            exclusions += d.excludes_zero
        snapshot_now = AuditSnapshot((SliceSnapshot("x", "", "a", now, repetition),))
        snapshot_before = AuditSnapshot((SliceSnapshot("x", "", "a", before, repetition),))
        found = find_regressions(snapshot_now, snapshot_before, metrics, rules)
        flagged += len(found)
        audits_flagged += bool(found)

    exclusion_rate, flag_rate = exclusions / comparisons, flagged / comparisons
    print(f"\nper comparison: interval excludes 0 {exclusion_rate:.3f}, regression {flag_rate:.3f}; "
          f"audits with any regression {audits_flagged / repetitions:.3f} ({comparisons} comparisons)")  # fmt: skip
    assert comparisons == 4 * repetitions
    assert 0.025 <= exclusion_rate <= 0.08
    assert flag_rate <= most_flagged
