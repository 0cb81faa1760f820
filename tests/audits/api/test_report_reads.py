"""The report list and detail's fast paths give what the serializers give, field for field and byte for byte, and
never serve a body to someone the queryset does not let read the report."""

import json

from django.db import connection
from rest_framework.renderers import JSONRenderer

from audits.api.report_reads import clear_report_bodies
from audits.api.serializers import AuditReportSerializer
from audits.api.serializers_governance import AuditReportListSerializer
from audits.models import AuditReport
from audits.services.reviews import review_submit
from tests.audits.factories import AuditPlanFactory, AuditReportFactory


def _reports(user, workspace, n):
    plan = AuditPlanFactory(user=user, workspace=workspace)
    return [AuditReportFactory(user=user, workspace=workspace, run__plan=plan) for _ in range(n)]


def test_list_items_equal_the_list_serializer_for_every_kind_of_row(auditor, workspace, auditor_client):
    submitted, plain, without_counts = _reports(auditor, workspace, 3)
    review_submit(user=auditor, report=submitted)
    with connection.cursor() as cursor:  # a report stored before the counts table: as a superuser, triggers off
        cursor.execute("SET session_replication_role = replica")
        cursor.execute("DELETE FROM audits_reportverdictcounts WHERE report_id = %s", [without_counts.pk])
        cursor.execute("SET session_replication_role = DEFAULT")

    listed = auditor_client.get("/api/v1/reports/").json()["results"]

    reports = AuditReport.objects.filter(pk__in=[r["id"] for r in listed]).order_by("-id")
    expected = json.loads(JSONRenderer().render(AuditReportListSerializer(reports, many=True).data))
    assert listed == expected
    states = {r["id"]: r["review_state"] for r in listed}
    assert states[submitted.pk] == "submitted" and states[plain.pk] == "not_submitted"
    assert next(r for r in listed if r["id"] == without_counts.pk)["verdict_counts"]  # counted from the document


def test_the_detail_body_is_the_serializers_json_byte_for_byte_then_served_from_memory(
    auditor, workspace, auditor_client
):
    clear_report_bodies()
    report = _reports(auditor, workspace, 1)[0]
    expected = JSONRenderer().render(AuditReportSerializer(AuditReport.objects.get(pk=report.pk)).data)

    first = auditor_client.get(f"/api/v1/reports/{report.pk}/")
    again = auditor_client.get(f"/api/v1/reports/{report.pk}/")

    assert first["Content-Type"] == "application/json" and first.content == expected and again.content == expected
    # a client asking for indented JSON or the browsable API gets DRF's own rendering
    indented = auditor_client.get(f"/api/v1/reports/{report.pk}/", HTTP_ACCEPT="application/json; indent=2")
    assert indented.content != expected and json.loads(indented.content) == json.loads(expected)
    browsable = auditor_client.get(f"/api/v1/reports/{report.pk}/", HTTP_ACCEPT="text/html")
    assert browsable.status_code == 200 and browsable["Content-Type"].startswith("text/html")


def test_a_memoised_body_is_never_served_outside_the_reports_workspace(
    auditor, workspace, auditor_client, outsider_client
):
    report = _reports(auditor, workspace, 1)[0]
    assert auditor_client.get(f"/api/v1/reports/{report.pk}/").status_code == 200  # now in this process's memo

    refused = outsider_client.get(f"/api/v1/reports/{report.pk}/")

    assert refused.status_code == 404 and report.sha256 not in refused.content.decode()
