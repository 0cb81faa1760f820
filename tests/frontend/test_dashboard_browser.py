"""The dashboard and the plan builder in Chromium: the verdict matrix, reports awaiting review, intersections,
bands and probe settings. Screenshots go to var/screenshots/ (dash-*.png); every page passes axe-core."""

import pytest

from audits.choices import ModelKind
from audits.models import AuditPlan, AuditRun, ModelArtifact
from audits.services import audit_runs
from audits.services.audit_runs import audit_run_fail
from audits.services.reviews import review_submit
from tests.audits.factories import AuditReportFactory
from tests.audits.services.helpers import make_run
from tests.frontend.helpers import log_in
from tests.frontend.test_workflow_browser import Pages

pytestmark = pytest.mark.browser


def test_the_dashboard_matrix_and_the_plan_builders_intersections_and_bands(
    live_server, auditor, reviewer, workspace, browser_page, monkeypatch
):
    monkeypatch.setattr(audit_runs, "_enqueue", lambda run_id: None)  # no worker: runs stay queued
    report = AuditReportFactory(user=auditor, workspace=workspace)
    review_submit(user=auditor, report=report)
    failed = make_run(auditor, workspace)
    audit_run_fail(
        run_id=failed.pk, error="Column 'sex' holds one group only after dropping missing rows.\n\nValueError"
    )
    make_run(auditor, workspace)  # queued: in progress
    ModelArtifact.objects.create(
        workspace=workspace, name="Credit pipeline", kind=ModelKind.SKOPS_PIPELINE, sha256="1" * 64,
        created_by=auditor, config={"feature_columns": ["sex", "age_band"]},
    )  # fmt: skip
    page, base = browser_page, live_server.url
    pages = Pages(page)

    log_in(page, base, "rita-reviewer", "pw-rita")
    page.wait_for_selector("h1:has-text('Dashboard')")
    matrix = page.inner_text("table.matrix")
    assert "sex" in matrix and "age_band" in matrix and "Fail" in matrix
    assert f"Report #{report.pk}" in page.inner_text("#review-head >> xpath=..")
    pages.check("dash-01-dashboard-reviewer")
    page.set_viewport_size({"width": 640, "height": 900})  # about 200% zoom of a 1280px window
    pages.check("dash-02-dashboard-narrow")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.click(f"table.matrix a[href='/reports/{report.pk}/'] >> nth=0")
    page.wait_for_selector(f"h1:has-text('{report.pk}')")
    page.click("text=Log out")

    log_in(page, base, "alice-auditor", "pw-alice")
    page.wait_for_selector("h1:has-text('Dashboard')")
    assert "Reports awaiting my review" not in page.inner_text("main")
    assert "holds one group only" in page.inner_text("#fail-head >> xpath=..")
    pages.check("dash-03-dashboard-auditor")

    page.click("nav >> text=New audit")
    plans_before = AuditPlan.objects.count()
    page.select_option("#id_model", value=str(report.run.plan.model_id))
    page.wait_for_selector("text=age_band × sex")  # HTMX swapped in the pairs of the dataset's attributes
    page.check("label:has-text('age_band × sex') >> xpath=preceding-sibling::input")
    page.fill("#id_band_low_disparate_impact", "1.3")  # above its high end: refused beside the band
    page.fill("#id_n_boot", "200")
    page.press("#id_n_boot", "Tab")
    pages.check("dash-04-new-audit-intersections-bands")
    page.click("button:has-text('Run now')")
    page.wait_for_selector("text=low must be below high")
    assert AuditPlan.objects.count() == plans_before  # nothing half-written
    pages.check("dash-05-new-audit-band-error")
    page.fill("#id_band_low_disparate_impact", "0.9")
    page.press("#id_band_low_disparate_impact", "Tab")
    page.click("button:has-text('Run now')")
    page.wait_for_selector("h1:has-text('Run #')")
    plan = AuditRun.objects.order_by("-pk").first().plan
    assert plan.intersections == [["age_band", "sex"]] and plan.bands == {"disparate_impact": [0.9, 1.25]}

    page.click("nav >> text=New audit")
    page.select_option("#id_model", label="Credit pipeline (scikit-learn pipeline (skops), Credit risk)")
    page.wait_for_selector("text=Rows probed at most")
    pages.check("dash-06-new-audit-probe-settings")

    assert pages.problems == {}
