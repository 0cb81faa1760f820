"""Regression detection in runs of a plan that has an approved report: a change planted in one group's decisions
between two runs is found and is the only one; a re-run on unchanged data finds none; the plan's tolerance and
minimum group size decide; the baseline is the plan's last approved report; a report without one has no section.

The decisions change under the plan by rewriting its stored Parquet file between runs, as a new version of the
data would (registering versions and re-pointing plans is another part of issue 13)."""

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from audits.choices import EventAction
from audits.models import AuditEvent, AuditReport
from audits.reports.schema import report_errors
from audits.selectors import plan_last_approved_report
from audits.services.reviews import review_decide, review_start, review_submit
from tests.audits.factories import AuditPlanFactory, AuditReportFactory, DatasetFactory

BANDS = ("<25", "25-40", "40-60", ">60")


def regression_frame(*, drop: str = "", shrink: str = "") -> pd.DataFrame:
    """Four age bands x two sexes, 500 rows each: 300 repaid (210 approved), 200 not (80 approved), so every group
    has selection rate 0.58, TPR 0.7, FPR 0.4. `drop` approves fewer in one band (150 and 60: rate 0.42, both sexes
    alike, so sex is untouched); `shrink` leaves one band 10 rows per sex."""
    rows = []
    for band in BANDS:
        for sex in ("female", "male"):
            positives, negatives, approved_pos, approved_neg = 300, 200, 210, 80
            if band == drop:
                approved_pos, approved_neg = 150, 60
            if band == shrink:
                positives, negatives, approved_pos, approved_neg = 6, 4, 4, 2
            for repaid, total, approved in ((1, positives, approved_pos), (0, negatives, approved_neg)):
                rows += [(sex, band, "approve", repaid)] * approved + [(sex, band, "deny", repaid)] * (total - approved)
    return pd.DataFrame(rows, columns=["sex", "age_band", "decision", "repaid"])


def replace_stored_rows(plan, frame: pd.DataFrame) -> None:
    """The plan's dataset file now holds `frame` (same columns and types)."""
    path = plan.dataset.file.path
    schema = pq.read_schema(path)
    pq.write_table(pa.Table.from_pandas(frame, schema=schema, preserve_index=False), path)


def approve(report: AuditReport, auditor, reviewer) -> None:
    review = review_submit(user=auditor, report=report)
    review = review_start(user=reviewer, review=review)
    review_decide(user=reviewer, review=review, decision="approve")


@pytest.fixture
def plan(auditor, workspace):
    dataset = DatasetFactory(user=auditor, workspace=workspace, frame=regression_frame())
    # Per comparison: these tests plant a change in one group and expect exactly that group flagged. Under the
    # family-wise default the simultaneous critical value depends on every comparison of the audit, so a borderline
    # verdict of an unchanged group (40-60: pass) can also move when another group changes.
    return AuditPlanFactory(user=auditor, workspace=workspace, dataset=dataset, verdict_error_control="per_comparison")


def run_report(plan, auditor) -> AuditReport:
    return AuditReportFactory(user=auditor, run__plan=plan)


def _flagged(document: dict) -> set[tuple[str, str]]:
    return {(item["attribute"], item["group"]) for item in document["regressions"]["items"]}


def _regression_events(report: AuditReport):
    return AuditEvent.objects.filter(action=EventAction.REPORT_REGRESSION_FOUND, object_id=str(report.pk))


def test_without_an_approved_report_there_is_no_regressions_section(plan, auditor):
    first = run_report(plan, auditor)
    review_submit(user=auditor, report=first)  # submitted is not approved

    second = run_report(plan, auditor)

    assert "regressions" not in first.document and "regressions" not in second.document
    assert plan_last_approved_report(plan=plan) is None
    assert second.document["plan"]["regression_tolerance"] == 0.05


