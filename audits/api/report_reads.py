"""The report list and detail served without the per-object serializer machinery.

Reports are read far more often than they are written (governance tools poll the list, people and integrations open
reports), and a report never changes once stored:

- a list item is built from one `values()` row per report (no model instances, no per-field serializer calls), field
  for field what AuditReportListSerializer returns (tests/audits/api/test_report_reads.py compares the two);
- a detail's JSON body is rendered once per web process and report, keyed by every field it shows beside the document
  (whose sha256 stands for it), and served as those bytes afterwards.

Access is decided by the queryset before either is used: the memo holds bodies, never permissions.
"""

from __future__ import annotations

from rest_framework import serializers
from rest_framework.renderers import JSONRenderer

from audits.models import AuditReport
from audits.reports.memo import Memo
from audits.reports.verdict_counts import verdict_counts

from .filters import NOT_SUBMITTED

LIST_VALUES = (
    "id", "workspace__slug", "run_id", "run__plan_id", "run__plan__model_id", "run__plan__dataset_id",
    "schema_version", "sha256", "created_at", "verdicts__counts", "review__status",
)  # fmt: skip

_created_at = serializers.DateTimeField(read_only=True)
# Per web process: the last 512 bodies opened, 64 MB at most (a report's document can be megabytes).
_bodies: Memo[bytes] = Memo(512, max_bytes=64 * 1024 * 1024)


def report_list_items(rows: list[dict]) -> list[dict]:
    """AuditReportListSerializer's items from rows of `queryset.values(*LIST_VALUES)`, in their order."""
    without_counts = [row["id"] for row in rows if row["verdicts__counts"] is None]
    fallback = {}
    if without_counts:  # a report stored without its counts row: count from its document, as the serializer does
        fallback = {r.pk: verdict_counts(r.document) for r in AuditReport.objects.filter(pk__in=without_counts)}
    return [
        {
            "id": row["id"],
            "workspace": row["workspace__slug"],
            "run": row["run_id"],
            "plan": row["run__plan_id"],
            "model": row["run__plan__model_id"],
            "dataset": row["run__plan__dataset_id"],
            "schema_version": row["schema_version"],
            "sha256": row["sha256"],
            "created_at": _created_at.to_representation(row["created_at"]),
            "verdict_counts": row["verdicts__counts"] if row["verdicts__counts"] is not None else fallback[row["id"]],
            "review_state": row["review__status"] or NOT_SUBMITTED,
        }
        for row in rows
    ]


def json_fast_path(request) -> bool:
    """Whether the client negotiated plain JSON (no browsable API, no `indent` parameter): the memoised bytes are
    then exactly what DRF's JSONRenderer would write."""
    renderer = getattr(request, "accepted_renderer", None)
    media_type = getattr(request, "accepted_media_type", "") or ""
    return type(renderer) is JSONRenderer and "indent" not in media_type


def report_detail_body(report: AuditReport, data) -> bytes:
    """The JSON body of `report`'s detail; `data()` gives the serializer's data when it is not memoised yet (it reads
    the document, which the caller's queryset may leave deferred until then)."""
    key = (report.pk, report.sha256, report.workspace.slug, report.run_id, report.schema_version, report.created_at)
    return _bodies.get_or_compute(key, lambda: JSONRenderer().render(data()))


def clear_report_bodies() -> None:
    _bodies.clear()
