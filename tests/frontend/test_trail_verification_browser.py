"""The Trail page's chain check in Chromium, for staff: intact (with its signed checkpoint), then a review status
changed behind the services' back, named with its report. Screenshots: var/screenshots/trail-verify-*.png."""

import pytest
from django.db import connection

from audits.services.reviews import review_start, review_submit
from tests.audits.factories import AuditReportFactory
from tests.frontend.helpers import log_in
from tests.frontend.test_workflow_browser import Pages

pytestmark = pytest.mark.browser


def test_staff_read_the_chain_check_and_the_first_inconsistency(
    live_server, auditor, reviewer, workspace, browser_page
):
    auditor.is_staff = True
    auditor.save(update_fields=["is_staff"])
    report = AuditReportFactory(user=auditor, workspace=workspace)
    review = review_start(user=reviewer, review=review_submit(user=auditor, report=report))
    page, base = browser_page, live_server.url
    pages = Pages(page)
    log_in(page, base, "alice-auditor", "pw-alice")

    page.goto(f"{base}/trail/")
    page.wait_for_selector("#trail-verification:has-text('The chain holds')")
    assert "It reaches the latest signed checkpoint" in page.inner_text("#trail-verification")
    pages.check("trail-verify-intact")

    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")
        cursor.execute("UPDATE audits_reportreview SET status = 'approved' WHERE id = %s", [review.pk])
        cursor.execute("SET session_replication_role = origin")
    page.goto(f"{base}/trail/")
    page.wait_for_selector("#trail-verification:has-text('broken')")
    text = page.inner_text("#trail-verification")
    assert f"Review {review.pk} (report {report.pk}): its status is 'approved' but its entries say 'in_review'" in text
    pages.check("trail-verify-broken")

    assert pages.problems == {}
