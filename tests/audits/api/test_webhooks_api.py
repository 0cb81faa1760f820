"""/api/v1/webhooks/: admins add, change, delete and test receivers and read the delivery log; everybody else
sees nothing (anonymous 401/403, outsiders and non-admin members 404, writes by non-admins 403)."""

import pytest
from rest_framework.test import APIClient

from audits.choices import Role
from audits.models import AuditEvent, WebhookDelivery, WebhookEndpoint
from audits.services.webhooks import webhook_endpoint_create
from audits.services.workspaces import membership_set, user_get_or_create

HOOK = "https://hooks.example.org/audits"


@pytest.fixture
def admin(workspace, auditor):
    user = user_get_or_create(username="ada-admin", password="pw-ada")
    membership_set(workspace=workspace, user=user, role=Role.ADMIN, actor=auditor)
    return user


@pytest.fixture
def admin_client(admin):
    client = APIClient()
    client.force_authenticate(admin)
    return client


@pytest.fixture
def endpoint(admin, workspace):
    return webhook_endpoint_create(actor=admin, workspace=workspace, url=HOOK, events=["run.succeeded"])


def test_an_admin_adds_a_webhook_and_gets_its_generated_secret(admin_client):
    response = admin_client.post(
        "/api/v1/webhooks/",
        {"workspace": "credit-risk", "url": HOOK, "events": ["run.succeeded", "review.decided"]},
        format="json",
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["workspace"] == "credit-risk" and body["url"] == HOOK and body["enabled"] is True
    assert body["events"] == ["run.succeeded", "review.decided"] and body["created_by"] == "ada-admin"
    assert body["secret"].startswith("whsec_") and body["secret"] == WebhookEndpoint.objects.get().secret
    assert AuditEvent.objects.filter(action="webhook.created", object_id=str(body["id"])).exists()


def test_bad_input_is_a_400_with_the_reason(admin_client):
    def post(**fields):
        data = {"workspace": "credit-risk", "url": HOOK, "events": ["run.succeeded"], **fields}
        return admin_client.post("/api/v1/webhooks/", data, format="json")

    credentials = post(url="https://me:pw@hooks.example.org/x")
    fragment = post(url="https://hooks.example.org/x#y")
    scheme = post(url="file:///etc/passwd")
    events = post(events=["run.exploded"])
    secret = post(secret="whsec_c2hvcnQ=")  # base64 of 5 bytes

    assert credentials.status_code == 400 and "user name or password" in str(credentials.json())
    assert fragment.status_code == 400 and "fragment" in str(fragment.json())
    assert scheme.status_code == 400 and "http:// or https://" in str(scheme.json())
    assert events.status_code == 400 and "run.exploded" in str(events.json())
    assert secret.status_code == 400 and "bytes" in str(secret.json())
    assert not WebhookEndpoint.objects.exists()


def test_non_admin_members_cannot_add_webhooks(auditor_client, reviewer_client):
    data = {"workspace": "credit-risk", "url": HOOK, "events": ["run.succeeded"]}
    for client in (auditor_client, reviewer_client):
        response = client.post("/api/v1/webhooks/", data, format="json")
        assert response.status_code == 403 and "needs one of: admin" in str(response.json())
    assert not WebhookEndpoint.objects.exists()


def test_webhooks_are_invisible_to_everybody_but_the_workspace_admins(
    endpoint, auditor_client, outsider_client, anonymous_client, admin_client
):
    assert admin_client.get("/api/v1/webhooks/").json()["count"] == 1
    for client in (auditor_client, outsider_client):
        assert client.get("/api/v1/webhooks/").json()["count"] == 0
        assert client.get(f"/api/v1/webhooks/{endpoint.pk}/").status_code == 404
        assert client.get(f"/api/v1/webhooks/{endpoint.pk}/deliveries/").status_code == 404
        assert client.post(f"/api/v1/webhooks/{endpoint.pk}/test/").status_code == 404
        assert client.patch(f"/api/v1/webhooks/{endpoint.pk}/", {"enabled": False}, format="json").status_code == 404
        assert client.delete(f"/api/v1/webhooks/{endpoint.pk}/").status_code == 404
    assert anonymous_client.get("/api/v1/webhooks/").status_code in (401, 403)
    assert anonymous_client.post(f"/api/v1/webhooks/{endpoint.pk}/test/").status_code in (401, 403)
    assert WebhookEndpoint.objects.get().enabled and not WebhookDelivery.objects.exists()


def test_an_outsider_cannot_add_a_webhook_to_a_foreign_workspace(outsider_client):
    response = outsider_client.post(
        "/api/v1/webhooks/", {"workspace": "credit-risk", "url": HOOK, "events": ["run.failed"]}, format="json"
    )
    assert response.status_code == 400 and "not found in your workspaces" in str(response.json())


def test_patch_changes_only_what_is_sent_and_can_rotate_the_secret(admin_client, endpoint):
    old_secret = endpoint.secret

    response = admin_client.patch(
        f"/api/v1/webhooks/{endpoint.pk}/", {"enabled": False, "rotate_secret": True}, format="json"
    )

    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["enabled"] is False and body["url"] == HOOK and body["events"] == ["run.succeeded"]
    assert body["secret"] != old_secret and body["secret"].startswith("whsec_")
    bad = admin_client.patch(f"/api/v1/webhooks/{endpoint.pk}/", {"url": "gopher://x"}, format="json")
    assert bad.status_code == 400 and "http:// or https://" in str(bad.json())
    assert admin_client.put(f"/api/v1/webhooks/{endpoint.pk}/", {}, format="json").status_code == 405


def test_delete_answers_204_and_is_in_the_trail(admin_client, endpoint):
    response = admin_client.delete(f"/api/v1/webhooks/{endpoint.pk}/")
    assert response.status_code == 204
    assert not WebhookEndpoint.objects.exists()
    assert AuditEvent.objects.filter(action="webhook.deleted", object_id=str(endpoint.pk)).exists()


def test_send_test_answers_202_with_the_pending_delivery_listed_in_the_log(admin_client, endpoint):
    response = admin_client.post(f"/api/v1/webhooks/{endpoint.pk}/test/")

    assert response.status_code == 202
    delivery = response.json()
    assert delivery["event_type"] == "webhook.test" and delivery["status"] == "pending"
    assert delivery["message_id"].startswith("msg_") and delivery["attempts"] == 0
    log = admin_client.get(f"/api/v1/webhooks/{endpoint.pk}/deliveries/").json()
    assert log["count"] == 1 and log["results"][0]["id"] == delivery["id"]
    assert set(log["results"][0]) >= {"status", "attempts", "response_code", "latency_ms", "last_error"}


def test_the_schema_documents_the_webhook_endpoints(admin_client):
    schema = admin_client.get("/api/schema/", {"format": "json"}, HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert schema.status_code == 200
    text = schema.content.decode()
    for path in ("/api/v1/webhooks/", "/api/v1/webhooks/{id}/deliveries/", "/api/v1/webhooks/{id}/test/"):
        assert path in text
    assert "WebhookEndpointCreateInput" in text and "rotate_secret" in text
