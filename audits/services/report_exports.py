"""Exports of a report for governance tools and people, all rendered from the one canonical JSON."""

import json

from audits.exceptions import ApplicationError
from audits.models import AuditReport


def _review(report: AuditReport) -> dict | None:
    review = getattr(report, "review", None)
    if review is None:
        return None
    return {
        "status": review.status,
        "submitted_by": review.submitted_by.get_username(),
        "decided_by": review.decided_by.get_username() if review.decided_by else None,
        "decided_at": review.decided_at.isoformat() if review.decided_at else None,
        "entries": [
            {"action": e.action, "actor": e.actor.get_username(), "comment": e.comment, "at": e.created_at.isoformat()}
            for e in review.entries.select_related("actor")
        ],
    }


def _signatures(report: AuditReport) -> list[dict]:
    return [
        {
            "kind": sig.kind,
            "key_id": sig.key_id,
            "statement_sha256": sig.statement_sha256,
            "created_at": sig.created_at.isoformat(),
        }
        for sig in report.signatures.all()
    ]


def report_envelope(report: AuditReport) -> str:
    """The signed envelope of the report (and of its approval, when approved) as JSON text."""
    envelopes = [json.loads(sig.envelope_json) for sig in report.signatures.order_by("created_at", "id")]
    if not envelopes:
        raise ApplicationError("This report has no signature.", field="format")
    return envelopes[0] if len(envelopes) == 1 else {"envelopes": envelopes}


def report_export(*, report: AuditReport, fmt: str):
    """The export file (content, content_type, filename). Reads only; the caller records report.exported."""
    from audits.exports import ExportFile, export_report

    if fmt == "json":
        content = report.canonical_json.encode("utf-8")
        return ExportFile(content, "application/json", f"audit-report-{report.pk}.json")
    if fmt == "dsse":
        content = json.dumps(report_envelope(report), sort_keys=True, indent=2).encode("utf-8")
        return ExportFile(content, "application/json", f"audit-report-{report.pk}.dsse.json")
    if fmt in ("html", "pdf"):
        from audits.renderings import render_report_html, render_report_pdf

        render = render_report_html if fmt == "html" else render_report_pdf
        body = render(report.document, report.sha256, review=_review(report), signatures=_signatures(report))
        content = body.encode("utf-8") if isinstance(body, str) else body
        media = "text/html; charset=utf-8" if fmt == "html" else "application/pdf"
        return ExportFile(content, media, f"audit-report-{report.pk}.{fmt}")
    try:
        return export_report(report.document, report.sha256, fmt)
    except ValueError as exc:
        raise ApplicationError(str(exc), field="format") from exc
