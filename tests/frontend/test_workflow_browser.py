"""The first workflow in Chromium: from an empty workspace to a finished run and its report, without curl.

Every page visited is screenshotted into var/screenshots/ and checked with axe-core (no serious or critical
violation). The run is queued by the page and executed here, in-process, so the run page's polling is seen.
"""

from pathlib import Path

import pytest

from audits.models import AuditRun, Dataset
from audits.services import audit_runs
from audits.services.audit_execution import audit_run_execute
from tests.factories import credit_frame
from tests.frontend.helpers import log_in

pytestmark = pytest.mark.browser

SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"


def _axe_problems(page) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    assert results.response["testEngine"]["name"] == "axe-core"  # the check ran in the page
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]


class Pages:
    """Screenshots and accessibility findings of each page, by name."""

    def __init__(self, page):
        self.page = page
        self.problems: dict[str, list[str]] = {}
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        # Anything our Content-Security-Policy blocks (an inline script or handler, a foreign source) is a defect.
        page.on("console", self._console)

    def _console(self, message) -> None:
        if "Content Security Policy" in message.text or "Content-Security-Policy" in message.text:
            self.problems.setdefault("content-security-policy", []).append(f"{self.page.url}: {message.text}")

    def check(self, name: str) -> None:
        self.page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
        found = _axe_problems(self.page)
        if found:
            self.problems[name] = found


def test_an_auditor_uploads_registers_builds_a_plan_and_sees_the_run_finish(
    live_server, auditor, workspace, browser_page, tmp_path, monkeypatch
):
    queued: list[int] = []
    monkeypatch.setattr(audit_runs, "_enqueue", queued.append)  # no worker here: the test runs the queued run
    csv = tmp_path / "credit.csv"
    credit_frame(n=600).to_csv(csv, index=False)
    page, base = browser_page, live_server.url
    pages = Pages(page)

    log_in(page, base, "alice-auditor", "pw-alice")
    page.wait_for_selector("h1:has-text('Dashboard')")
    pages.check("01-dashboard-empty")

    page.click("nav >> text=Datasets")
    page.click("text=Upload dataset")
    page.wait_for_load_state("load")  # htmx binds the file field's preview once the page has loaded
    page.set_input_files("#id_file", str(csv))
    page.wait_for_selector("#file-preview >> text=What the file holds")  # before anything is stored
    preview = page.inner_text("#file-preview")
    assert "600 rows" in preview and "female: " in preview and "male: " in preview
    assert not Dataset.objects.exists()
    pages.check("02a-dataset-upload-preview")
    page.fill("#id_name", "Credit decisions 2026")
    page.fill("#id_decision_column", "decison")  # a typo first: the error shows next to the field
    page.fill("#id_decision_favourable", "approve")
    page.fill("#id_outcome_column", "repaid")
    page.fill("#id_outcome_favourable", "1")
    page.fill("#id_protected", "sex, age_band")
    page.fill("#id_reference", "sex=male")
    page.click("button:has-text('Upload dataset')")
    error = page.inner_text("#id_decision_column_error")
    assert "Did you mean: decision" in error
    pages.check("02-dataset-upload-error")
    page.set_input_files("#id_file", str(csv))  # a browser never re-sends a file
    page.fill("#id_decision_column", "decision")
    page.click("button:has-text('Upload dataset')")
    page.wait_for_selector("h1:has-text('Dataset: Credit decisions 2026')")
    assert "female" in page.inner_text("main") and "reference: male" in page.inner_text("main")
    pages.check("03-dataset-detail")
    page.click("nav >> text=Datasets")
    pages.check("04-dataset-list")

    page.click("nav >> text=Models")
    assert "decision in Credit decisions 2026" in page.inner_text("table")  # registered by the upload
    pages.check("05-model-list")
    page.click("text=Register model")
    page.check("input[name=source][value=decisions]")
    page.select_option("#id_dataset", label="Credit decisions 2026 (600 rows, Credit risk)")
    page.fill("#id_decision_column", "decision")
    page.fill("#id_favourable", "approve")
    page.fill("#id_name", "Loan officer decisions")
    pages.check("06-model-register")
    page.click("button:has-text('Register model')")
    page.wait_for_selector("h1:has-text('Model: Loan officer decisions')")
    assert "Decisions already in the dataset" in page.inner_text("main")
    pages.check("07-model-detail")

    page.click("nav >> text=New audit")
    page.select_option("#id_model", label="Loan officer decisions (Decisions already in the dataset, Credit risk)")
    page.wait_for_selector("text=sex (groups: female, male)")  # HTMX swapped in the dataset's attributes
    page.check("label:has-text('sex (groups:') >> xpath=preceding-sibling::input")
    page.fill("#id_n_boot", "200")
    page.press("#id_n_boot", "Tab")  # commit the edit first: a blur inside the click moved the page under the mouse
    assert page.input_value("#id_min_group_size") == "30"
    pages.check("08-new-audit")
    page.click("button:has-text('Run now')")
    page.wait_for_selector("h1:has-text('Run #')")
    run = AuditRun.objects.get()
    assert queued == [run.pk] and page.url.endswith(f"/runs/{run.pk}/")
    assert "Queued" in page.inner_text("#run-status")
    pages.check("09-run-queued")

    audit_run_execute(run_id=run.pk, worker="browser-test")
    page.wait_for_selector("text=Open report", timeout=15_000)  # the polled partial, no reload
    pages.check("10-run-succeeded")
    run.refresh_from_db()
    page.click("text=Open report")
    page.wait_for_selector("text=Findings")
    assert "disparate_impact" in page.inner_text("main")
    page.click("nav >> text=Runs")
    pages.check("11-run-list")
    page.click("nav >> text=Dashboard")
    assert f"Report #{run.report.pk}" in page.inner_text("main")
    pages.check("12-dashboard")

    assert pages.problems == {}
