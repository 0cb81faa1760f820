"""One delivery attempt against a real HTTP receiver on 127.0.0.1: signed so that the standardwebhooks library
verifies it, logged (attempts, response code, latency, last error), retried with exponential backoff, bounded in
attempts and time."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone
from standardwebhooks import Webhook, WebhookVerificationError

from audits.choices import DeliveryStatus, Role
from audits.services.webhook_delivery import webhook_body, webhook_delivery_attempt, webhook_retry_delay
from audits.services.webhooks import webhook_endpoint_create, webhook_endpoint_delete, webhook_endpoint_test
from audits.services.workspaces import membership_set, user_get_or_create


@pytest.fixture
def admin(workspace, auditor):
    user = user_get_or_create(username="ada-admin", password="pw-ada")
    membership_set(workspace=workspace, user=user, role=Role.ADMIN, actor=auditor)
    return user


@pytest.fixture
def test_delivery(admin, workspace):
    """A pending webhook.test delivery to a receiver URL."""

    def make(url):
        endpoint = webhook_endpoint_create(actor=admin, workspace=workspace, url=url, events=["run.succeeded"])
        return webhook_endpoint_test(actor=admin, endpoint=endpoint)

    return make


def test_a_delivered_message_verifies_with_the_standardwebhooks_library(test_delivery, webhook_receiver):
    receiver = webhook_receiver()
    delivery = test_delivery(receiver.url)

    result = webhook_delivery_attempt(delivery_id=delivery.pk)

    (request,) = receiver.wait_for(1)
    payload = Webhook(delivery.endpoint.secret).verify(request.body, request.headers)
    assert payload == delivery.payload and payload["type"] == "webhook.test"
    assert request.headers["webhook-id"] == delivery.message_id
    assert request.headers["webhook-signature"].startswith("v1,")
    assert request.headers["Content-Type"] == "application/json" and request.path == "/hooks/audit"
    # Another secret does not verify, nor does a changed body.
    with pytest.raises(WebhookVerificationError):
        Webhook("whsec_" + "A" * 43).verify(request.body, request.headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(delivery.endpoint.secret).verify(request.body.replace(b"test", b"TEST"), request.headers)
    delivery.refresh_from_db()
    assert result.status == delivery.status == DeliveryStatus.SUCCEEDED
    assert delivery.attempts == 1 and delivery.response_code == 200 and delivery.last_error == ""
    assert delivery.latency_ms is not None and delivery.next_attempt_at is None


def test_the_body_is_the_stored_payload_as_compact_sorted_json(test_delivery, webhook_receiver):
    receiver = webhook_receiver()
    delivery = test_delivery(receiver.url)
    webhook_delivery_attempt(delivery_id=delivery.pk)
    (request,) = receiver.wait_for(1)
    assert request.body == webhook_body(delivery.payload)
    assert json.loads(request.body) == delivery.payload and b": " not in request.body


def test_a_receiver_answering_500_is_retried_with_backoff_until_the_attempts_run_out(
    test_delivery, webhook_receiver, settings
):
    settings.AUDIT_WEBHOOK_MAX_ATTEMPTS, settings.AUDIT_WEBHOOK_RETRY_BASE_SECONDS = 3, 10
    receiver = webhook_receiver(status=500)
    delivery = test_delivery(receiver.url)

    before = timezone.now()
    first = webhook_delivery_attempt(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    assert first.status == delivery.status == DeliveryStatus.PENDING
    assert delivery.attempts == 1 and delivery.response_code == 500
    assert delivery.last_error == "HTTP 500 Internal Server Error: receiver is broken"
    # The next attempt waits base * 2**(attempt-1): 10 s after the first, 20 s after the second.
    assert before + timedelta(seconds=10) <= delivery.next_attempt_at <= timezone.now() + timedelta(seconds=10)

    second = webhook_delivery_attempt(delivery_id=delivery.pk)
    assert second.status == DeliveryStatus.PENDING
    assert second.next_attempt_at - second.last_attempt_at >= timedelta(seconds=20)
    third = webhook_delivery_attempt(delivery_id=delivery.pk)

    delivery.refresh_from_db()
    assert third.status == delivery.status == DeliveryStatus.FAILED
    assert delivery.attempts == 3 and delivery.next_attempt_at is None and "HTTP 500" in delivery.last_error
    requests = receiver.wait_for(3)
    assert {r.headers["webhook-id"] for r in requests} == {delivery.message_id}  # one message, three attempts
    # A finished delivery is never sent again (a redelivered task message finds it done).
    assert webhook_delivery_attempt(delivery_id=delivery.pk).attempts == 3
    assert len(receiver.requests) == 3


def test_the_retry_delay_doubles(settings):
    settings.AUDIT_WEBHOOK_RETRY_BASE_SECONDS = 30
    assert [webhook_retry_delay(k) for k in (1, 2, 3, 4)] == [30, 60, 120, 240]


def test_a_slow_receiver_times_out_and_the_attempt_is_logged(test_delivery, webhook_receiver, settings):
    settings.AUDIT_WEBHOOK_READ_TIMEOUT = 0.5
    receiver = webhook_receiver(delay=3)
    delivery = test_delivery(receiver.url)

    webhook_delivery_attempt(delivery_id=delivery.pk)

    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.PENDING and delivery.attempts == 1
    assert delivery.last_error == "Timed out waiting for the receiver." and delivery.response_code is None


def test_a_closed_port_is_a_connection_error(test_delivery, webhook_receiver):
    receiver = webhook_receiver()
    url = receiver.url
    receiver.stop()
    delivery = test_delivery(url)

    webhook_delivery_attempt(delivery_id=delivery.pk)

    delivery.refresh_from_db()
    assert delivery.last_error.startswith("Connection error:") and delivery.attempts == 1


def test_an_address_that_became_forbidden_is_refused_at_the_attempt(test_delivery, webhook_receiver, settings):
    receiver = webhook_receiver()
    delivery = test_delivery(receiver.url.replace("127.0.0.1", "localhost"))
    settings.AUDIT_WEBHOOK_ALLOW_PRIVATE_ADDRESSES = False

    webhook_delivery_attempt(delivery_id=delivery.pk)

    delivery.refresh_from_db()
    assert delivery.last_error.startswith("Refused: localhost resolves to a private")
    assert receiver.requests == []


def test_an_attempt_for_a_deleted_endpoint_does_nothing(test_delivery, webhook_receiver, admin):
    receiver = webhook_receiver()
    delivery = test_delivery(receiver.url)
    webhook_endpoint_delete(actor=admin, endpoint=delivery.endpoint)

    assert webhook_delivery_attempt(delivery_id=delivery.pk) is None
    assert receiver.requests == []


def test_the_sweeper_resends_only_deliveries_whose_message_was_lost(
    test_delivery, settings, monkeypatch, django_capture_on_commit_callbacks
):
    from audits.services import webhook_delivery
    from audits.services.webhook_delivery import webhook_deliveries_sweep

    settings.AUDIT_WEBHOOK_SWEEP_AFTER_SECONDS = 600
    enqueued: list[int] = []
    monkeypatch.setattr(webhook_delivery, "webhook_enqueue", enqueued.append)
    now = timezone.now()
    lost = test_delivery("https://hooks.example.org/a")  # due 20 minutes ago, never tried: its message was lost
    waiting = webhook_endpoint_test(actor=lost.endpoint.created_by, endpoint=lost.endpoint)  # due later: a backoff
    fresh = webhook_endpoint_test(actor=lost.endpoint.created_by, endpoint=lost.endpoint)  # just enqueued
    done = webhook_endpoint_test(actor=lost.endpoint.created_by, endpoint=lost.endpoint)
    type(lost).objects.filter(pk=lost.pk).update(next_attempt_at=now - timedelta(minutes=20))
    type(lost).objects.filter(pk=waiting.pk).update(next_attempt_at=now + timedelta(minutes=30))
    type(lost).objects.filter(pk=done.pk).update(status="succeeded", next_attempt_at=now - timedelta(hours=1))

    with django_capture_on_commit_callbacks(execute=True):
        swept = webhook_deliveries_sweep(now=now)

    assert swept == [lost.pk] and fresh.pk not in swept
    assert enqueued == [lost.pk]
    lost.refresh_from_db()
    assert lost.next_attempt_at == now  # due again now: the next sweep leaves it alone
    with django_capture_on_commit_callbacks(execute=True):
        assert webhook_deliveries_sweep(now=now + timedelta(minutes=1)) == []
