"""Comparing two reports: any two of the same model (same plan or not), never two different models; the diff
reads the compared report minus the baseline."""

import pytest

from audits.exceptions import ApplicationError
from audits.models import AuditEvent
from audits.services.report_comparisons import report_compare
from tests.audits.factories import AuditPlanFactory, AuditReportFactory


@pytest.fixture
def plan(auditor, workspace):
    # Per comparison: the planted DI of 600 rows is a fail on its own interval; the family-wise default (simultaneous
    # over the audit's comparisons) calls it inconclusive, and the band change below is about a fail turning pass.
    return AuditPlanFactory(user=auditor, workspace=workspace, verdict_error_control="per_comparison")


def test_two_plans_on_one_model_compare_and_a_band_change_shows_as_verdict_changes(auditor, workspace, plan):
    strict = AuditReportFactory(user=auditor, run__plan=plan)
    lenient_plan = AuditPlanFactory(
        user=auditor,
        workspace=workspace,
        dataset=plan.dataset,
        bands={"disparate_impact": [0.1, 10.0]},
        verdict_error_control="per_comparison",
    )
    lenient = AuditReportFactory(user=auditor, run__plan=lenient_plan)
    events = AuditEvent.objects.count()

    comparison = report_compare(report=lenient, against=strict)

    assert (comparison.baseline, comparison.compared, comparison.same_plan) == (strict, lenient, False)
    changes = comparison.diff["verdict_changes"]
    assert changes and {(c["metric"], c["previous_verdict"], c["verdict"]) for c in changes} >= {
        ("disparate_impact", "fail", "pass")
    }
    assert any(f.startswith("disparate_impact:sex=female") for f in comparison.diff["resolved_findings"])
    assert AuditEvent.objects.count() == events  # a comparison reads only


def test_reports_of_different_models_or_the_same_report_are_refused(auditor, workspace, plan):
    report = AuditReportFactory(user=auditor, run__plan=plan)
    other = AuditReportFactory(user=auditor, run__plan=AuditPlanFactory(user=auditor, workspace=workspace))

    with pytest.raises(ApplicationError, match="only reports of the same model or plan") as error:
        report_compare(report=report, against=other)
    with pytest.raises(ApplicationError, match="two different reports"):
        report_compare(report=report, against=report)

    assert error.value.field == "against"
