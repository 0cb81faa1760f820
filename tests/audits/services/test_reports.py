"""Report services: a report is stored once per run as canonical JSON with its sha256 and report.created;
who viewed or exported it is recorded."""

import pytest

from audits.canonical import canonical_dumps, sha256_hex
from audits.exceptions import ApplicationError
from audits.models import AuditEvent, AuditReport, ReportAccess
from audits.services.reports import report_create, report_record_view
from tests.audits.factories import AuditRunFactory


def _state() -> tuple[int, int]:
    return AuditEvent.objects.count(), AuditReport.objects.count()


def test_executing_a_run_stores_its_report_with_the_created_event(report):
    event = AuditEvent.objects.get(action="report.created", object_id=str(report.pk))

    assert report.sha256 == sha256_hex(report.canonical_json) and report.workspace_id == report.run.workspace_id
    assert (event.object_type, event.workspace_id, event.actor_id, event.actor_label) == (
        "AuditReport",
        report.workspace_id,
        None,
        "system",
    )
    assert event.after == {"run": report.run_id, "sha256": report.sha256}


def test_report_create_stores_a_valid_document_for_a_run_without_report(report, auditor):
    run = AuditRunFactory(user=auditor, plan=report.run.plan)
    document = {**report.document, "provenance": {**report.document["provenance"], "run_id": run.pk}}

    created = report_create(run=run, document=document, task_id="task-1")

    assert created.canonical_json == canonical_dumps(document) and created.document == document
    assert (created.run, created.workspace, created.sha256) == (run, run.workspace, sha256_hex(created.canonical_json))
    event = AuditEvent.objects.get(action="report.created", object_id=str(created.pk))
    assert (event.task_id, event.workspace_id, event.actor_label) == ("task-1", run.workspace_id, "system")
    assert event.after == {"run": run.pk, "sha256": created.sha256}


def test_a_second_report_for_a_run_and_an_invalid_document_are_refused(report, auditor):
    run = AuditRunFactory(user=auditor, plan=report.run.plan)
    before = _state()

    with pytest.raises(ApplicationError, match="already has a report"):
        report_create(run=report.run, document=report.document)
    with pytest.raises(ApplicationError, match="does not match its schema"):
        report_create(run=run, document={**report.document, "results": "none"})

    assert _state() == before
    assert not AuditReport.objects.filter(run=run).exists()


def test_a_view_is_recorded_with_who_and_how(report, auditor):
    report_record_view(user=auditor, report=report, via="web", request_id="req-1")

    access = ReportAccess.objects.get()  # the access log, not the chain (folded into it in batches)
    assert (access.report_id, access.sha256, access.via) == (report.pk, report.sha256, "web")
    assert (access.actor_id, access.workspace_id, access.request_id) == (auditor.pk, report.workspace_id, "req-1")
    assert not AuditEvent.objects.filter(action="report.viewed").exists()
