"""LL144 and evidence-pack exports over the API and the CLI: served, recorded, refused with a reason."""

import csv
import io
import json
import zipfile

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from audits.models import AuditEvent
from audits.services.reviews import review_decide, review_start, review_submit
from tests.audits.factories import AuditReportFactory


@pytest.fixture
def report(auditor, workspace):
    return AuditReportFactory(workspace=workspace, user=auditor)


def _approve(report, auditor, reviewer):
    review = review_submit(user=auditor, report=report)
    review_start(user=reviewer, review=review)
    review_decide(user=reviewer, review=review, decision="approve")


@pytest.mark.parametrize(
    ("fmt", "media", "suffix"),
    [
        ("ll144", "application/json", ".ll144.json"),
        ("ll144_csv", "text/csv", ".ll144.csv"),
        ("ll144_html", "text/html", ".ll144.html"),
    ],
)
def test_the_ll144_summary_is_served_and_recorded(auditor_client, report, fmt, media, suffix):
    response = auditor_client.get(f"/api/v1/reports/{report.pk}/export/", {"format": fmt})

    assert response.status_code == 200
    assert response["Content-Type"].startswith(media)
    assert response["Content-Disposition"] == f'attachment; filename="audit-report-{report.pk}{suffix}"'
    assert AuditEvent.objects.get(action="report.exported").after["format"] == fmt


def test_the_ll144_json_counts_every_group_of_the_credit_report(auditor_client, report):
    summary = auditor_client.get(f"/api/v1/reports/{report.pk}/export/", {"format": "ll144"}).json()

    sex = next(t for t in summary["tables"] if t["category_type"] == "sex")
    groups = {g["group"]: g for a in report.document["attributes"] if a["attribute"] == "sex" for g in a["groups"]}
    assert {r["category"]: (r["individuals"], r["favourable"]) for r in sex["rows"]} == {
        name: (g["n"], g["n_selected"]) for name, g in groups.items()
    }
    assert summary["individuals_assessed"] == 600


def test_the_evidence_pack_needs_an_approved_report(auditor_client, report, auditor, reviewer):
    refused = auditor_client.get(f"/api/v1/reports/{report.pk}/export/", {"format": "evidence"})

    assert refused.status_code == 400
    assert "Only an approved report has an evidence pack" in refused.content.decode()
    assert not AuditEvent.objects.filter(action="report.exported").exists()

    _approve(report, auditor, reviewer)
    served = auditor_client.get(f"/api/v1/reports/{report.pk}/export/", {"format": "evidence"})

    assert served.status_code == 200 and served["Content-Type"] == "application/zip"
    assert "report.json" in zipfile.ZipFile(io.BytesIO(served.content)).namelist()
    assert AuditEvent.objects.get(action="report.exported").after["format"] == "evidence"


def test_outsiders_and_anonymous_callers_get_no_regulator_export(outsider_client, report):
    for fmt in ("ll144", "evidence"):
        assert outsider_client.get(f"/api/v1/reports/{report.pk}/export/", {"format": fmt}).status_code == 404
        assert APIClient().get(f"/api/v1/reports/{report.pk}/export/", {"format": fmt}).status_code in (401, 403)
    assert not AuditEvent.objects.filter(action="report.exported").exists()


def test_the_cli_writes_the_ll144_csv_and_the_evidence_pack(report, auditor, reviewer, tmp_path, capsys):
    out = tmp_path / "ll144.csv"
    call_command("export_report", str(report.pk), "--format", "ll144_csv", "--out", str(out))
    rows = list(csv.DictReader(out.open()))
    assert {r["category_type"] for r in rows} == {"sex", "other"}  # age_band is not an LL144 category

    _approve(report, auditor, reviewer)
    pack = tmp_path / "pack.zip"
    call_command("export_report", str(report.pk), "--format", "evidence", "--out", str(pack))
    key, printed = tmp_path / "key.pem", io.StringIO()
    call_command("signing_key", "--public", stdout=printed)
    key.write_text(printed.getvalue())
    call_command("verify_evidence", str(pack), "--public-key", str(key))

    assert "OK: 11 files match" in capsys.readouterr().out
    assert [e.after["via"] for e in AuditEvent.objects.filter(action="report.exported")] == ["cli", "cli"]
    assert json.loads(zipfile.ZipFile(pack).read("review.json"))["status"] == "approved"
