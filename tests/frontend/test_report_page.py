"""The report page links every export, shows the review state, and records the view in the trail."""

from django.test import Client

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
    for fmt in ("html", "pdf", "model_card", "hf_card", "csv", "dsse"):
        assert f"/api/v1/reports/{report.pk}/export/?format={fmt}" in text
    assert "not submitted" in text
    event = AuditEvent.objects.get(action="report.viewed")
    assert event.after["via"] == "web" and event.actor_id == auditor.pk
