"""The report page links every export, shows the review state, and records the view in the trail."""

from django.test import Client

from audits.choices import ExportFormat
from audits.models import AuditEvent, AuditReport, ReportAccess
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
        if fmt != ExportFormat.EVIDENCE:
            assert f"/reports/{report.pk}/export/{fmt}/" in text
    assert f"/reports/{report.pk}/export/evidence/" not in text  # an evidence pack needs an approval first
    assert "EU AI Act evidence pack (signed ZIP): available once the report is approved" in text
    assert "not submitted" in text
    access = ReportAccess.objects.get(report=report)
    assert access.via == "web" and access.actor_id == auditor.pk


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


# The review panel: who sees which button, and each button's POST calling the review service.

import pytest  # noqa: E402

from audits.models import ReportReview  # noqa: E402
from tests.frontend.report_helpers import stored_report  # noqa: E402

HTMX = {"HTTP_HX_REQUEST": "true"}


def _panel(client, report) -> str:
    text = client.get(f"/reports/{report.pk}/").content.decode()
    return text[text.index('id="review"') : text.index("</section>", text.index('id="review"'))]


def test_the_requesting_auditor_sees_submit_and_the_reviewer_sees_why_not(
    auditor, workspace, auditor_page, reviewer_page
):
    report = stored_report(auditor, workspace, "encoder")

    assert "Submit for review" in _panel(auditor_page, report)
    reviewer_panel = _panel(reviewer_page, report)
    assert "Submit for review" not in reviewer_panel and "Start review" not in reviewer_panel
    assert "Auditors and admins submit reports for review; your role is &#x27;reviewer&#x27;." in reviewer_panel


def test_submit_then_start_then_approve_through_the_panel_writes_each_trail_event(
    auditor, reviewer, workspace, auditor_page, reviewer_page
):
    report = stored_report(auditor, workspace, "language_model")

    submitted = auditor_page.post(f"/reports/{report.pk}/review/submit/", {"comment": "Ready"}, **HTMX)
    assert submitted.status_code == 200 and "Submitted for review." in submitted.content.decode()
    auditor_panel = _panel(auditor_page, report)
    assert "Start review" not in auditor_panel and "Approve" not in auditor_panel
    assert "Only reviewers and admins can review; your role is &#x27;auditor&#x27;." in auditor_panel
    reviewer_panel = _panel(reviewer_page, report)
    assert "Start review" in reviewer_panel and ">Approve<" not in reviewer_panel

    started = reviewer_page.post(f"/reports/{report.pk}/review/start/", **HTMX)
    started_text = started.content.decode()
    assert started_text.startswith('<section id="review"')  # the panel alone, for the HTMX swap
    assert ">Approve<" in started_text and ">Reject<" in started_text and ">Request changes<" in started_text
    assert ">Approve<" not in _panel(auditor_page, report)  # the requester never sees Approve

    approved = reviewer_page.post(f"/reports/{report.pk}/review/approve/", {"comment": "Scores read well."})
    assert approved.status_code == 302 and approved["Location"] == f"/reports/{report.pk}/#review"  # no-JS fallback
    final = _panel(reviewer_page, report)
    assert "Approved" in final and "Scores read well." in final and "✓ Approved: recorded and signed." in final
    assert ">Approve<" not in final
    actions = list(AuditEvent.objects.filter(object_type="ReportReview").values_list("action", "actor_id"))
    assert actions == [
        ("review.submit", auditor.pk),
        ("review.start", reviewer.pk),
        ("review.approve", reviewer.pk),
    ]
    assert ReportReview.objects.get(report=report).status == "approved"


def test_a_refused_or_incomplete_step_shows_the_service_message_in_the_panel(
    auditor, workspace, auditor_page, reviewer_page, viewer_page
):
    report = stored_report(auditor, workspace, "encoder")
    auditor_page.post(f"/reports/{report.pk}/review/submit/")

    refused = auditor_page.post(f"/reports/{report.pk}/review/start/", **HTMX)
    assert refused.status_code == 200
    assert "Only reviewers and admins can review; your role is &#x27;auditor&#x27;." in refused.content.decode()
    assert AuditEvent.objects.filter(action="review.refused", actor=auditor).exists()
    out_of_order = reviewer_page.post(f"/reports/{report.pk}/review/approve/", **HTMX).content.decode()
    assert "start it before deciding" in out_of_order
    reviewer_page.post(f"/reports/{report.pk}/review/start/", **HTMX)
    no_reason = reviewer_page.post(f"/reports/{report.pk}/review/reject/", {"comment": " "}, **HTMX)
    assert "Say why in a comment when rejecting or requesting changes." in no_reason.content.decode()
    assert ReportReview.objects.get(report=report).status == "in_review"
    viewer_panel = _panel(viewer_page, report)
    assert "Only reviewers and admins can review; your role is &#x27;viewer&#x27;." in viewer_panel
    assert "<button" not in viewer_panel
    assert viewer_page.post(f"/reports/{report.pk}/review/comment/", {"comment": "hi"}).status_code == 302
    assert not AuditEvent.objects.filter(action="review.comment").exists()


@pytest.mark.parametrize("method", ["get", "put"])
def test_a_review_step_accepts_only_post(auditor, workspace, auditor_page, method):
    report = stored_report(auditor, workspace, "encoder")
    assert getattr(auditor_page, method)(f"/reports/{report.pk}/review/submit/").status_code == 405
