"""The Webhooks pages of a workspace's settings: admins list, add, edit, test and delete receivers and read the
delivery log (an htmx fragment that polls while a message is pending); every other role is refused."""

import pytest
from django.test import Client

from audits.choices import Role
from audits.models import AuditEvent, WebhookDelivery, WebhookEndpoint
from audits.services import webhooks
from audits.services.webhook_delivery import webhook_delivery_attempt
from audits.services.webhooks import webhook_endpoint_create
from audits.services.workspaces import membership_set, user_get_or_create

HOOK = "https://hooks.example.org/audits"
BASE = "/workspaces/credit-risk/settings/webhooks/"


@pytest.fixture
def admin(workspace, auditor):
    user = user_get_or_create(username="ada-admin", password="pw-ada")
    membership_set(workspace=workspace, user=user, role=Role.ADMIN, actor=auditor)
    return user


@pytest.fixture
def admin_page(admin):
    client = Client()
    client.force_login(admin)
    return client


@pytest.fixture
def endpoint(admin, workspace):
    return webhook_endpoint_create(actor=admin, workspace=workspace, url=HOOK, events=["run.succeeded"])


@pytest.fixture
def queued(monkeypatch):
    """The deliveries enqueued on commit (no worker here)."""
    ids: list[int] = []
    monkeypatch.setattr(webhooks, "webhook_enqueue", ids.append)
    return ids


def test_the_settings_page_links_to_the_webhooks(admin_page, endpoint):
    text = admin_page.get("/workspaces/credit-risk/settings/").content.decode()
    assert f'href="{BASE}"' in text and "Manage webhooks</a> (1 receiver)" in text


def test_an_admin_adds_a_webhook_and_sees_its_secret(admin_page):
    response = admin_page.post(
        f"{BASE}add/", {"url": HOOK, "events": ["run.succeeded", "run.failed"], "enabled": "on", "secret": ""}
    )

    endpoint = WebhookEndpoint.objects.get()
    assert response.status_code == 302 and response.url == f"{BASE}{endpoint.pk}/"
    assert endpoint.events == ["run.succeeded", "run.failed"] and endpoint.enabled
    page = admin_page.get(response.url)
    text = page.content.decode()
    assert endpoint.secret in text and "Webhook added." in text and page["Cache-Control"] == "no-store"
    assert AuditEvent.objects.filter(action="webhook.created").count() == 1


def test_a_bad_url_is_shown_next_to_the_field_and_nothing_is_stored(admin_page):
    response = admin_page.post(f"{BASE}add/", {"url": "https://me:pw@hooks.example.org/", "events": ["run.failed"]})

    assert response.status_code == 400
    assert "must not contain a user name or password" in response.content.decode()
    assert not WebhookEndpoint.objects.exists()


def test_an_admin_edits_disables_and_rotates_the_secret(admin_page, endpoint):
    old_secret = endpoint.secret
    response = admin_page.post(
        f"{BASE}{endpoint.pk}/",
        {"url": HOOK + "/v2", "events": ["review.decided"], "description": "GRC tool", "rotate_secret": "on"},
    )

    assert response.status_code == 302
    endpoint.refresh_from_db()
    assert endpoint.url == HOOK + "/v2" and endpoint.events == ["review.decided"] and not endpoint.enabled
    assert endpoint.secret != old_secret and endpoint.description == "GRC tool"
    assert "It has a new signing secret" in admin_page.get(response.url).content.decode()


def test_send_test_queues_a_message_and_the_log_polls_until_it_is_delivered(
    admin_page, endpoint, queued, webhook_receiver, django_capture_on_commit_callbacks
):
    receiver = webhook_receiver()
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(url=receiver.url)

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_page.post(f"{BASE}{endpoint.pk}/test/", follow=True)

    delivery = WebhookDelivery.objects.get()
    assert queued == [delivery.pk]
    text = response.content.decode()
    assert f"Test message {delivery.message_id} queued" in text
    assert 'hx-trigger="every 2s"' in text and "Pending" in text
    webhook_delivery_attempt(delivery_id=delivery.pk)
    fragment = admin_page.get(f"{BASE}{endpoint.pk}/deliveries/").content.decode()
    assert "Delivered" in fragment and "hx-trigger" not in fragment  # nothing pending: polling stops
    assert ">200<" in fragment and " ms<" in fragment


def test_the_log_shows_attempts_and_the_last_error_of_a_failing_receiver(
    admin_page, endpoint, queued, webhook_receiver
):
    receiver = webhook_receiver(status=500)
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(url=receiver.url)
    admin_page.post(f"{BASE}{endpoint.pk}/test/")
    delivery = WebhookDelivery.objects.get()
    for _ in range(3):
        webhook_delivery_attempt(delivery_id=delivery.pk)

    fragment = admin_page.get(f"{BASE}{endpoint.pk}/deliveries/").content.decode()

    assert "Failed" in fragment and '<td class="num">3</td>' in fragment
    assert "HTTP 500 Internal Server Error: receiver is broken" in fragment


def test_an_admin_deletes_a_webhook(admin_page, endpoint):
    response = admin_page.post(f"{BASE}{endpoint.pk}/delete/", follow=True)
    assert response.status_code == 200 and "was deleted, with its delivery log" in response.content.decode()
    assert not WebhookEndpoint.objects.exists()


def test_other_roles_are_refused_and_change_nothing(auditor_page, reviewer_page, viewer_page, endpoint, queued):
    for page in (auditor_page, reviewer_page, viewer_page):
        assert page.get(BASE).status_code == 403
        assert page.get(f"{BASE}{endpoint.pk}/").status_code == 403
        assert page.get(f"{BASE}{endpoint.pk}/deliveries/").status_code == 403
        assert page.post(f"{BASE}{endpoint.pk}/test/").status_code == 403
        assert page.post(f"{BASE}{endpoint.pk}/delete/").status_code == 403
        assert page.post(f"{BASE}add/", {"url": HOOK, "events": ["run.failed"]}).status_code == 403
    assert endpoint.secret not in auditor_page.get(BASE).content.decode()
    assert WebhookEndpoint.objects.count() == 1 and not WebhookDelivery.objects.exists() and queued == []


def test_an_unknown_webhook_is_404(admin_page):
    assert admin_page.get(f"{BASE}999999/").status_code == 404
