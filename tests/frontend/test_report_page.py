"""The report page links every export, shows the review state, and records the view in the trail."""

from django.test import Client

from audits.choices import ExportFormat
from audits.models import AuditEvent, AuditReport
from audits.services.audit_runs import audit_run_create
from tests.audits.services.helpers import make_plan


def test_the_report_page_links_exports_and_records_the_view(
    auditor, workspace, eager_celery, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        run = audit_run_create(user=auditor, plan=make_plan(auditor, workspace))
    report = AuditReport.objects.get(run=run)
    client = Client()
    client.force_login(auditor)

    page = client.get(f"/reports/{report.pk}/")

    assert page.status_code == 200
    text = page.content.decode()
    for fmt in ExportFormat.values:
        assert f"/reports/{report.pk}/export/{fmt}/" in text
    assert "not submitted" in text
    event = AuditEvent.objects.get(action="report.viewed")
    assert event.after["via"] == "web" and event.actor_id == auditor.pk


def test_an_export_link_downloads_through_the_export_service_and_is_recorded(
    auditor, outsider, workspace, other_workspace, eager_celery, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        run = audit_run_create(user=auditor, plan=make_plan(auditor, workspace))
    report = AuditReport.objects.get(run=run)
    client = Client()
    client.force_login(auditor)

    csv = client.get(f"/reports/{report.pk}/export/csv/")
    unknown = client.get(f"/reports/{report.pk}/export/docx/")

    assert csv.status_code == 200 and csv["Content-Type"].startswith("text/csv")
    assert csv["Content-Disposition"] == f'attachment; filename="audit-report-{report.pk}.csv"'
    assert unknown.status_code == 400 and "model_card" in unknown.content.decode()
    event = AuditEvent.objects.get(action="report.exported")
    assert (event.after["format"], event.after["via"], event.actor_id) == ("csv", "web", auditor.pk)
    client.force_login(outsider)
    assert client.get(f"/reports/{report.pk}/export/csv/").status_code == 404
    assert AuditEvent.objects.filter(action="report.exported").count() == 1
