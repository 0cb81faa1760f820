"""Schedules in Chromium: from a run's page, "Schedule this plan" opens the form with the plan chosen; a bad cron
rule is shown beside its field; the saved schedule reads as words with its next run in its time zone; pausing it
says so. Every step passes axe-core. Screenshots: var/screenshots/schedule-*.png."""

import pytest

from audits.models import AuditSchedule
from tests.audits.factories import AuditRunFactory
from tests.frontend.helpers import log_in
from tests.frontend.test_workflow_browser import Pages

pytestmark = pytest.mark.browser


def test_an_auditor_schedules_a_plan_from_its_run_and_pauses_it(live_server, auditor, workspace, browser_page):
    run = AuditRunFactory(user=auditor, workspace=workspace, plan__name="Credit approvals")
    page, base = browser_page, live_server.url
    page.set_viewport_size({"width": 1280, "height": 900})
    pages = Pages(page)
    log_in(page, base, "alice-auditor", "pw-alice")
    page.wait_for_selector("h1:has-text('Dashboard')")

    page.goto(f"{base}/runs/{run.pk}/")
    page.click("text=Schedule this plan")
    page.wait_for_selector("h1:has-text('New schedule')")
    assert page.input_value("#id_plan") == str(run.plan.pk)
    page.check("text=A cron rule")
    page.fill("#id_cron", "0 6 * * 8")
    page.fill("#id_timezone", "Europe/Berlin")
    page.click("button:has-text('Create schedule')")
    page.wait_for_selector("#id_cron_error")
    assert "is not a cron expression" in page.inner_text("#id_cron_error")
    pages.check("schedule-form-error")

    page.fill("#id_cron", "0 6 * * 1-5")
    page.click("button:has-text('Create schedule')")
    page.wait_for_selector("h1:has-text('Schedules')")
    row = page.inner_text("tbody tr")
    assert "At 06:00, Monday through Friday (Europe/Berlin)" in row and "06:00 Europe/Berlin" in row
    assert "Credit approvals" in row and "active" in row
    pages.check("schedule-list")

    page.click("button:has-text('Pause')")
    page.wait_for_selector("text=paused")
    assert "none while paused" in page.inner_text("tbody tr")
    assert not AuditSchedule.objects.get().enabled
    pages.check("schedule-list-paused")
    assert pages.problems == {}
