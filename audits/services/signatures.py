"""Signed statements about reports (design.md section 7): DSSE envelopes around in-toto Statements.

A "report" signature attests what was audited and what came out; an "approval" signature names the reviewer and
the decision. Both are append-only rows; the key comes from settings (audits.signing.keys), never the database.
"""

from django.db import transaction

from audits.canonical import canonical_dumps, sha256_hex
from audits.choices import EventAction, ExportFormat, ReviewAction
from audits.exceptions import ApplicationError
from audits.exports import export_report, export_stem, signed_formats
from audits.models import AuditReport, ReportRendering, ReportSignature, ReviewEntry
from audits.signing import dsse
from audits.signing.keys import current_key_id, public_key_pem, signing_key

from .events import event_record

REPORT_PREDICATE_TYPE = "https://fairness-audit.local/attestations/report/v1"
APPROVAL_PREDICATE_TYPE = "https://fairness-audit.local/attestations/approval/v1"
PREDICATE_TYPES = {"report": REPORT_PREDICATE_TYPE, "approval": APPROVAL_PREDICATE_TYPE}
# Review steps that decide a review; only these are signed.
DECISIONS = (ReviewAction.APPROVE, ReviewAction.REJECT, ReviewAction.REQUEST_CHANGES)


@transaction.atomic
def report_sign(*, report: AuditReport) -> ReportSignature:
    """Sign a statement whose subjects are the files of audits.exports.SIGNED_FORMATS (the report JSON, its HTML,
    CycloneDX, SPDX and, for group audits, NYC LL144 renderings, each named as the export serves it), the dataset
    and the model, with a predicate summarising the run and its verdicts. Renderings are made here once and kept
    (ReportRendering), so the export serves the signed bytes.

    Writes event report.signed. Raises ImproperlyConfigured when no signing key is configured.
    """
    document = report.document
    subject = document["subject"]
    subjects = [{"name": name, "sha256": sha256_hex(content)} for name, content in _signed_files(report)]
    if subject.get("dataset"):
        subjects.append({"name": f"dataset:{subject['dataset']['name']}", "sha256": subject["dataset"]["sha256"]})
    subjects.append({"name": f"model:{subject['model']['name']}", "sha256": subject["model"]["sha256"]})
    summary = document["summary"]
    predicate = {
        "report_id": report.pk,
        "run_id": report.run_id,
        "workspace": report.workspace.slug,
        "schema_version": report.schema_version,
        "code_version": document["fingerprints"]["code_version"],
        "verdicts": summary["verdicts"],
        "probe_verdicts": summary.get("probe_verdicts") or {},
        "finished_at": document["provenance"]["finished_at"],
    }
    return _sign(report=report, kind="report", statement=dsse.statement(subjects, REPORT_PREDICATE_TYPE, predicate))


@transaction.atomic
def approval_sign(*, report: AuditReport, review_entry: ReviewEntry) -> ReportSignature:
    """Sign a statement naming the reviewer and their decision on the report (the comment only by its sha256).

    Writes event report.approval_signed. Raises ApplicationError when the entry is not a decision on this
    report's review, ImproperlyConfigured when no signing key is configured.
    """
    if review_entry.review.report_id != report.pk:
        raise ApplicationError(f"Review entry {review_entry.pk} is not about report {report.pk}.")
    if review_entry.action not in DECISIONS:
        raise ApplicationError(f"Only decisions are signed, not '{review_entry.action}'.")
    reviewer = review_entry.actor
    predicate = {
        "report_id": report.pk,
        "report_sha256": report.sha256,
        "decision": review_entry.action,
        "reviewer": reviewer.get_username(),
        "reviewer_id": reviewer.pk,
        "decided_at": review_entry.created_at.isoformat(),
        "comment_sha256": sha256_hex(review_entry.comment),
    }
    subjects = [{"name": f"{export_stem(report)}.json", "sha256": report.sha256}]
    statement = dsse.statement(subjects, APPROVAL_PREDICATE_TYPE, predicate)
    return _sign(report=report, kind="approval", statement=statement, review_entry=review_entry)


def signature_verify(signature: ReportSignature) -> str | None:
    """None when the envelope verifies with the current public key and names its report's sha256 (and, for the
    report's own signature, the bytes of every kept rendering) as subjects; otherwise the reason. Reads only.
    Raises ImproperlyConfigured when no signing key is configured."""
    report = signature.report
    if sha256_hex(report.canonical_json) != report.sha256:
        return f"report {report.pk}'s content does not match its sha256 (the report was edited)"
    key_id = current_key_id()
    if signature.key_id != key_id:
        return f"signed with key {signature.key_id!r}, but the current key is {key_id!r}"
    try:
        statement = dsse.verify_envelope(signature.envelope_json, public_key_pem())
    except dsse.EnvelopeError as exc:
        return str(exc)
    if sha256_hex(dsse.canonical_bytes(statement)) != signature.statement_sha256:
        return "statement_sha256 does not match the signed statement"
    if statement["predicateType"] != PREDICATE_TYPES.get(signature.kind):
        return f"predicateType {statement['predicateType']!r} does not fit kind {signature.kind!r}"
    digests = dsse.subject_digests(statement)
    if report.sha256 not in digests:
        return f"the statement does not name report {report.pk}'s sha256 as a subject"
    if signature.kind == "report":
        for rendering in report.renderings.all():
            if sha256_hex(bytes(rendering.content)) not in digests:
                return f"the kept {rendering.format} rendering of report {report.pk} is not the file that was signed"
    return None


def _signed_files(report: AuditReport) -> list[tuple[str, bytes]]:
    """(file name as served, bytes) of every signed format. A rendering is made once and kept (the stored JSON is
    kept already); signing the report again (e.g. after a key rotation) names the same kept bytes."""
    kept = {r.format: bytes(r.content) for r in ReportRendering.objects.filter(report=report)}
    files = []
    for fmt in signed_formats(report.document):
        exported = export_report(
            report.document,
            report.sha256,
            fmt,
            canonical_json=report.canonical_json,
            signed_bytes=kept.get(fmt),
            stem=export_stem(report),
        )
        if fmt != ExportFormat.JSON and fmt not in kept:
            ReportRendering.objects.create(
                report=report, format=fmt, content=exported.content, sha256=sha256_hex(exported.content)
            )
        files.append((exported.filename, exported.content))
    return files


def _sign(*, report: AuditReport, kind: str, statement: dict, review_entry: ReviewEntry | None = None):
    envelope = dsse.sign_envelope(statement, signing_key(), current_key_id())
    signature = ReportSignature.objects.create(
        report=report,
        kind=kind,
        envelope_json=canonical_dumps(envelope),
        key_id=envelope["signatures"][0]["keyid"],
        statement_sha256=sha256_hex(dsse.canonical_bytes(statement)),
        review_entry=review_entry,
    )
    event_record(
        action=EventAction.REPORT_SIGNED if kind == "report" else EventAction.REPORT_APPROVAL_SIGNED,
        obj=report,
        actor_label="system",
        workspace=report.workspace,
        after={
            "signature": signature.pk,
            "kind": kind,
            "key_id": signature.key_id,
            "statement_sha256": signature.statement_sha256,
            **({"review_entry": review_entry.pk} if review_entry is not None else {}),
        },
    )
    return signature
