"""The EU AI Act evidence pack of an approved report (Annex IV 2(g)): its files gathered from the stored report, its
signatures, review and trail, then packed and signed by audits.exports.evidence. Reads only; the caller
(report_exports.report_export) records the export in the trail."""

import json

from audits.choices import ExportFormat, ReviewStatus
from audits.exceptions import ApplicationError
from audits.exports.evidence import MANIFEST, MANIFEST_ENVELOPE, evidence_pack
from audits.models import AuditEvent, AuditReport, ReportRendering, ReportReview
from audits.renderings.html import render_report_html
from audits.reports.compliance import CROSSWALK
from audits.selectors import report_trail_filter
from audits.signing.keys import current_key_id, public_key_pem, signing_key

from .events import event_payload
from .trail import trail_verify

README = """EVIDENCE PACK: fairness audit report {report_id}
==========================================

What this is
------------
The evidence of one approved fairness audit, for an external auditor (EU AI Act, Regulation (EU) 2024/1689,
Annex IV point 2(g): the metrics used to measure potentially discriminatory impacts, test logs and test reports
dated and signed by the responsible persons). Report sha256: {sha256}
Approved by {approved_by} on {approved_at}. Signing key id: {key_id}.

Files
-----
report.json                 The canonical audit report: the record itself. Its sha256 is the report's identity.
report.html                 The report as a self-contained page, rendered from report.json (the signed HTML).
report.pdf                  The same report as PDF, with the review appendix (who reviewed, when, what was decided).
signatures.intoto.jsonl     The platform's signatures of the report (DSSE envelopes around in-toto Statements):
                            one over report.json, report.html, the dataset and the model; one over the approval,
                            naming the reviewer.
review.json                 The review: who submitted it, who decided, every step with its comment and time.
trail.json                  The trail extract: every event about this report, its run and its review, each with
                            the fields its hash covers, its hash and the previous hash; and the result of verifying
                            the whole hash chain (and every signature) when this pack was made.
fingerprints.json           Dataset and model sha256, code version, library versions, bootstrap seed, device.
limitations.json            What this audit could not establish (too few rows, metrics not computable, ...).
compliance-crosswalk.json   Which report sections answer which record-keeping need (EU AI Act Annex IV 2(g),
                            NIST AI RMF MEASURE 2.11, ISO/IEC 42001). A reading aid, not a legal opinion.
platform-public-key.pem     The platform's Ed25519 public key, for convenience. Verify with a copy of the key you
                            obtained from the platform operator directly, not with this one.
{manifest}                    sha256 of every file above, one per line (the format of `sha256sum`).
{envelope}          The signature of MANIFEST: a DSSE envelope whose in-toto Statement names MANIFEST
                            and every file with its sha256.

How to verify
-------------
1. With the platform's command (offline, no database needed beyond a checkout of the code):
       python manage.py verify_evidence THIS-PACK.zip --public-key platform-public-key.pem
   It checks the signature of MANIFEST, every file's sha256, that no file is missing or added, the report's own
   signatures and each trail event's hash; it exits 0 with a summary, or non-zero naming the first file that
   does not match.
2. By hand: unzip the pack and run `sha256sum -c MANIFEST` (every line must say OK, and no other file may be in
   the folder); then verify {envelope}: its signature is Ed25519 over the DSSE pre-authentication encoding
   "DSSEv1 <len(payloadType)> <payloadType> <len(payload)> <payload>" of the base64-decoded payload, and the
   decoded payload's "subject" must list MANIFEST with the sha256 of the file MANIFEST.
3. The trail events' hashes: sha256(prev_hash + canonical JSON of "payload"), canonical JSON being sorted keys,
   no spaces, UTF-8. The chain as a whole is verified on the platform (`python manage.py verify_trail`); the
   result at the time of the pack is in trail.json under "chain_verification".
"""


def _json(value) -> bytes:
    return (json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8")


def _trail(report: AuditReport) -> dict:
    events = AuditEvent.objects.filter(report_trail_filter(report)).select_related("actor").order_by("id")
    verification = trail_verify()
    return {
        "report_id": report.pk,
        "events": [
            {
                "id": event.pk,
                "actor_username": event.actor.get_username() if event.actor else event.actor_label,
                "payload": event_payload(event),
                "hash": event.hash,
            }
            for event in events
        ],
        "chain_verification": {
            **verification.as_dict(),
            "scope": "the whole trail of the platform, then every report signature",
        },
    }


def _approved_review(report: AuditReport) -> ReportReview:
    review = ReportReview.objects.filter(report=report).select_related("decided_by").first()
    status = review.status if review is not None else "not submitted for review"
    if review is None or review.status != ReviewStatus.APPROVED:
        raise ApplicationError(
            f"Only an approved report has an evidence pack; report {report.pk} is {status.replace('_', ' ')}.",
            field="format",
        )
    return review


def _signed_html(report: AuditReport) -> bytes:
    """The HTML rendering kept when the report was signed (the bytes its signature names); rendered afresh only for
    a report signed before renderings were kept."""
    kept = ReportRendering.objects.filter(report=report, format=ExportFormat.HTML).only("content").first()
    return bytes(kept.content) if kept is not None else render_report_html(report.document, report.sha256).encode()


def report_evidence_pack(*, report: AuditReport, review: dict, signatures: list[dict], bundle_jsonl: str) -> bytes:
    """The signed ZIP of an approved report. Raises ApplicationError (400, field "format") when the report is not
    approved; ImproperlyConfigured when no signing key is configured. Reads only."""
    approved = _approved_review(report)
    from audits.renderings.pdf import render_report_pdf  # WeasyPrint loads only when a PDF is asked for

    document = report.document
    key_id = current_key_id()
    files = {
        "report.json": report.canonical_json.encode("utf-8"),
        "report.html": _signed_html(report),
        "report.pdf": render_report_pdf(document, report.sha256, review=review, signatures=signatures),
        "signatures.intoto.jsonl": bundle_jsonl.encode("utf-8"),
        "review.json": _json(review),
        "trail.json": _json(_trail(report)),
        "fingerprints.json": _json(document["fingerprints"]),
        "limitations.json": _json(document.get("limitations", [])),
        "compliance-crosswalk.json": _json(document.get("compliance_crosswalk") or [dict(e) for e in CROSSWALK]),
        "platform-public-key.pem": public_key_pem().encode("ascii"),
    }
    approved_at = approved.decided_at.isoformat() if approved.decided_at else ""
    approved_by = approved.decided_by.get_username() if approved.decided_by else ""
    files["README.txt"] = README.format(
        report_id=report.pk,
        sha256=report.sha256,
        approved_by=approved_by,
        approved_at=approved_at,
        key_id=key_id,
        manifest=MANIFEST,
        envelope=MANIFEST_ENVELOPE,
    ).encode("utf-8")
    predicate = {
        "report_id": report.pk,
        "report_sha256": report.sha256,
        "workspace": report.workspace.slug,
        "approved_by": approved_by,
        "approved_at": approved_at,
        "trail_events": len(json.loads(files["trail.json"])["events"]),
    }
    return evidence_pack(files, predicate=predicate, private_key=signing_key(), key_id=key_id)
