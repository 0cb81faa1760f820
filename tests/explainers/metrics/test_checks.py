"""User-stated checks: the grammar, and verdicts by interval (design.md §4) cross-checked by hand."""

import re

import numpy as np
import pytest

from explainers.metrics.checks import (
    CheckSyntaxError,
    ParsedCheck,
    RateTerm,
    evaluate_rate_check,
    evaluate_swap_check,
    parse_check,
)
from explainers.metrics.counts import CountTable

SETTINGS = {"n_boot": 2000, "seed": 3, "alpha": 0.05, "min_group_size": 30, "min_denominator": 10}


def test_a_rate_check_parses_into_two_terms_and_an_offset():
    check = parse_check("selection_rate(sex=female) >= selection_rate(sex=male) - 0.05")
    assert check.kind == "rate" and check.op == ">=" and check.offset == -0.05
    assert check.left == RateTerm("selection_rate", "sex", "female")
    assert check.right == RateTerm("selection_rate", "sex", "male")
    assert ParsedCheck.from_dict(check.to_dict()) == check


def test_quoted_groups_numbers_and_swaps_parse():
    check = parse_check('true_positive_rate(race="African-American") >= .6')
    assert check.left.group == "African-American" and check.offset == 0.6 and check.right is None
    assert parse_check('selection_rate(age_band="25-60")>selection_rate(age_band=">60")+0.1').offset == 0.1
    swap = parse_check("mean_abs_delta(he->she) < 0.02")
    assert (swap.kind, swap.statistic, swap.source, swap.target, swap.attribute) == (
        "swap", "mean_abs_delta", "he", "she", ""
    )  # fmt: skip
    tabular = parse_check("mean_delta(sex=female -> male) <= 0.05")
    assert (tabular.attribute, tabular.source, tabular.target) == ("sex", "female", "male")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty"),
        ("approval_rate(sex=female) >= 0.5", "unknown function 'approval_rate'"),
        ("selection_rate(sex female) >= 0.5", "expected '='"),
        ("selection_rate(sex=female) => 0.5", "expected a comparison"),
        ("selection_rate(sex=female) >= selection_rate(race=white)", "same attribute"),
        ("selection_rate(sex=female) >= 0.5 and more", "unexpected 'and'"),
        ("mean_abs_delta(he she) < 0.02", "expected '->'"),
        ("selection_rate(sex=female) >= __import__('os')", "unexpected character"),
        ("selection_rate(sex=female) >= __import__", "not '__import__'"),
        ("selection_rate(sex=female) >= 0.5;", "unexpected character ';'"),
    ],
)
def test_a_bad_check_is_refused_with_what_was_expected(text, message):
    with pytest.raises(CheckSyntaxError, match=re.escape(message)):
        parse_check(text)


def _table(female_fav, female_n, male_fav, male_n) -> CountTable:
    cells = np.zeros((2, 2, 2), dtype=np.int64)
    cells[0, 0, 1], cells[0, 0, 0] = female_fav, female_n - female_fav
    cells[1, 0, 1], cells[1, 0, 0] = male_fav, male_n - male_fav
    return CountTable(groups=("female", "male"), cells=cells, has_outcome=False)


CHECK = parse_check("selection_rate(sex=female) >= selection_rate(sex=male) - 0.05")


def test_a_planted_selection_rate_gap_fails_the_check():
    result = evaluate_rate_check(CHECK, _table(450, 1000, 700, 1000), **SETTINGS)
    assert result.left == pytest.approx(0.45) and result.right == pytest.approx(0.65)
    assert result.margin == pytest.approx(0.45 - 0.70 + 0.05)
    assert result.verdict == "fail" and result.ci_high < 0 and result.p_value < 1e-6


def test_equal_selection_rates_pass_the_check():
    result = evaluate_rate_check(CHECK, _table(3000, 5000, 3000, 5000), **SETTINGS)
    assert result.margin == pytest.approx(0.05) and result.verdict == "pass" and result.ci_low > 0
    # Hand check of the interval: two independent proportions, se = sqrt(2 * 0.6 * 0.4 / 5000).
    se = np.sqrt(2 * 0.6 * 0.4 / 5000)
    assert result.ci_high - result.ci_low == pytest.approx(2 * 1.96 * se, rel=0.1)
    assert result.p_value > 0.9


def test_a_gap_at_the_threshold_is_inconclusive_and_small_groups_are_insufficient():
    assert evaluate_rate_check(CHECK, _table(550, 1000, 600, 1000), **SETTINGS).verdict == "inconclusive"
    small = evaluate_rate_check(CHECK, _table(5, 20, 700, 1000), **SETTINGS)
    assert small.verdict == "insufficient_data" and "female" in small.note


def test_rates_needing_outcomes_are_not_judged_without_them():
    check = parse_check("true_positive_rate(sex=female) >= 0.5")
    result = evaluate_rate_check(check, _table(450, 1000, 700, 1000), **SETTINGS)
    assert result.verdict == "insufficient_data" and "outcome" in result.note


def test_a_swap_check_judges_the_mean_absolute_delta():
    rng = np.random.default_rng(0)
    small = rng.normal(0, 0.01, size=400)
    result = evaluate_swap_check(parse_check("mean_abs_delta(he -> she) < 0.02"), small, **_swap())
    assert result.left == pytest.approx(np.abs(small).mean()) and result.verdict == "pass"
    large = small + 0.1
    assert evaluate_swap_check(parse_check("mean_abs_delta(he -> she) < 0.02"), large, **_swap()).verdict == "fail"
    signed = evaluate_swap_check(parse_check("mean_delta(he -> she) >= 0.05"), large, **_swap())
    assert signed.verdict == "pass" and signed.left == pytest.approx(large.mean())


def _swap():
    return {"n_boot": 1000, "seed": 1, "alpha": 0.05, "min_rows": 10}


def test_a_check_that_passed_in_the_baseline_and_fails_now_is_a_regression():
    from explainers.metrics.regressions import AuditSnapshot, RegressionRules, find_regressions

    rules = RegressionRules(tolerance=0.05, n_boot=100, alpha=0.05, min_group_size=30, min_denominator=10)
    baseline = AuditSnapshot(checks={"a >= b": "pass", "c < d": "pass", "e": "inconclusive"})
    current = AuditSnapshot(checks={"a >= b": "fail", "c < d": "inconclusive", "e": "fail", "new": "fail"})

    (regression,) = find_regressions(current, baseline, [], rules)

    assert (regression.kind, regression.metric, regression.before, regression.after) == (
        "check_failure", "a >= b", "pass", "fail"
    )  # fmt: skip
