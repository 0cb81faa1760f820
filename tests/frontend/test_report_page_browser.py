"""The report page in Chromium: every report kind renders, and a reviewer starts and approves with a comment.

Screenshots go to var/screenshots/report-*.png (full pages) and review-panel-*.png (the panel in each state);
each page is checked with axe-core (no serious or critical violation).
"""

from pathlib import Path

import pytest

from audits.models import AuditEvent
from audits.services.reviews import review_submit
from tests.frontend.helpers import log_in
from tests.frontend.report_helpers import decisions_report, stored_report

pytestmark = pytest.mark.browser

SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"


def _axe_problems(page) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    assert results.response["testEngine"]["name"] == "axe-core"
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]


class Shots:
    def __init__(self, page):
        self.page, self.problems = page, {}
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def page_shot(self, name: str) -> None:
        self.page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
        found = _axe_problems(self.page)
        if found:
            self.problems[name] = found

    def panel_shot(self, name: str) -> None:
        self.page.locator("#review").screenshot(path=str(SCREENSHOTS / f"{name}.png"))


def test_every_report_kind_renders_and_a_reviewer_starts_and_approves_with_a_comment(
    live_server, auditor, reviewer, workspace, browser_page
):
    decisions = decisions_report(auditor, workspace)
    review_submit(user=auditor, report=decisions)
    others = {
        kind: stored_report(auditor, workspace, kind) for kind in ("language_model", "encoder", "text", "tabular")
    }
    page, base = browser_page, live_server.url
    page.set_viewport_size({"width": 1280, "height": 900})
    shots = Shots(page)

    log_in(page, base, "alice-auditor", "pw-alice")
    for kind, report in others.items():
        page.goto(f"{base}/reports/{report.pk}/")
        page.wait_for_selector("h2:has-text('Summary')")
        assert "[, ]" not in page.inner_text("main")
        shots.page_shot(f"report-{kind.replace('_', '-')}")
    assert "Submit for review" in page.inner_text("#review")
    shots.panel_shot("review-panel-not-submitted")

    page.context.clear_cookies()
    log_in(page, base, "rita-reviewer", "pw-rita")
    page.goto(f"{base}/reports/{decisions.pk}/")
    summary = page.inner_text(".reading")
    assert "sex: selection rate of female is" in summary and "band: fail" in summary
    shots.page_shot("report-dataset-decisions")
    shots.panel_shot("review-panel-submitted")

    page.click("#review button:has-text('Start review')")
    page.wait_for_selector("#review button:has-text('Approve')")  # the panel swapped in place, no reload
    assert "Review started" in page.inner_text("#review")
    shots.panel_shot("review-panel-in-review")
    shots.page_shot("report-in-review")

    page.fill("#decision-comment", "Checked the sex gap with the credit team; approved for the pilot only.")
    page.click("#review button:has-text('Approve')")
    page.wait_for_selector("#review .r-approved")
    panel = page.inner_text("#review")
    assert "approved for the pilot only" in panel and "recorded and signed" in panel
    assert page.locator("#review button").count() == 0  # a decision is final
    shots.panel_shot("review-panel-approved")
    shots.page_shot("report-approved")

    event = AuditEvent.objects.get(action="review.approve")
    assert event.actor_id == reviewer.pk
    assert shots.problems == {}
