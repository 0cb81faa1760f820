"""The COMPAS race x sex audit of the issue: verdicts under each rule, through the whole in-process pipeline."""

import pandas as pd
import pytest

from explainers.metrics import Verdict
from explainers.metrics.definitions import METRIC_DEFINITIONS
from explainers.pipeline.local import compute_group_metrics
from explainers.pipeline.spec import MISSING_DROP_ROWS, AttributeSpec, EngineInput


@pytest.fixture(scope="module")
def compas_parquet(compas_path, tmp_path_factory):
    path = tmp_path_factory.mktemp("compas") / "compas.parquet"
    columns = ["race", "sex", "score_text", "two_year_recid"]
    pd.read_csv(compas_path)[columns].astype(str).to_parquet(path, index=False)
    return path


def _audit(path, rule: str):
    spec = EngineInput(
        parquet_path=str(path),
        decision_column="score_text",
        decision_favourable=["Low"],
        outcome_column="two_year_recid",
        outcome_favourable=["0"],
        attributes=[
            AttributeSpec("race", ["race"], "Caucasian"),
            AttributeSpec("sex", ["sex"]),
            AttributeSpec("race × sex", ["race", "sex"]),
        ],
        missing_policy=MISSING_DROP_ROWS,
        metrics=list(METRIC_DEFINITIONS),
        n_boot=2000,
        seed=0,
        alpha=0.05,
        min_group_size=30,
        min_denominator=10,
        verdict_error_control=rule,
    )
    output = compute_group_metrics(spec)
    rows = [(r, p) for piece in output.slices for r, p in zip(piece.result.results, piece.p_holm, strict=True)]
    return output, rows


def _key(result):
    return result.metric, result.attribute, result.group


def test_under_familywise_no_compas_fail_stands_beside_a_holm_test_without_evidence(compas_parquet):
    output, rows = _audit(compas_parquet, "familywise")

    assert len(rows) == 102 and output.verdict_error_control["rule"] == "familywise"
    fails = [(r, p) for r, p in rows if r.verdict == Verdict.FAIL]
    assert fails and all(p is not None and p <= 0.05 for _, p in fails)
    # The rows of the issue (e.g. Hispanic x Male, equalized odds: Holm p = 1.0) make no claim now.
    hispanic_male = {_key(r): r for r, _ in rows}[("equalized_odds_difference", "race × sex", "Hispanic × Male")]
    assert hispanic_male.verdict == Verdict.INCONCLUSIVE
    for result, _ in rows:
        if result.adjusted_ci_low is not None:  # the adjusted interval holds the per-comparison one
            assert result.adjusted_ci_low <= result.ci_low and result.ci_high <= result.adjusted_ci_high
        else:
            assert result.verdict in (Verdict.INSUFFICIENT_DATA, Verdict.NOT_COMPUTABLE)


def test_per_comparison_still_shows_a_fail_beside_a_holm_p_above_alpha_so_the_check_above_can_fail(compas_parquet):
    _, per_comparison = _audit(compas_parquet, "per_comparison")
    _, familywise = _audit(compas_parquet, "familywise")

    assert any(r.verdict == Verdict.FAIL and p > 0.05 for r, p in per_comparison)
    # Same rows, same point estimates and per-comparison intervals; every familywise claim is a per-comparison one.
    before = {_key(r): r for r, _ in per_comparison}
    for result, _ in familywise:
        other = before[_key(result)]
        assert (result.value, result.ci_low, result.ci_high) == (other.value, other.ci_low, other.ci_high)
        if result.verdict in (Verdict.FAIL, Verdict.PASS):
            assert other.verdict == result.verdict
    claims = [sum(r.verdict in (Verdict.FAIL, Verdict.PASS) for r, _ in rows) for rows in (per_comparison, familywise)]
    assert claims[1] < claims[0]


def test_under_fdr_the_claims_are_the_r_comparisons_the_step_up_rule_selected(compas_parquet):
    output, rows = _audit(compas_parquet, "fdr")

    summary = output.verdict_error_control
    assert summary["rule"] == "fdr" and 0 < summary["selected"] <= summary["comparisons"]
    claims = sum(r.verdict in (Verdict.FAIL, Verdict.PASS) for r, _ in rows)
    assert claims + summary["withheld"] == summary["selected"]
