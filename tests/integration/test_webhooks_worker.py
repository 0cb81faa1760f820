"""Webhooks end to end with a real Celery worker (queues default, gpu and io) and real receivers on 127.0.0.1:
a run's success reaches the receiver signed so that the standardwebhooks library verifies it; a receiver that
answers 500 is retried with growing delays until the attempts run out, and a slow one times out, while the
audits themselves succeed, finished before any delivery was tried."""

import time

import pytest
from standardwebhooks import Webhook

from audits.choices import DeliveryStatus, Role
from audits.models import AuditReport, AuditRun, WebhookDelivery
from audits.services.webhooks import webhook_endpoint_create
from audits.services.workspaces import membership_set, user_get_or_create
from tests.audits.factories import AuditPlanFactory

pytestmark = pytest.mark.integration


@pytest.fixture
def admin(workspace, auditor):
    user = user_get_or_create(username="ada-admin", password="pw-ada")
    membership_set(workspace=workspace, user=user, role=Role.ADMIN, actor=auditor)
    return user


def _wait_until(condition, what: str, timeout: float = 120):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.2)


def _run(client, plan) -> AuditRun:
    response = client.post(f"/api/v1/plans/{plan.pk}/run/")
    assert response.status_code == 202, response.json()
    return AuditRun.objects.get(pk=response.json()["id"])


def _finished(run: AuditRun) -> AuditRun:
    _wait_until(lambda: AuditRun.objects.get(pk=run.pk).status in ("succeeded", "failed"), f"run {run.pk}")
    return AuditRun.objects.get(pk=run.pk)


def _settled(endpoint) -> list[WebhookDelivery]:
    def done():
        deliveries = WebhookDelivery.objects.filter(endpoint=endpoint)
        return deliveries.exists() and not deliveries.filter(status=DeliveryStatus.PENDING).exists()

    _wait_until(done, f"the deliveries to {endpoint.url}")
    return list(WebhookDelivery.objects.filter(endpoint=endpoint).order_by("id"))


def test_a_succeeded_run_reaches_the_receiver_signed_and_the_test_action_too(
    celery_workers, webhook_receiver, admin, auditor, auditor_client, workspace
):
    celery_workers(1)
    receiver = webhook_receiver()
    endpoint = webhook_endpoint_create(actor=admin, workspace=workspace, url=receiver.url, events=["run.succeeded"])
    plan = AuditPlanFactory(user=auditor, workspace=workspace)

    run = _finished(_run(auditor_client, plan))

    assert run.status == "succeeded", run.error
    (request,) = receiver.wait_for(1)
    payload = Webhook(endpoint.secret).verify(request.body, request.headers)
    report = AuditReport.objects.get(run=run)
    assert payload["type"] == "run.succeeded"
    assert payload["data"]["run_id"] == run.pk and payload["data"]["report_id"] == report.pk
    assert payload["data"]["sha256"] == report.sha256
    assert payload["data"]["verdict_counts"] == report.document["summary"]["verdicts"]
    (delivery,) = _settled(endpoint)
    assert delivery.status == "succeeded" and delivery.attempts == 1 and delivery.response_code == 200
    assert request.headers["webhook-id"] == delivery.message_id

    admin_client = type(auditor_client)()
    admin_client.force_authenticate(admin)
    tested = admin_client.post(f"/api/v1/webhooks/{endpoint.pk}/test/")
    assert tested.status_code == 202
    requests = receiver.wait_for(2)
    assert Webhook(endpoint.secret).verify(requests[1].body, requests[1].headers)["type"] == "webhook.test"


def test_failing_and_slow_receivers_are_retried_with_backoff_and_audits_are_unaffected(
    celery_workers, webhook_receiver, admin, auditor, auditor_client, workspace, settings
):
    # The worker runs the test settings: 3 attempts, 0.2 s then 0.4 s between them, a 1 s read timeout.
    celery_workers(1)
    broken, slow = webhook_receiver(status=500), webhook_receiver(delay=3)
    failing = webhook_endpoint_create(actor=admin, workspace=workspace, url=broken.url, events=["run.succeeded"])
    slowest = webhook_endpoint_create(actor=admin, workspace=workspace, url=slow.url, events=["run.succeeded"])
    plan = AuditPlanFactory(user=auditor, workspace=workspace)

    first, second = _run(auditor_client, plan), _run(auditor_client, plan)
    first, second = _finished(first), _finished(second)

    assert first.status == second.status == "succeeded"
    assert AuditReport.objects.filter(run__in=[first, second]).count() == 2
    failed = _settled(failing)
    assert [d.status for d in failed] == ["failed", "failed"]
    assert all(d.attempts == settings.AUDIT_WEBHOOK_MAX_ATTEMPTS == 3 for d in failed)
    assert all(d.response_code == 500 and d.last_error.startswith("HTTP 500") for d in failed)
    timed_out = _settled(slowest)
    assert all(d.attempts == 3 and d.last_error == "Timed out waiting for the receiver." for d in timed_out)
    # Each message was tried three times under one webhook-id, each wait at least the backoff delay (0.2, 0.4 s).
    for delivery in failed:
        arrivals = [r.arrived for r in broken.requests if r.headers["webhook-id"] == delivery.message_id]
        assert len(arrivals) == 3
        assert arrivals[1] - arrivals[0] >= 0.2 and arrivals[2] - arrivals[1] >= 0.4
    # No delivery was tried before its run had finished: the receivers could not hold up the audits.
    for run in (first, second):
        ids = set(WebhookDelivery.objects.filter(payload__data__run_id=run.pk).values_list("message_id", flat=True))
        arrivals = [r.at for r in broken.requests + slow.requests if r.headers["webhook-id"] in ids]
        assert len(ids) == 2 and len(arrivals) == 6
        assert min(arrivals) > run.finished_at
