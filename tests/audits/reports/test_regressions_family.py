"""Under family-wise (or FDR) verdicts, a pass that became inconclusive only because the audit-wide interval is
wider (the family grew: more attributes, groups or metrics) is not a verdict-change regression while the result's
own interval still lies inside its band; every other lost pass still is."""

import copy

import pytest

from audits.reports.regressions import regressions_between
from explainers.metrics.regressions import RegressionRules
from tests.audits.exports.documents import load_report

RULES = RegressionRules(tolerance=0.05, n_boot=200, alpha=0.05, min_group_size=30, min_denominator=10)
TARGET = ("sex", "equal_opportunity_ratio", "female")  # a pass in the fixture, own interval 0.834-0.945, band 0.8-1.25


def _pair(rule: str | None, *, own: tuple[float, float], adjusted: tuple[float, float] | None, metric=TARGET[1]):
    """(baseline, current): the same audit; in the current one `metric` for female is decided by `adjusted`."""
    document, _, _ = load_report("tabular_probe_report.json")
    baseline = copy.deepcopy(document)
    current = copy.deepcopy(document)
    for doc in (baseline, current):
        if rule is not None:
            doc["verdict_error_control"] = rule
    for result in baseline["results"]:
        if (result["attribute"], result["metric"], result["group"]) == (TARGET[0], metric, TARGET[2]):
            result["verdict"] = "pass"
    for result in current["results"]:
        if (result["attribute"], result["metric"], result["group"]) == (TARGET[0], metric, TARGET[2]):
            result["ci_low"], result["ci_high"] = own
            result["adjusted_ci_low"], result["adjusted_ci_high"] = adjusted or (None, None)
            result["verdict"] = "inconclusive"
    return baseline, current


def _verdict_changes(baseline, current, metric=TARGET[1]):
    section = regressions_between(current, baseline, baseline_id=1, baseline_sha256="ab" * 32, rules=RULES)
    return [
        item
        for item in section["items"]
        if item["kind"] == "verdict_change" and item["metric"] == metric and item["group"] == TARGET[2]
    ]


@pytest.mark.parametrize("rule", ["familywise", "fdr"])
def test_a_pass_withheld_only_by_the_wider_audit_wide_interval_is_not_a_regression(rule):
    baseline, current = _pair(rule, own=(0.834, 0.945), adjusted=(0.79, 0.99))

    assert _verdict_changes(baseline, current) == []


def test_the_same_move_under_per_comparison_verdicts_is_a_regression():
    baseline, current = _pair("per_comparison", own=(0.79, 0.99), adjusted=None)

    assert [(i["before"], i["after"]) for i in _verdict_changes(baseline, current)] == [("pass", "inconclusive")]


def test_a_pass_whose_own_interval_left_the_band_is_a_regression_under_every_rule():
    baseline, current = _pair("familywise", own=(0.78, 0.95), adjusted=(0.74, 0.99))

    assert [(i["before"], i["after"]) for i in _verdict_changes(baseline, current)] == [("pass", "inconclusive")]


def test_equalized_odds_is_never_excused_its_own_percentile_interval_under_covers():
    metric = "equalized_odds_difference"
    baseline, current = _pair("familywise", own=(0.02, 0.08), adjusted=(0.01, 0.12), metric=metric)

    assert len(_verdict_changes(baseline, current, metric=metric)) == 1
