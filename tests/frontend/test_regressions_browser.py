"""The report of a re-run in Chromium after its plan's first report was approved and one group's decisions
dropped: the summary says how many regressions, the section lists them, axe-core finds no serious problem.

Screenshots: var/screenshots/report-regressions.png (full page) and report-regressions-section.png."""

import pytest

from tests.audits.factories import AuditPlanFactory, AuditReportFactory, DatasetFactory
from tests.audits.services.test_regressions import approve, regression_frame, replace_stored_rows
from tests.frontend.helpers import log_in
from tests.frontend.test_report_page_browser import SCREENSHOTS, _axe_problems

pytestmark = pytest.mark.browser


def test_a_rerun_report_shows_its_regressions_first(live_server, auditor, reviewer, workspace, browser_page):
    dataset = DatasetFactory(user=auditor, workspace=workspace, frame=regression_frame())
    # per_comparison, as in tests/audits/services/test_regressions.py: the planted drop's figures are per comparison.
    plan = AuditPlanFactory(
        user=auditor, workspace=workspace, dataset=dataset, name="Credit decisions by age band",
        verdict_error_control="per_comparison",
    )  # fmt: skip
    baseline = AuditReportFactory(user=auditor, run__plan=plan)
    approve(baseline, auditor, reviewer)
    replace_stored_rows(plan, regression_frame(drop=">60"))
    report = AuditReportFactory(user=auditor, run__plan=plan)
    page, base = browser_page, live_server.url
    page.set_viewport_size({"width": 1280, "height": 900})
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    log_in(page, base, "alice-auditor", "pw-alice")
    page.goto(f"{base}/reports/{report.pk}/")
    page.wait_for_selector("#regressions")

    summary = page.inner_text(".reading")
    assert f"10 regressions since approved report #{baseline.pk}: 5 verdict changes, 5 metric moves." in summary
    section = page.inner_text("#regressions")
    assert "age_band: disparate impact ratio of >60 against 25-40 moved from 1.000" in section
    assert page.locator("#regressions tr.regression").count() == 10
    assert page.get_attribute(f"#regressions a:has-text('Open approved report #{baseline.pk}')", "href") == (
        f"/reports/{baseline.pk}/"
    )
    page.click(".reading a[href='#regressions']")
    page.locator("#regressions").screenshot(path=str(SCREENSHOTS / "report-regressions-section.png"))
    page.screenshot(path=str(SCREENSHOTS / "report-regressions.png"), full_page=True)
    assert _axe_problems(page) == []
