"""The web pages in a real Chromium: log in, see the run, open its report; outsiders get a 404."""

import os

import pytest

from audits.services.audit_execution import audit_run_execute
from tests.audits.services.helpers import make_run
from tests.frontend.helpers import log_in as _log_in

pytestmark = pytest.mark.browser


def test_auditor_logs_in_and_reads_a_report(
    live_server, auditor, workspace, outsider, other_workspace, browser_page, tmp_path
):
    run = make_run(auditor, workspace)
    run = audit_run_execute(run_id=run.pk, worker="w")
    page = browser_page

    _log_in(page, live_server.url, "alice-auditor", "pw-alice")
    page.wait_for_selector("text=Audit runs")
    assert "succeeded" in page.inner_text(".table-wrap table")  # the runs table, below the verdict matrix
    page.click(f"a:has-text('report #{run.report.pk}') >> nth=0")
    page.wait_for_selector("text=Findings")
    findings = page.inner_text("section.slice >> nth=0")  # the first attribute: its charts, groups and findings
    assert "disparate_impact" in findings and "female" in findings and "fail" in findings
    page.screenshot(path=os.environ.get("SCREENSHOT_PATH", str(tmp_path / "report.png")), full_page=True)

    page.click("text=Log out")
    _log_in(page, live_server.url, "oscar-outsider", "pw-oscar")
    page.wait_for_selector("text=Audit runs")
    response = page.goto(f"{live_server.url}/reports/{run.report.pk}/")
    assert response.status == 404
