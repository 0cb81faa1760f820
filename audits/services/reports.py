"""Reports: written once, never changed (a re-audit makes a new report)."""

from django.db import transaction

from audits.canonical import canonical_dumps, sha256_hex
from audits.choices import EventAction
from audits.constants import REPORT_SCHEMA_VERSION
from audits.exceptions import ApplicationError
from audits.models import AuditReport, AuditRun, ReportVerdictCounts
from audits.reports.schema import report_errors
from audits.reports.verdict_counts import verdict_counts
from audits.reports.words import regression_counts

from .events import event_record
from .report_access import report_access_record


@transaction.atomic
def report_create(*, run: AuditRun, document: dict, task_id: str = "") -> AuditReport:
    """Validate `document` against the report schema and store it as canonical JSON with its sha256.

    Also stores its verdict counts (ReportVerdictCounts, what the API's lists filter by). Writes event
    report.created, and report.regression_found when its `regressions` section lists any (after: the baseline
    report, the number of items and of each kind). Raises ApplicationError if the document is invalid or the run
    has a report.
    """
    errors = report_errors(document)
    if errors:
        raise ApplicationError("The report does not match its schema: " + "; ".join(errors[:5]))
    if AuditReport.objects.filter(run=run).exists():
        raise ApplicationError(f"Run {run.pk} already has a report; reports are never replaced.")
    text = canonical_dumps(document)
    report = AuditReport.objects.create(
        workspace=run.workspace,
        run=run,
        schema_version=REPORT_SCHEMA_VERSION,
        canonical_json=text,
        sha256=sha256_hex(text),
    )
    ReportVerdictCounts.objects.create(report=report, counts=verdict_counts(document))
    event_record(
        action=EventAction.REPORT_CREATED,
        obj=report,
        actor_label="system",
        workspace=run.workspace,
        task_id=task_id,
        after={"run": run.pk, "sha256": report.sha256},
    )
    regressions = document.get("regressions")
    if regressions and regressions["items"]:
        event_record(
            action=EventAction.REPORT_REGRESSION_FOUND,
            obj=report,
            actor_label="system",
            workspace=run.workspace,
            task_id=task_id,
            after={
                "baseline": regressions["baseline"]["report_id"],
                "baseline_sha256": regressions["baseline"]["sha256"],
                "count": len(regressions["items"]),
                "kinds": regression_counts(regressions),
            },
        )
    return report


def report_record_view(*, user, report: AuditReport, via: str, request_id: str = "") -> None:
    """Record that `user` opened `report`: one row of the access log, written without the chain's lock and folded
    into the trail in batches by the periodic task (services.report_access). Exports are recorded by report_export.

    Raises NotFoundError for a user outside the report's workspace."""
    report_access_record(user=user, report=report, via=via, request_id=request_id)
