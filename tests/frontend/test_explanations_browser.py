"""The explanation sections (issue 16) in Chromium: the report page with its attention heatmap, and the New audit
checkboxes. Screenshots: var/screenshots/report-explanations.png, new-audit-explanations.png; axe-core finds no
serious or critical violation."""

import pytest

from audits.services.reports import report_create
from tests.audits.exports.documents import load_report
from tests.audits.factories import AuditRunFactory, DatasetFactory
from tests.frontend.helpers import log_in
from tests.frontend.test_plan_builder import _skops
from tests.frontend.test_report_page_browser import SCREENSHOTS, _axe_problems

pytestmark = pytest.mark.browser


def test_the_report_shows_clusters_heatmap_and_quality_and_new_audit_offers_both_stages(
    live_server, auditor, workspace, browser_page
):
    document, _, _ = load_report("explanations_report.json")
    report = report_create(run=AuditRunFactory(user=auditor, workspace=workspace), document=document)
    model = _skops(auditor, workspace)
    dataset = DatasetFactory(user=auditor, workspace=workspace)
    page, base = browser_page, live_server.url
    page.set_viewport_size({"width": 1280, "height": 900})
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    log_in(page, base, "alice-auditor", "pw-alice")

    page.goto(f"{base}/reports/{report.pk}/")
    page.wait_for_selector("#global-explanations")
    section = page.inner_text("#global-explanations")
    assert "flagged" in section and "Attention is not an explanation by itself" in section
    assert page.locator("#global-explanations svg.heatmap rect").count() == 4  # 2 layers x 2 heads
    assert "integrated gradients" in page.inner_text("#explanation-quality")
    page.locator("a[href='#explanation-quality']").click()  # the table of contents reaches it
    page.locator("#global-explanations").screenshot(path=str(SCREENSHOTS / "report-explanations.png"))
    page.locator("#explanation-quality").screenshot(path=str(SCREENSHOTS / "report-explanation-quality.png"))
    problems = _axe_problems(page)

    page.goto(f"{base}/audits/new/?model={model.pk}&dataset={dataset.pk}")
    page.wait_for_selector("#id_global_explanations")
    page.locator("label[for='id_explanation_quality']").click()
    assert page.is_checked("#id_explanation_quality") and not page.is_checked("#id_global_explanations")
    page.screenshot(path=str(SCREENSHOTS / "new-audit-explanations.png"), full_page=True)
    problems += _axe_problems(page)
    assert problems == []
