"""Every error has one shape, {type, errors: [{code, detail, attr}]}, and keeps the service's message and field:
400 (with attr), 403 (a viewer writing), 404 (a foreign object, and a service's NotFoundError with its field),
a parse error, a wrong method."""

from audits.choices import Role
from audits.services.workspaces import membership_set
from tests.audits.factories import AuditPlanFactory, UserFactory


def _error(response) -> tuple[str, str, str, str | None]:
    body = response.json()
    assert set(body) == {"type", "errors"} and len(body["errors"]) >= 1
    error = body["errors"][0]
    assert set(error) == {"code", "detail", "attr"}
    return body["type"], error["code"], error["detail"], error["attr"]


def test_a_service_error_keeps_its_message_and_field(auditor_client, workspace):
    response = auditor_client.post("/api/v1/plans/", {"model": 999999}, format="json")

    assert response.status_code == 400
    assert _error(response) == ("validation_error", "invalid", "Model 999999 not found in your workspaces.", "model")


def test_a_viewer_writing_gets_the_services_403_message(workspace, auditor):
    from rest_framework.test import APIClient

    viewer = UserFactory(username="vera-viewer")
    membership_set(workspace=workspace, user=viewer, role=Role.VIEWER, actor=auditor)
    plan = AuditPlanFactory(user=auditor, workspace=workspace)
    client = APIClient()
    client.force_authenticate(viewer)

    response = client.post(f"/api/v1/plans/{plan.pk}/run/")

    kind, code, detail, _ = _error(response)
    assert response.status_code == 403 and (kind, code) == ("client_error", "permission_denied")
    assert "viewer" in detail.lower()


def test_not_found_parse_error_and_wrong_method_share_the_shape(auditor_client, outsider_client, auditor, workspace):
    plan = AuditPlanFactory(user=auditor, workspace=workspace)

    foreign = outsider_client.get(f"/api/v1/plans/{plan.pk}/")
    assert foreign.status_code == 404 and _error(foreign)[:2] == ("client_error", "not_found")
    broken = auditor_client.post("/api/v1/plans/", "{not json", content_type="application/json")
    assert broken.status_code == 400 and _error(broken)[:2] == ("client_error", "parse_error")
    wrong = auditor_client.delete(f"/api/v1/plans/{plan.pk}/")
    assert wrong.status_code == 405 and _error(wrong)[:2] == ("client_error", "method_not_allowed")
