"""Exports of a report for governance tools and people, all rendered from the one canonical JSON."""

from django.db import transaction

from audits.choices import EventAction, ExportFormat
from audits.exceptions import ApplicationError
from audits.exports import ExportFile, dsse_bundle, export_format, export_report, export_stem, signed_formats
from audits.models import AuditReport, ReportRendering

from .events import event_record
from .evidence_packs import report_evidence_pack
from .workspaces import READ_ROLES, workspace_require_role


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


def report_envelopes(report: AuditReport) -> list[str]:
    """The envelope JSON of every signature of the report, oldest first: the report's, then each review decision's.

    Raises ApplicationError when the report has no signature."""
    envelopes = [sig.envelope_json for sig in report.signatures.order_by("created_at", "id")]
    if not envelopes:
        raise ApplicationError("This report has no signature.", field="format")
    return envelopes


def _signed_bytes(report: AuditReport, fmt: str) -> bytes | None:
    """The bytes of `fmt` kept when the report was signed (None for formats never signed, and for reports signed
    before renderings were kept: those are rendered afresh)."""
    rendering = ReportRendering.objects.filter(report=report, format=fmt).only("content").first()
    return bytes(rendering.content) if rendering is not None else None


@transaction.atomic
def report_export(*, actor, report: AuditReport, fmt: str, via: str, request_id: str = "") -> ExportFile:
    """Render `report` as `fmt` (one of ExportFormat) and record who exported it, in one transaction.

    `actor` is the user, or None for the operator's CLI (the event then names `via`). A signed format
    (audits.exports.SIGNED_FORMATS) is served as the bytes kept at signing, so its sha256 is the signed subject's;
    "dsse" is the in-toto attestation bundle of every signature (JSON Lines). Writes event
    report.exported {sha256, format, via}. Raises ApplicationError (field "format") for an unknown format or an
    export the report cannot back (a DSSE envelope of an unsigned report, an evidence pack of a report that is not
    approved, an LL144 summary of a report without group results), and NotFoundError for a user outside the
    report's workspace; nothing is recorded then.
    """
    if actor is not None:
        workspace_require_role(user=actor, workspace=report.workspace, roles=READ_ROLES)
    try:
        fmt = export_format(fmt)
    except ValueError:
        raise ApplicationError(
            f"Unknown format '{fmt}'; use one of {', '.join(ExportFormat.values)}.", field="format"
        ) from None
    appendix = fmt in (ExportFormat.HTML_REVIEW, ExportFormat.PDF, ExportFormat.EVIDENCE)
    envelopes = report_envelopes(report) if fmt in (ExportFormat.DSSE, ExportFormat.EVIDENCE) else None
    review = _review(report) if appendix else None
    signatures = _signatures(report) if appendix else None
    evidence = None
    if fmt == ExportFormat.EVIDENCE:
        bundle = dsse_bundle(envelopes).decode("utf-8")
        evidence = report_evidence_pack(report=report, review=review, signatures=signatures, bundle_jsonl=bundle)
    try:
        exported = export_report(
            report.document,
            report.sha256,
            fmt,
            canonical_json=report.canonical_json,
            envelopes=envelopes if fmt == ExportFormat.DSSE else None,
            signed_bytes=_signed_bytes(report, fmt) if fmt in signed_formats(report.document) else None,
            review=review,
            signatures=signatures,
            evidence=evidence,
            stem=export_stem(report),
        )
    except ValueError as exc:
        raise ApplicationError(str(exc), field="format") from exc
    event_record(
        action=EventAction.REPORT_EXPORTED,
        obj=report,
        actor=actor,
        actor_label="" if actor is not None else via,
        workspace=report.workspace,
        request_id=request_id,
        after={"sha256": report.sha256, "format": str(fmt), "via": via},
    )
    return exported
