"""report_export: one service renders every format for API, CLI and pages, and records it in the same transaction."""

import json

import pytest

from audits.choices import EventAction, ExportFormat
from audits.exceptions import ApplicationError, NotFoundError
from audits.models import AuditEvent, ReportRendering
from audits.services.report_exports import report_export
from audits.services.reviews import review_decide, review_start, review_submit


# pdf is slow; evidence needs an approved report (tests/audits/exports/test_evidence_pack.py)
@pytest.mark.parametrize("fmt", [f for f in ExportFormat.values if f not in ("pdf", "evidence")])
def test_each_format_is_rendered_and_its_export_recorded(auditor, report, fmt):
    exported = report_export(actor=auditor, report=report, fmt=fmt, via="api", request_id="req-1")

    assert exported.content and exported.filename.startswith(f"audit-report-{report.pk}.")
    event = AuditEvent.objects.get(action=EventAction.REPORT_EXPORTED)
    assert (event.object_type, event.object_id) == ("AuditReport", str(report.pk))
    assert event.workspace_id == report.workspace_id
    assert (event.actor_id, event.actor_label, event.request_id) == (auditor.pk, auditor.get_username(), "req-1")
    assert event.after == {"sha256": report.sha256, "format": fmt, "via": "api"}


def test_json_is_the_stored_canonical_bytes(auditor, report):
    exported = report_export(actor=auditor, report=report, fmt="json", via="api")

    assert exported.content == report.canonical_json.encode("utf-8")
    assert exported.filename == f"audit-report-{report.pk}.json"


def test_the_operator_cli_is_named_when_there_is_no_user(report):
    report_export(actor=None, report=report, fmt=ExportFormat.CSV, via="cli")

    event = AuditEvent.objects.get(action=EventAction.REPORT_EXPORTED)
    assert (event.actor_id, event.actor_label, event.after["via"]) == (None, "cli", "cli")


def test_unknown_formats_are_refused_and_nothing_is_recorded(auditor, report):
    with pytest.raises(ApplicationError) as error:
        report_export(actor=auditor, report=report, fmt="docx", via="api")

    assert error.value.field == "format" and "model_card" in error.value.message
    assert not AuditEvent.objects.filter(action=EventAction.REPORT_EXPORTED).exists()


def test_an_approved_report_exports_a_bundle_of_both_envelopes_and_the_review_in_its_own_html(
    auditor, reviewer, report
):
    signed_html = report_export(actor=auditor, report=report, fmt="html", via="web").content
    review = review_submit(user=auditor, report=report)
    review_start(user=reviewer, review=review)
    review_decide(user=reviewer, review=review, decision="approve", comment="checked the intervals")

    bundle = report_export(actor=reviewer, report=report, fmt="dsse", via="web").content.decode()
    html = report_export(actor=reviewer, report=report, fmt="html", via="web")
    with_review = report_export(actor=reviewer, report=report, fmt="html_review", via="web")

    envelopes = [json.loads(line) for line in bundle.splitlines()]
    assert len(envelopes) == 2 and bundle.endswith("\n")
    assert all({"payloadType", "payload", "signatures"} <= set(e) for e in envelopes)
    assert html.content == signed_html and b"checked the intervals" not in html.content  # the signed bytes
    assert html.content == bytes(ReportRendering.objects.get(report=report, format="html").content)
    assert "checked the intervals" in with_review.content.decode()
    assert with_review.filename == f"audit-report-{report.pk}.review.html"
    assert AuditEvent.objects.filter(action=EventAction.REPORT_EXPORTED).count() == 4


def test_an_outsider_cannot_export_even_by_calling_the_service(outsider, other_workspace, report):
    with pytest.raises(NotFoundError):
        report_export(actor=outsider, report=report, fmt="json", via="api")

    assert not AuditEvent.objects.filter(action=EventAction.REPORT_EXPORTED).exists()
