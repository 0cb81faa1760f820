"""Reading reports at scale: the API list, the API detail and the report page make a fixed number of queries,
whatever the number of reports (no N+1), and a view adds one access-log row, not a trail event."""

from django.test import Client

from audits.models import AuditEvent, ReportAccess
from tests.audits.factories import AuditPlanFactory, AuditReportFactory


def _reports(auditor, workspace, n):
    plan = AuditPlanFactory(user=auditor, workspace=workspace)
    return [AuditReportFactory(user=auditor, workspace=workspace, run__plan=plan) for _ in range(n)]


def test_the_report_list_makes_the_same_queries_for_one_report_as_for_three(
    auditor, workspace, auditor_client, django_assert_num_queries
):
    _reports(auditor, workspace, 1)
    with django_assert_num_queries(1) as one:  # the list itself; the test client is authenticated in memory
        assert auditor_client.get("/api/v1/reports/").status_code == 200
    _reports(auditor, workspace, 2)

    with django_assert_num_queries(len(one.captured_queries)):
        listed = auditor_client.get("/api/v1/reports/").json()["results"]

    assert len(listed) == 3 and {r["review_state"] for r in listed} == {"not_submitted"}
    assert all(r["verdict_counts"] and r["plan"] and r["model"] for r in listed)


def test_an_api_detail_reads_the_report_once_and_records_one_access_row_per_opening(
    auditor, workspace, auditor_client, django_assert_num_queries
):
    report = _reports(auditor, workspace, 1)[0]
    events = AuditEvent.objects.count()

    # the report without its document, the access-log row (lock, check and insert in one), then the document, which
    # this process reads once: a reopening serves the body it rendered then
    with django_assert_num_queries(3):
        body = auditor_client.get(f"/api/v1/reports/{report.pk}/").json()
    with django_assert_num_queries(2):
        again = auditor_client.get(f"/api/v1/reports/{report.pk}/").json()

    assert body["sha256"] == report.sha256 and body["document"] == report.document and again == body
    assert ReportAccess.objects.filter(report=report, via="api").count() == 2
    assert AuditEvent.objects.count() == events


def test_the_report_page_makes_the_same_queries_on_every_opening(
    auditor, workspace, django_assert_num_queries, django_assert_max_num_queries
):
    first, second = _reports(auditor, workspace, 2)
    client = Client()
    client.force_login(auditor)
    assert client.get(f"/reports/{first.pk}/").status_code == client.get(f"/reports/{second.pk}/").status_code == 200

    # session, user, report, access row, signatures, review rules (2), trail, views, what-if evidence, navigation;
    # the document's part (canonical JSON, context, sections) comes from the web process's cache on a reopening
    with django_assert_max_num_queries(12) as reopening:
        again = client.get(f"/reports/{first.pk}/")
    with django_assert_num_queries(len(reopening.captured_queries)):
        other = client.get(f"/reports/{second.pk}/")

    assert first.sha256 in again.content.decode() and second.sha256 in other.content.decode()
    assert "Opened 2 times" in again.content.decode()
