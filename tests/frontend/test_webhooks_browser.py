"""The Webhooks page in Chromium as an admin: add a receiver, send a test, watch the log update by itself (htmx)
as the message is delivered, then a failing receiver's attempts and error. Screenshots: var/screenshots/3*-*.png;
every page passes axe-core."""

import pytest

from audits.choices import Role
from audits.models import WebhookDelivery, WebhookEndpoint
from audits.services import webhooks
from audits.services.webhook_delivery import webhook_delivery_attempt
from audits.services.workspaces import membership_set, user_get_or_create
from tests.frontend.helpers import log_in
from tests.frontend.test_workflow_browser import Pages

pytestmark = pytest.mark.browser


def test_an_admin_adds_a_webhook_sends_a_test_and_watches_the_delivery_log(
    live_server, auditor, workspace, browser_page, webhook_receiver, monkeypatch
):
    queued: list[int] = []
    monkeypatch.setattr(webhooks, "webhook_enqueue", queued.append)  # no worker here: the test makes the attempts
    admin = user_get_or_create(username="ada-admin", password="pw-ada")
    membership_set(workspace=workspace, user=admin, role=Role.ADMIN, actor=auditor)
    good, broken = webhook_receiver(), webhook_receiver(status=500)
    page, base = browser_page, live_server.url
    page.set_viewport_size({"width": 1280, "height": 900})
    pages = Pages(page)
    log_in(page, base, "ada-admin", "pw-ada")
    page.wait_for_selector("h1:has-text('Dashboard')")

    page.click("a:has-text('Settings')")
    page.click("a:has-text('Manage webhooks')")
    page.wait_for_selector("h1:has-text('Credit risk: webhooks')")
    pages.check("30-webhooks-empty")
    page.fill("#id_url", "https://me:secret@hooks.example.org/")
    page.click("button:has-text('Add webhook')")
    page.wait_for_selector("text=must not contain a user name or password")
    pages.check("31-webhooks-error")
    page.fill("#id_url", good.url)
    page.fill("#id_description", "Governance tool (GRC)")
    page.check("input[value='review.decided']")
    page.click("button:has-text('Add webhook')")
    page.wait_for_selector("text=Webhook added.")
    endpoint = WebhookEndpoint.objects.get()
    assert page.input_value("#webhook-secret") == endpoint.secret
    assert endpoint.events == ["run.succeeded", "review.decided"]

    page.click("button:has-text('Send test')")
    page.wait_for_selector("#delivery-log >> text=Pending")
    pages.check("32-webhook-test-pending")
    (delivery_id,) = queued
    webhook_delivery_attempt(delivery_id=delivery_id)  # what the io worker does
    page.wait_for_selector("#delivery-log >> text=Delivered")  # the log refreshed itself
    assert len(good.requests) == 1
    pages.check("33-webhook-delivered")

    page.fill("#id_url", broken.url)
    page.click("button:has-text('Save webhook')")
    page.wait_for_selector("text=Webhook saved.")
    page.click("button:has-text('Send test')")
    delivery = WebhookDelivery.objects.get(pk=queued[-1])
    for _ in range(3):
        webhook_delivery_attempt(delivery_id=delivery.pk)
    page.wait_for_selector("#delivery-log >> text=Failed")
    log = page.inner_text("#delivery-log")
    assert "HTTP 500 Internal Server Error: receiver is broken" in log
    pages.check("34-webhook-failed")

    page.click("a:has-text('Webhooks')")
    page.wait_for_selector("h1:has-text('Credit risk: webhooks')")
    assert "Failed" in page.inner_text("table")
    pages.check("35-webhooks-list")

    assert pages.problems == {}
