"""Compare, Trail and workspace settings in Chromium: screenshots into var/screenshots/ and the axe-core check."""

import pytest

from audits.choices import Role
from audits.services.workspaces import membership_set, user_get_or_create
from tests.audits.factories import AuditPlanFactory, AuditReportFactory
from tests.frontend.helpers import log_in
from tests.frontend.test_workflow_browser import Pages

pytestmark = pytest.mark.browser


def test_an_admin_compares_two_reports_filters_the_trail_and_manages_members(
    live_server, auditor, workspace, browser_page
):
    admin = user_get_or_create(username="ada-admin", password="pw-ada")
    membership_set(workspace=workspace, user=admin, role=Role.ADMIN, actor=auditor)
    user_get_or_create(username="nina-new", password="pw-nina")
    # Per comparison: on these 600 rows the planted disparate impact fails on its own interval (the family-wise
    # default calls it inconclusive), so the wide band shows a fail turning pass.
    plan = AuditPlanFactory(
        user=auditor,
        workspace=workspace,
        name="Credit decisions: four-fifths band",
        verdict_error_control="per_comparison",
    )
    strict = AuditReportFactory(user=auditor, run__plan=plan)
    lenient_plan = AuditPlanFactory(
        user=auditor,
        workspace=workspace,
        dataset=plan.dataset,
        name="Credit decisions: wide band",
        bands={"disparate_impact": [0.5, 2.0]},
        verdict_error_control="per_comparison",
    )
    lenient = AuditReportFactory(user=auditor, run__plan=lenient_plan)
    page, base = browser_page, live_server.url
    pages = Pages(page)
    log_in(page, base, "ada-admin", "pw-ada")
    page.wait_for_selector("h1:has-text('Dashboard')")

    page.goto(f"{base}/reports/{lenient.pk}/")
    page.click("a:has-text('Compare')")
    page.wait_for_selector("h1:has-text('Compare reports')")
    pages.check("20-compare-choose")
    page.select_option("#id_a", str(strict.pk))
    page.click("button:has-text('Compare')")
    page.wait_for_selector("h2:has-text('Verdict changes')")
    changes = page.inner_text("section[aria-labelledby=changes-head]")
    assert "✕ fail" in changes and "✓ pass" in changes and "Disparate impact ratio" in changes
    pages.check("21-compare-result")

    page.click("nav >> text=Trail")
    page.wait_for_selector("h1:has-text('Trail')")
    pages.check("22-trail")
    page.select_option("#id_action", "report.created")
    page.wait_for_selector("#events-head:has-text('2 events matching the filters')")
    assert "action=report.created" in page.url  # htmx pushed the filtered address
    assert page.inner_text("#trail-results tbody").count("Report created") == 2
    pages.check("23-trail-filtered")

    page.click("nav >> text=Dashboard")
    page.click("a:has-text('Settings')")
    page.wait_for_selector("h1:has-text('Credit risk: settings')")
    page.fill("#id_username", "nobody")
    page.click("button:has-text('Add member')")
    page.wait_for_selector("text=No user is named 'nobody'")
    pages.check("24-settings-error")
    page.fill("#id_username", "nina-new")
    page.click("button:has-text('Add member')")
    page.wait_for_selector("text=nina-new joined as Viewer")
    pages.check("25-settings")

    # Removing a member asks first (a static script: the CSP allows no inline handler); "Cancel" keeps them.
    page.once("dialog", lambda dialog: dialog.dismiss())
    page.click("button[aria-label='Remove nina-new']")
    assert page.locator("button[aria-label='Remove nina-new']").count() == 1
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("button[aria-label='Remove nina-new']")
    page.wait_for_selector("button[aria-label='Remove nina-new']", state="detached")

    page.click("text=API tokens")
    page.fill("#id_name", "GRC nightly pull")
    page.click("button:has-text('Create token')")
    page.wait_for_selector("h2:has-text('Your new token (read only)')")
    page.wait_for_selector("td:has-text('GRC nightly pull')")
    pages.check("26-api-token-created")

    assert pages.problems == {}
