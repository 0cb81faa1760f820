"""Tokens over the API: a password login returns a token and its expiry once; a read-only integration token pulls
reports, exports, runs and the trail but gets 403 on starting an audit or reviewing; logout and revoke answer 401
afterwards; the token list never shows a key."""

import pytest
from knox.models import AuthToken
from rest_framework.test import APIClient

from audits.models import AuditEvent
from audits.services.reviews import review_submit
from tests.api_errors import error_attr, error_detail
from tests.audits.factories import AuditReportFactory

LOGIN = "/api/v1/auth/token/"


def _login(username: str, password: str, **extra):
    return APIClient().post(LOGIN, {"username": username, "password": password, **extra}, format="json")


def _with(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


@pytest.fixture
def report(auditor, workspace):
    return AuditReportFactory(user=auditor, workspace=workspace)


def test_a_password_login_returns_the_token_and_its_expiry_once(auditor, workspace, settings):
    response = _login("alice-auditor", "pw-alice")

    assert response.status_code == 200, response.json()
    body = response.json()
    assert set(body) == {"token", "id", "name", "scope", "created", "expiry"} and body["scope"] == "full"
    assert len(body["token"]) == 64 and body["id"] == body["token"][:15]
    assert _with(body["token"]).get("/api/v1/workspaces/").status_code == 200
    listed = _with(body["token"]).get("/api/v1/auth/tokens/").json()
    assert [t["id"] for t in listed] == [body["id"]] and body["token"] not in str(listed)
    assert AuditEvent.objects.get(action="token.created").after["via"] == "api"


def test_a_wrong_password_is_a_400_with_the_message_and_no_token(auditor):
    response = _login("alice-auditor", "wrong")

    assert response.status_code == 400 and response.json()["type"] == "validation_error"
    assert "Unable to log in" in error_detail(response) and error_attr(response) == "non_field_errors"
    assert not AuthToken.objects.exists()


def test_a_read_only_token_pulls_reports_exports_runs_and_the_trail(auditor, workspace, report):
    key = _login("alice-auditor", "pw-alice", scope="read", name="GRC").json()["token"]
    client = _with(key)

    listed = client.get("/api/v1/reports/")
    assert listed.status_code == 200 and [r["id"] for r in listed.json()["results"]] == [report.pk]
    assert client.get(f"/api/v1/reports/{report.pk}/").json()["sha256"] == report.sha256
    download = client.get(f"/api/v1/reports/{report.pk}/download/")
    assert download.status_code == 200 and download.content == report.canonical_json.encode()
    assert client.get(f"/api/v1/reports/{report.pk}/export/?format=csv").status_code == 200
    assert client.get(f"/api/v1/runs/{report.run_id}/").status_code == 200
    trail = client.get("/api/v1/trail/", {"object_type": "AuditReport", "object_id": report.pk})
    assert trail.status_code == 200 and "report.exported" in {e["action"] for e in trail.json()["results"]}


def test_a_read_only_token_cannot_start_an_audit_review_or_make_tokens(auditor, reviewer, workspace, report):
    review = review_submit(user=auditor, report=report)
    reader = _with(_login("alice-auditor", "pw-alice", scope="read").json()["token"])
    reviewer_reader = _with(_login("rita-reviewer", "pw-rita", scope="read").json()["token"])
    runs_before = report.run.plan.runs.count()

    refused = [
        reader.post(f"/api/v1/plans/{report.run.plan_id}/run/"),
        reader.post(f"/api/v1/reports/{report.pk}/submit/", {}, format="json"),
        reviewer_reader.post(f"/api/v1/reviews/{review.pk}/start/"),
        reviewer_reader.post(f"/api/v1/reviews/{review.pk}/decide/", {"decision": "approve"}, format="json"),
        reader.post("/api/v1/auth/tokens/", {"scope": "full"}, format="json"),
    ]

    assert [r.status_code for r in refused] == [403] * 5
    assert all("read-only" in error_detail(r) for r in refused)
    assert report.run.plan.runs.count() == runs_before
    review.refresh_from_db()
    assert review.status == "submitted"
    # The same user with a full token may.
    full = _with(_login("alice-auditor", "pw-alice").json()["token"])
    assert full.post(f"/api/v1/plans/{report.run.plan_id}/run/").status_code == 202


def test_logout_revokes_the_token_used_and_it_answers_401_afterwards(auditor, workspace):
    key = _login("alice-auditor", "pw-alice", scope="read").json()["token"]
    other = _login("alice-auditor", "pw-alice").json()["token"]

    assert _with(key).post("/api/v1/auth/logout/").status_code == 204  # a read-only token may revoke itself

    after = _with(key).get("/api/v1/reports/")
    assert after.status_code == 401 and after["WWW-Authenticate"] == "Token"
    assert _with(other).get("/api/v1/reports/").status_code == 200
    assert AuditEvent.objects.filter(action="token.revoked").count() == 1


def test_tokens_are_created_listed_and_revoked_one_by_one(auditor_client, auditor):
    created = auditor_client.post("/api/v1/auth/tokens/", {"name": "ci", "scope": "read", "expires_in_days": 3})
    assert created.status_code == 201
    body = created.json()

    listed = auditor_client.get("/api/v1/auth/tokens/").json()
    assert listed == [{k: body[k] for k in ("id", "name", "scope", "created", "expiry")}]
    assert auditor_client.post(f"/api/v1/auth/tokens/{body['id']}/revoke/").status_code == 204
    assert _with(body["token"]).get("/api/v1/reports/").status_code == 401
    missing = auditor_client.post(f"/api/v1/auth/tokens/{body['id']}/revoke/")
    assert missing.status_code == 404 and error_attr(missing) == "token"


def test_token_endpoints_refuse_anonymous_and_bad_input(anonymous_client, auditor_client):
    assert anonymous_client.get("/api/v1/auth/tokens/").status_code == 401
    assert anonymous_client.post("/api/v1/auth/logout/").status_code == 401
    bad = auditor_client.post("/api/v1/auth/tokens/", {"scope": "root", "expires_in_days": 100000}, format="json")
    assert bad.status_code == 400
    assert {e["attr"] for e in bad.json()["errors"]} == {"scope", "expires_in_days"}


def test_a_malformed_token_header_is_a_401_never_a_500(auditor):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token \xff\xfe")

    assert client.get("/api/v1/reports/").status_code == 401
