"""Reads behind the Prometheus endpoint (audits.observability). Platform-wide by design: the endpoint is for the
operator's monitoring, guarded by the AUDIT_METRICS_TOKEN scrape token instead of a user, and serves aggregates
only (verdicts and intervals of approved reports, run counts and timings), never row-level data."""

from django.db.models import Count, F, QuerySet

from audits.choices import ReviewStatus
from audits.models import AuditReport, AuditRun


def latest_approved_reports() -> list[AuditReport]:
    """For each model, its newest report (by creation) whose review is approved. Ids first, then only those
    reports' documents are read."""
    approved = (
        AuditReport.objects.filter(review__status=ReviewStatus.APPROVED)
        .order_by("run__plan__model_id", "-created_at", "-id")
        .values_list("run__plan__model_id", "id")
    )
    latest: dict[int, int] = {}
    for model_id, report_id in approved:
        latest.setdefault(model_id, report_id)
    return list(
        AuditReport.objects.filter(id__in=latest.values())
        .select_related("workspace", "run__plan__model", "run__plan__dataset", "review")
        .order_by("run__plan__model_id")
    )


def run_counts_by_status() -> QuerySet:
    """[{workspace__slug, status, n}] over every run."""
    return (
        AuditRun.objects.values("workspace__slug", "status")
        .annotate(n=Count("id"))
        .order_by("workspace__slug", "status")
    )


def run_queue_waits() -> list[float]:
    """Seconds each started run waited in the queue (created -> started)."""
    rows = AuditRun.objects.filter(started_at__isnull=False).annotate(wait=F("started_at") - F("created_at"))
    return [max(row.wait.total_seconds(), 0.0) for row in rows.only("id")]


def run_durations() -> list[tuple[str, float]]:
    """(status, seconds from start to finish) of each finished run."""
    rows = (
        AuditRun.objects.filter(started_at__isnull=False, finished_at__isnull=False)
        .annotate(duration=F("finished_at") - F("started_at"))
        .only("id", "status")
    )
    return [(row.status, max(row.duration.total_seconds(), 0.0)) for row in rows]
