"""The trail over the API: the list (the Trail page's scope: the user's workspaces, filters, cursor pagination)
and the verification endpoint, which answers staff only."""

import pytest
from django.utils import timezone

from audits.models import AuditEvent
from tests.api_errors import error_attr
from tests.audits.factories import AuditReportFactory


def test_trail_verification_is_for_staff_only(auditor_client, anonymous_client, outsider_client):
    assert auditor_client.get("/api/v1/trail/verify/").status_code == 403
    assert anonymous_client.get("/api/v1/trail/verify/").status_code in (401, 403)
    assert outsider_client.get("/api/v1/trail/verify/").status_code == 403


@pytest.fixture
def report(auditor, workspace):
    return AuditReportFactory(user=auditor, workspace=workspace)


def _events(client, **params) -> list[dict]:
    response = client.get("/api/v1/trail/", params)
    assert response.status_code == 200, response.json()
    return response.json()["results"]


def test_the_trail_lists_the_users_workspace_events_newest_first(auditor_client, report, workspace):
    events = _events(auditor_client, page_size=500)

    expected = list(AuditEvent.objects.filter(workspace=workspace).order_by("-id").values_list("id", flat=True))
    assert [e["id"] for e in events] == expected and len(expected) > 5
    first = AuditEvent.objects.get(pk=events[0]["id"])
    assert events[0]["hash"] == first.hash and events[0]["prev_hash"] == first.prev_hash
    assert events[0]["workspace"] == "credit-risk"


def test_an_outsider_sees_none_of_another_workspaces_trail(outsider_client, report, other_workspace):
    events = _events(outsider_client, page_size=500)

    assert {e["workspace"] for e in events} == {"elsewhere"}  # only their own workspace.created
    assert _events(outsider_client, object_type="AuditReport", object_id=report.pk) == []


def test_account_events_of_no_workspace_are_not_listed(auditor_client, auditor, workspace):
    from audits.services.tokens import token_create

    token_create(user=auditor)

    assert _events(auditor_client, action="token.created") == []


def test_trail_filters_by_object_actor_action_and_time(auditor_client, auditor, report):
    about_report = _events(auditor_client, object_type="AuditReport", object_id=report.pk)
    assert {e["action"] for e in about_report} == {"report.created", "report.signed"}
    assert {e["object_id"] for e in about_report} == {str(report.pk)}

    by_auditor = _events(auditor_client, actor=auditor.username, page_size=500)
    assert by_auditor and {e["actor"] for e in by_auditor} == {auditor.username}
    by_system = _events(auditor_client, actor="system", page_size=500)
    assert by_system and not {e["id"] for e in by_system} & {e["id"] for e in by_auditor}

    queued = _events(auditor_client, action="run.queued")
    assert [e["object_id"] for e in queued] == [str(report.run_id)]

    created = AuditEvent.objects.get(action="report.created", object_id=str(report.pk)).created_at
    after = _events(auditor_client, created_after=created.isoformat(), page_size=500)
    before = _events(auditor_client, created_before=created.isoformat(), page_size=500)
    assert after and before and {e["id"] for e in after}.isdisjoint({e["id"] for e in before})
    assert all(e["created_at"] >= created.isoformat().replace("+00:00", "Z") for e in after)
    assert _events(auditor_client, created_after=timezone.now().isoformat()) == []


def test_the_trail_cursor_walks_every_event_once(auditor_client, report, workspace):
    seen, url = [], "/api/v1/trail/?page_size=2"
    while url:
        body = auditor_client.get(url).json()
        seen += [e["id"] for e in body["results"]]
        url = body["next"]

    assert seen == list(AuditEvent.objects.filter(workspace=workspace).order_by("-id").values_list("id", flat=True))


def test_trail_filter_values_are_checked(auditor_client, workspace, anonymous_client):
    response = auditor_client.get("/api/v1/trail/", {"action": "report.deleted"})

    assert response.status_code == 400 and error_attr(response) == "action"
    assert anonymous_client.get("/api/v1/trail/").status_code == 401