def test_a_drop_planted_in_one_group_is_the_one_regression_found(plan, auditor, reviewer):
    baseline = run_report(plan, auditor)
    approve(baseline, auditor, reviewer)
    replace_stored_rows(plan, regression_frame(drop=">60"))

    report = run_report(plan, auditor)

    section = report.document["regressions"]
    assert section["baseline"] == {"report_id": baseline.pk, "sha256": baseline.sha256}
    assert section["tolerance"] == 0.05 and report_errors(report.document) == []
    assert _flagged(report.document) == {("age_band", ">60")}
    by_kind = {(i["kind"], i["metric"]): i for i in section["items"]}
    # Selection rate 0.58 -> 0.42 against 25-40's 0.58, TPR 0.7 -> 0.5, FPR 0.4 -> 0.3; precision 0.724 -> 0.714
    # moves by less than the tolerance.
    di = by_kind[("metric_move", "disparate_impact")]
    assert (di["before"], di["after"]) == (pytest.approx(1.0), pytest.approx(0.42 / 0.58))
    assert di["difference"] == pytest.approx(0.42 / 0.58 - 1) and di["interval"][1] < 0
    assert by_kind[("metric_move", "statistical_parity_difference")]["difference"] == pytest.approx(-0.16)
    assert by_kind[("metric_move", "equal_opportunity_difference")]["difference"] == pytest.approx(-0.2)
    assert ("metric_move", "predictive_parity_difference") not in by_kind
    change = by_kind[("verdict_change", "disparate_impact")]
    assert (change["before"], change["after"], change["interval"]) == ("pass", "fail", None)
    assert di["sentence"].startswith("age_band: disparate impact ratio of >60 against 25-40 moved from 1.000 in ")
    assert f"approved report #{baseline.pk}" in change["sentence"]
    (event,) = _regression_events(report)
    assert event.after["baseline"] == baseline.pk and event.after["count"] == len(section["items"])
    assert event.after["kinds"] == {"verdict_change": 5, "metric_move": 5}


def test_a_rerun_on_unchanged_data_finds_no_regression(plan, auditor, reviewer):
    baseline = run_report(plan, auditor)
    approve(baseline, auditor, reviewer)

    report = run_report(plan, auditor)

    assert report.document["regressions"] == {
        "baseline": {"report_id": baseline.pk, "sha256": baseline.sha256},
        "tolerance": 0.05,
        "items": [],
    }
    assert not _regression_events(report).exists()


def test_the_baseline_is_the_plans_last_approved_report(plan, auditor, reviewer):
    first = run_report(plan, auditor)
    approve(first, auditor, reviewer)
    replace_stored_rows(plan, regression_frame(drop=">60"))
    second = run_report(plan, auditor)
    approve(second, auditor, reviewer)

    third = run_report(plan, auditor)

    assert plan_last_approved_report(plan=plan) == second
    assert third.document["regressions"]["baseline"]["report_id"] == second.pk
    assert third.document["regressions"]["items"] == []


def test_the_plans_tolerance_decides_what_a_metric_move_is(auditor, reviewer, workspace):
    dataset = DatasetFactory(user=auditor, workspace=workspace, frame=regression_frame())
    lenient = AuditPlanFactory(user=auditor, workspace=workspace, dataset=dataset, regression_tolerance=0.5)
    approve(run_report(lenient, auditor), auditor, reviewer)
    replace_stored_rows(lenient, regression_frame(drop=">60"))

    section = run_report(lenient, auditor).document["regressions"]

    assert section["tolerance"] == 0.5
    assert {i["kind"] for i in section["items"]} == {"verdict_change"}  # moves of 0.16 to 0.28 are within 0.5


def test_a_group_that_fell_under_the_minimum_size_is_named_once(plan, auditor, reviewer):
    baseline = run_report(plan, auditor)
    approve(baseline, auditor, reviewer)
    replace_stored_rows(plan, regression_frame(shrink=">60"))

    report = run_report(plan, auditor)

    (item,) = report.document["regressions"]["items"]
    assert (item["kind"], item["attribute"], item["group"], item["before"], item["after"]) == (
        "group_below_minimum",
        "age_band",
        ">60",
        1000,
        20,
    )
    assert item["sentence"] == (
        f"age_band: group >60 has 20 rows now, under the minimum group size of 30 (it had 1000 in approved report "
        f"#{baseline.pk}), so its comparisons cannot be judged."
    )
