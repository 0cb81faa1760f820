"""Comparing two reports (design.md section 7): which pairs make sense, and their diff. Reads only."""

from dataclasses import dataclass

from audits.exceptions import ApplicationError
from audits.models import AuditReport
from audits.reports.diff import report_diff


@dataclass(frozen=True)
class ReportComparison:
    baseline: AuditReport
    compared: AuditReport
    diff: dict
    same_plan: bool


def report_compare(*, report: AuditReport, against: AuditReport) -> ReportComparison:
    """`report` against the baseline `against`: metric deltas (report minus baseline), verdict changes, new and
    resolved findings, probe verdict changes (audits.reports.diff.report_diff).

    Both reports must come from the caller's scoped selector. Only reports of the same model (and so of the same
    plan, or of another plan on that model) are compared: the metrics of two different models, or of one model
    against itself, say nothing about a change. Raises ApplicationError (field "against") otherwise. Writes nothing.
    """
    if report.pk == against.pk:
        raise ApplicationError("Choose two different reports to compare.", field="against")
    plan, baseline_plan = report.run.plan, against.run.plan
    if plan.model_id != baseline_plan.model_id:
        raise ApplicationError(
            f"Report #{report.pk} audits model '{plan.model.name}' and report #{against.pk} audits "
            f"'{baseline_plan.model.name}': only reports of the same model or plan can be compared.",
            field="against",
        )
    return ReportComparison(
        baseline=against,
        compared=report,
        diff=report_diff(report.document, against.document),
        same_plan=plan.pk == baseline_plan.pk,
    )
