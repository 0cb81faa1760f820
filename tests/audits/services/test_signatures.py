"""Report signatures (audits/services/signatures.py): the report and approval statements name what they attest,
each signature is in the trail, a refused signature leaves nothing, and the private key never reaches the
database."""

import base64
import json

import pytest
from cryptography.hazmat.primitives import serialization
from django.db import connection, transaction

from audits.canonical import sha256_hex
from audits.choices import ReviewAction
from audits.exceptions import ApplicationError
from audits.models import AuditEvent, ReportRendering, ReportSignature, ReviewEntry
from audits.services.report_exports import report_export
from audits.services.signatures import approval_sign, report_sign, signature_verify
from audits.signing import dsse, keys
from tests.audits.factories import AuditReportFactory


def test_report_signature_names_the_report_its_kept_renderings_the_dataset_and_model(report):
    document = report.document
    signature = report_sign(report=report)

    html = ReportRendering.objects.get(report=report, format="html")
    assert b"<!doctype html>" in bytes(html.content)[:200] and html.sha256 == sha256_hex(bytes(html.content))
    statement = dsse.verify_envelope(signature.envelope_json, keys.public_key_pem())
    formats = ("cyclonedx", "spdx", "ll144", "ll144_csv", "ll144_html")
    served = {fmt: report_export(actor=None, report=report, fmt=fmt, via="cli") for fmt in formats}
    assert dsse.subject_digests(statement) == {
        report.sha256: f"audit-report-{report.pk}.json",
        html.sha256: f"audit-report-{report.pk}.html",
        sha256_hex(served["cyclonedx"].content): f"audit-report-{report.pk}.cdx.json",
        sha256_hex(served["spdx"].content): f"audit-report-{report.pk}.spdx.json",
        sha256_hex(served["ll144"].content): f"audit-report-{report.pk}.ll144.json",
        sha256_hex(served["ll144_csv"].content): f"audit-report-{report.pk}.ll144.csv",
        sha256_hex(served["ll144_html"].content): f"audit-report-{report.pk}.ll144.html",
        document["subject"]["dataset"]["sha256"]: f"dataset:{document['subject']['dataset']['name']}",
        document["subject"]["model"]["sha256"]: f"model:{document['subject']['model']['name']}",
    }
    assert statement["predicateType"] == "https://fairness-audit.local/attestations/report/v1"
    predicate = statement["predicate"]
    assert (predicate["report_id"], predicate["run_id"], predicate["workspace"]) == (
        report.pk,
        report.run_id,
        "credit-risk",
    )
    assert predicate["verdicts"] == document["summary"]["verdicts"] and predicate["code_version"] == "test"
    assert predicate["finished_at"] == document["provenance"]["finished_at"]
    assert signature.statement_sha256 == sha256_hex(base64.b64decode(json.loads(signature.envelope_json)["payload"]))
    assert (signature.kind, signature.key_id) == ("report", keys.current_key_id())
    event = AuditEvent.objects.get(action="report.signed", after__signature=signature.pk)
    assert (event.object_type, event.object_id, event.actor_label) == ("AuditReport", str(report.pk), "system")
    assert (event.workspace_id, event.actor_id) == (report.workspace_id, None)
    assert event.after == {
        "signature": signature.pk,
        "kind": "report",
        "key_id": signature.key_id,
        "statement_sha256": signature.statement_sha256,
    }
    assert signature_verify(signature) is None


def test_approval_signature_names_the_reviewer_but_not_the_comment(report, approval, reviewer):
    signature = approval_sign(report=report, review_entry=approval)

    predicate = dsse.verify_envelope(signature.envelope_json, keys.public_key_pem())["predicate"]
    assert predicate == {
        "report_id": report.pk,
        "report_sha256": report.sha256,
        "decision": "approve",
        "reviewer": "rita-reviewer",
        "reviewer_id": reviewer.pk,
        "decided_at": approval.created_at.isoformat(),
        "comment_sha256": sha256_hex("Checked the DPD bands; fine."),
    }
    assert "DPD bands" not in base64.b64decode(json.loads(signature.envelope_json)["payload"]).decode()
    assert signature.review_entry_id == approval.pk and signature_verify(signature) is None
    assert AuditEvent.objects.filter(action="report.approval_signed", after__signature=signature.pk).count() == 1
    event = AuditEvent.objects.get(action="report.approval_signed", after__signature=signature.pk)
    assert (event.object_type, event.object_id) == ("AuditReport", str(report.pk))
    assert event.workspace_id == report.workspace_id
    assert (event.after["kind"], event.after["review_entry"]) == ("approval", approval.pk)


def test_approval_sign_refuses_an_entry_that_is_no_decision(report, approval, reviewer):
    comment = ReviewEntry.objects.create(review=approval.review, action=ReviewAction.COMMENT, actor=reviewer)
    signatures, events = ReportSignature.objects.count(), AuditEvent.objects.count()
    with pytest.raises(ApplicationError, match="Only decisions"):
        approval_sign(report=report, review_entry=comment)
    assert (ReportSignature.objects.count(), AuditEvent.objects.count()) == (signatures, events)


def test_approval_sign_refuses_an_entry_about_another_report(report, approval, auditor, workspace):
    other = AuditReportFactory(user=auditor, workspace=workspace)
    signatures, events = ReportSignature.objects.count(), AuditEvent.objects.count()

    with pytest.raises(ApplicationError, match=f"is not about report {other.pk}"):
        approval_sign(report=other, review_entry=approval)

    assert (ReportSignature.objects.count(), AuditEvent.objects.count()) == (signatures, events)
    assert not ReportSignature.objects.filter(kind="approval").exists()


def test_a_signature_made_with_another_key_is_reported(report, settings):
    signature = report_sign(report=report)
    settings.AUDIT_SIGNING_KEY = base64.b64encode(bytes(range(32))).decode()
    assert "the current key is" in signature_verify(signature)


def test_the_private_key_never_reaches_the_database(report, approval):
    signature = report_sign(report=report)
    approval_sign(report=report, review_entry=approval)
    private = keys.signing_key()
    seed = private.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    pem_body = "".join(keys.private_key_pem(private).decode().splitlines()[1:-1])
    secrets = [
        base64.b64encode(seed).decode(),
        base64.urlsafe_b64encode(seed).decode().rstrip("="),
        seed.hex(),
        pem_body,
    ]

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'public' "
            "AND data_type IN ('text', 'character varying', 'json', 'jsonb')"
        )
        columns = cursor.fetchall()
        dump = []
        for table, column in columns:
            cursor.execute(f'SELECT "{column}"::text FROM "{table}" WHERE "{column}" IS NOT NULL')
            dump.extend(value for (value,) in cursor.fetchall())
    text = "\n".join(dump)

    assert signature.envelope_json in text and keys.current_key_id() in text  # the dump does see signatures
    assert [s for s in secrets if s in text or s.lower() in text.lower()] == []


def test_a_kept_rendering_edited_behind_the_triggers_is_reported(report):
    signature = report.signatures.get(kind="report")
    rendering = ReportRendering.objects.get(report=report, format="html")
    assert signature_verify(signature) is None
    with pytest.raises(Exception, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE audits_reportrendering SET content = %s WHERE id = %s", [b"<html>", rendering.pk])

    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")
        cursor.execute("UPDATE audits_reportrendering SET content = %s WHERE id = %s", [b"<html>", rendering.pk])
        cursor.execute("SET session_replication_role = origin")

    reason = signature_verify(signature)
    assert reason == f"the kept html rendering of report {report.pk} is not the file that was signed"
