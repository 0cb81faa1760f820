"""The data of each webhook event, built from the objects the announcing service holds, and emitted.

Payloads carry ids, links, hashes and aggregate counts only: never a row of a dataset, never a protected value of
an individual (design.md section 8). Group names in regression items are the report's own aggregate labels.
"""

import functools
import logging

from django.conf import settings

from audits.choices import WebhookEventType
from audits.models import AuditReport, AuditRun, ReportReview, WebhookDelivery

from .webhooks import webhook_event_emit

logger = logging.getLogger(__name__)


def _never_raises(announce):
    """A webhook is a notification: building its data must not fail the audit or review it announces."""

    @functools.wraps(announce)
    def wrapped(**kwargs) -> list[WebhookDelivery]:
        try:
            return announce(**kwargs)
        except Exception:
            logger.exception("%s failed; no webhook sent", announce.__name__)
            return []

    return wrapped


def _link(path: str) -> str:
    return settings.AUDIT_PUBLIC_URL.rstrip("/") + path


def _run_data(run: AuditRun) -> dict:
    plan = run.plan
    return {
        "run_id": run.pk,
        "plan_id": plan.pk,
        "plan_name": plan.name,
        "model_id": plan.model_id,
        "dataset_id": plan.dataset_id,
        "status": run.status,
        "attempts": run.attempts,
        "started_at": run.started_at.isoformat() if run.started_at else None,
        "finished_at": run.finished_at.isoformat() if run.finished_at else None,
    }


def _report_data(report: AuditReport) -> dict:
    return {
        "report_id": report.pk,
        "sha256": report.sha256,
        "urls": {
            "run": _link(f"/api/v1/runs/{report.run_id}/"),
            "report": _link(f"/api/v1/reports/{report.pk}/"),
            "report_page": _link(f"/reports/{report.pk}/"),
        },
    }


@_never_raises
def webhook_run_succeeded(*, run: AuditRun, report: AuditReport) -> list[WebhookDelivery]:
    """Emit run.succeeded (verdict counts and the report's sha256) and, when the report names regressions against
    the last approved report (`document["regressions"]["items"]`), regression.found. Never raises."""
    document = report.document
    summary = document.get("summary") or {}
    data = {
        **_run_data(run),
        **_report_data(report),
        "verdict_counts": summary.get("verdicts", {}),
        "probe_verdict_counts": summary.get("probe_verdicts", {}),
        "failed": summary.get("failed", []),
    }
    deliveries = webhook_event_emit(workspace=run.workspace, event_type=WebhookEventType.RUN_SUCCEEDED, data=data)
    regressions = document.get("regressions") or {}
    items = regressions.get("items") or []
    if items:
        regression = {
            **_run_data(run),
            **_report_data(report),
            "baseline": regressions.get("baseline"),
            "tolerance": regressions.get("tolerance"),
            "count": len(items),
            "items": items,
        }
        deliveries += webhook_event_emit(
            workspace=run.workspace, event_type=WebhookEventType.REGRESSION_FOUND, data=regression
        )
    return deliveries


@_never_raises
def webhook_run_failed(*, run: AuditRun) -> list[WebhookDelivery]:
    """Emit run.failed with the first line of the error (as the trail keeps it). Never raises."""
    data = {
        **_run_data(run),
        "error": run.error.splitlines()[0][:500] if run.error else "",
        "urls": {"run": _link(f"/api/v1/runs/{run.pk}/"), "run_page": _link(f"/runs/{run.pk}/")},
    }
    return webhook_event_emit(workspace=run.workspace, event_type=WebhookEventType.RUN_FAILED, data=data)


@_never_raises
def webhook_review_decided(*, review: ReportReview) -> list[WebhookDelivery]:
    """Emit review.decided with the decision (approved, rejected, changes_requested) and who made it. Never raises."""
    report = review.report
    data = {
        "review_id": review.pk,
        "decision": review.status,
        "decided_by": review.decided_by.get_username() if review.decided_by else None,
        "decided_at": review.decided_at.isoformat() if review.decided_at else None,
        "run_id": report.run_id,
        **_report_data(report),
    }
    data["urls"]["review"] = _link(f"/api/v1/reviews/{review.pk}/")
    return webhook_event_emit(workspace=review.workspace, event_type=WebhookEventType.REVIEW_DECIDED, data=data)
