"""Exports over the API and the CLI: every format answers, each export is in the trail, the envelope verifies."""

import json

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from audits.canonical import sha256_hex
from audits.exports.cyclonedx import bom_errors
from audits.exports.spdx import spdx_errors
from audits.models import AuditEvent, AuditReport
from audits.services.audit_runs import audit_run_create
from audits.signing import keys
from audits.signing.dsse import subject_digests, verify_bundle, verify_envelope
from audits.signing.keys import public_key_pem
from tests.api_errors import error_detail
from tests.audits.services.helpers import make_plan


@pytest.fixture
def report(auditor, workspace, eager_celery, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        run = audit_run_create(user=auditor, plan=make_plan(auditor, workspace))
    return AuditReport.objects.get(run=run)


@pytest.mark.parametrize(
    ("fmt", "media"),
    [
        ("json", "application/json"),
        ("model_card", "application/json"),
        ("hf_card", "text/markdown"),
        ("csv", "text/csv"),
        ("dsse", "application/vnd.in-toto.bundle"),
        ("html", "text/html"),
        ("html_review", "text/html"),
        ("pdf", "application/pdf"),
        ("cyclonedx", "application/vnd.cyclonedx+json"),
        ("spdx", "application/ld+json"),
    ],
)
def test_every_format_is_served_and_recorded(auditor_client, report, fmt, media):
    response = auditor_client.get(f"/api/v1/reports/{report.pk}/export/", {"format": fmt})

    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"].startswith(media)
    assert response["X-Report-SHA256"] == report.sha256
    event = AuditEvent.objects.get(action="report.exported")
    assert event.after["format"] == fmt and event.object_id == str(report.pk)


def test_the_downloaded_envelope_verifies_with_only_the_public_key(auditor_client, report):
    envelope = auditor_client.get(f"/api/v1/reports/{report.pk}/export/", {"format": "dsse"}).content

    statement = verify_envelope(envelope, public_key_pem().encode())

    digests = {s["digest"]["sha256"] for s in statement["subject"]}
    assert report.sha256 in digests
    flipped = bytearray(envelope)
    flipped[len(flipped) // 2] ^= 0x01
    with pytest.raises(ValueError):
        verify_envelope(bytes(flipped), public_key_pem().encode())


def test_unknown_formats_and_outsiders_are_refused(auditor_client, outsider_client, report):
    unknown = auditor_client.get(f"/api/v1/reports/{report.pk}/export/", {"format": "docx"})

    assert unknown.status_code == 400 and "model_card" in error_detail(unknown)
    assert outsider_client.get(f"/api/v1/reports/{report.pk}/export/", {"format": "json"}).status_code == 404
    assert not AuditEvent.objects.filter(action="report.exported").exists()


def test_the_cli_exports_a_model_card(report, tmp_path):
    out = tmp_path / "card.json"

    call_command("export_report", str(report.pk), "--format", "model_card", "--out", str(out))

    card = json.loads(out.read_text())
    assert card["quantitative_analysis"]["performance_metrics"]
    assert AuditEvent.objects.get(action="report.exported").after["via"] == "cli"


def test_the_standard_renderings_served_are_byte_for_byte_the_signed_subjects(auditor_client, report):
    envelope = auditor_client.get(f"/api/v1/reports/{report.pk}/export/", {"format": "dsse"}).content
    digests = subject_digests(verify_envelope(envelope, public_key_pem().encode()))

    for fmt in ("cyclonedx", "spdx"):
        response = auditor_client.get(f"/api/v1/reports/{report.pk}/export/", {"format": fmt})
        filename = response["Content-Disposition"].split('filename="')[1].rstrip('"')
        assert digests[sha256_hex(response.content)] == filename
    assert AuditEvent.objects.filter(action="report.exported").count() == 3


def test_the_cli_exports_valid_cyclonedx_and_spdx(report, tmp_path):
    bom, spdx = tmp_path / "bom.cdx.json", tmp_path / "report.spdx.json"

    call_command("export_report", str(report.pk), "--format", "cyclonedx", "--out", str(bom))
    call_command("export_report", str(report.pk), "--format", "spdx", "--out", str(spdx))

    assert bom_errors(bom.read_text()) == [] and spdx_errors(spdx.read_bytes()) == []
    metrics = json.loads(bom.read_text())["components"][0]["modelCard"]["quantitativeAnalysis"]["performanceMetrics"]
    first = report.document["results"][0]
    assert (metrics[0]["type"], float(metrics[0]["value"])) == (first["metric"], first["value"])
    assert report.document["subject"]["dataset"]["sha256"] in spdx.read_text() and report.sha256 in spdx.read_text()
    exports = AuditEvent.objects.filter(action="report.exported").order_by("id")
    assert [(e.after["format"], e.after["via"]) for e in exports] == [("cyclonedx", "cli"), ("spdx", "cli")]


def test_the_public_key_is_served_to_signed_in_users_and_verifies_the_downloaded_bundle(auditor_client, report):
    bundle = auditor_client.get(f"/api/v1/reports/{report.pk}/export/", {"format": "dsse"}).content

    key = auditor_client.get("/api/v1/signing-key/")

    assert key.status_code == 200 and key.json()["key_id"] == keys.current_key_id()
    assert "PRIVATE" not in key.content.decode()
    (statement,) = verify_bundle(bundle, key.json()["public_key"].encode())
    assert report.sha256 in {s["digest"]["sha256"] for s in statement["subject"]}
    assert APIClient().get("/api/v1/signing-key/").status_code in (401, 403)
