"""The report page's regulators' downloads in Chromium: the evidence pack once approved, the LL144 summary page.

Screenshots: var/screenshots/report-downloads-{submitted,approved}.png and ll144-summary.png; axe-core checks the
LL144 page (serious or critical violations fail)."""

import io
import zipfile

import pytest

from audits.services.report_exports import report_export
from audits.services.reviews import review_decide, review_start, review_submit
from tests.frontend.helpers import log_in
from tests.frontend.report_helpers import decisions_report
from tests.frontend.test_report_page_browser import SCREENSHOTS, _axe_problems

pytestmark = pytest.mark.browser


def test_the_evidence_pack_is_offered_once_approved_and_the_ll144_page_reads_well(
    live_server, auditor, reviewer, workspace, browser_page
):
    report = decisions_report(auditor, workspace)
    review = review_submit(user=auditor, report=report)
    page, base = browser_page, live_server.url
    page.set_viewport_size({"width": 1280, "height": 900})
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    log_in(page, base, "alice-auditor", "pw-alice")

    page.goto(f"{base}/reports/{report.pk}/")
    downloads = page.locator("#downloads")
    assert "EU AI Act evidence pack (signed ZIP): available once the report is approved" in downloads.inner_text()
    assert downloads.locator("a:has-text('EU AI Act evidence pack')").count() == 0
    downloads.screenshot(path=str(SCREENSHOTS / "report-downloads-submitted.png"))

    review_start(user=reviewer, review=review)
    review_decide(user=reviewer, review=review, decision="approve")
    page.reload()
    link = page.locator("#downloads a:has-text('EU AI Act evidence pack (signed ZIP)')")
    with page.expect_download() as download:
        link.click()
    data = open(download.value.path(), "rb").read()
    assert "MANIFEST.dsse.json" in zipfile.ZipFile(io.BytesIO(data)).namelist()
    page.locator("#downloads").screenshot(path=str(SCREENSHOTS / "report-downloads-approved.png"))

    html = report_export(actor=auditor, report=report, fmt="ll144_html", via="web").content.decode()
    page.set_content(html)
    text = page.inner_text("body")
    assert "Selection rates: Sex categories (sex)" in text and "Other categories (age_band)" in text
    page.screenshot(path=str(SCREENSHOTS / "ll144-summary.png"), full_page=True)
    assert _axe_problems(page) == []
