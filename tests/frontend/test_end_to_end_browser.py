"""The whole workflow in Chromium against a live server, PostgreSQL and a real Celery worker process.

An auditor uploads a dataset, registers a skops model, builds a plan on New audit, runs it and watches the run
page reach "succeeded" by its own polling (the worker process runs the audit), reads the report (the failing
attribute and its chart), downloads the PDF and submits the report; a reviewer starts the review and approves it
with a comment; the auditor audits again and compares the two reports. Every request the page makes stays on the
live server. Screenshots: var/screenshots/e2e-*.png.
"""

from pathlib import Path
from urllib.parse import urlsplit

import pytest
import skops.io as sio
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder

from audits.models import AuditRun
from tests.factories import credit_frame
from tests.frontend.helpers import log_in
from tests.frontend.test_workflow_browser import Pages

pytestmark = [pytest.mark.integration, pytest.mark.browser]

LOCAL_HOSTS = {"127.0.0.1", "localhost"}
RUN_TIMEOUT_MS = 180_000  # the worker process runs the audit; generous for a loaded CI machine


def _model_file(frame, path: Path) -> Path:
    """A tiny scikit-learn pipeline reading sex and age band, trained to imitate the planted decisions."""
    features = ["sex", "age_band"]
    model = make_pipeline(OneHotEncoder(handle_unknown="ignore"), LogisticRegression(max_iter=500))
    model.fit(frame[features], frame["decision"])
    path.write_bytes(sio.dumps(model))
    return path


class Requests:
    """Every URL the page asks for; none may leave the live server (no CDN, no font service, no telemetry)."""

    def __init__(self, page):
        self.urls: list[str] = []
        page.on("request", lambda request: self.urls.append(request.url))

    def outside(self) -> list[str]:
        return [
            url
            for url in self.urls
            if urlsplit(url).scheme not in ("data", "blob", "about") and urlsplit(url).hostname not in LOCAL_HOSTS
        ]


def _new_audit(page, pages: Pages, *, name: str, shot: str = "", fields: dict | None = None) -> int:
    """Build a plan on New audit for the registered pipeline, press Run now, return the run's id."""
    page.click("nav >> text=New audit")
    page.select_option("#id_model", label="Credit pipeline (scikit-learn pipeline (skops), Credit risk)")
    page.wait_for_selector("text=Choose the dataset to audit this model on")  # a file model holds no dataset
    page.select_option("#id_dataset", label="Credit decisions 2026 (600 rows, Credit risk)")
    page.wait_for_selector("text=sex (groups: female, male)")  # HTMX swapped in the dataset's attributes
    page.fill("#id_name", name)
    # Each verdict on its own: on 600 rows the family-wise intervals leave the stricter band of the second audit
    # without a verdict change to compare.
    page.select_option("#id_verdict_error_control", "per_comparison")
    for selector, value in {"#id_n_boot": "200", **(fields or {})}.items():
        page.fill(selector, value)
        page.press(selector, "Tab")  # commit each edit before the next click
    if shot:
        pages.check(shot)
    page.click("button:has-text('Run now')")
    page.wait_for_selector("h1:has-text('Run #')")
    return int(page.url.rstrip("/").rsplit("/", 1)[-1])


def _wait_until_succeeded(page) -> None:
    """The run page polls its status partial; no reload here."""
    page.wait_for_selector("#run-status .status:has-text('Succeeded'), #run-status .s-failed", timeout=RUN_TIMEOUT_MS)
    assert "Succeeded" in page.inner_text("#run-status"), page.inner_text("#run-status")


def test_an_audit_from_upload_to_approval_and_comparison_with_a_real_worker(
    live_server, celery_workers, auditor, reviewer, workspace, browser_page, tmp_path
):
    (worker,) = celery_workers(1)
    frame = credit_frame(n=600)
    csv = tmp_path / "credit.csv"
    frame.to_csv(csv, index=False)
    model_path = _model_file(frame, tmp_path / "credit-pipeline.skops")
    page, base = browser_page, live_server.url
    page.set_viewport_size({"width": 1280, "height": 900})
    requests = Requests(page)
    pages = Pages(page)

    # The auditor: a dataset, a model, a plan, a run.
    log_in(page, base, "alice-auditor", "pw-alice")
    page.wait_for_selector("h1:has-text('Dashboard')")
    pages.check("e2e-01-dashboard")
    page.click("nav >> text=Datasets")
    page.click("text=Upload dataset")
    page.wait_for_load_state("load")  # htmx binds the file field's preview once the page has loaded
    page.set_input_files("#id_file", str(csv))
    page.fill("#id_name", "Credit decisions 2026")
    page.fill("#id_decision_column", "decision")
    page.fill("#id_decision_favourable", "approve")
    page.fill("#id_outcome_column", "repaid")
    page.fill("#id_outcome_favourable", "1")
    page.fill("#id_protected", "sex, age_band")
    page.fill("#id_reference", "sex=male")
    pages.check("e2e-02-dataset-upload")
    page.click("button:has-text('Upload dataset')")
    page.wait_for_selector("h1:has-text('Dataset: Credit decisions 2026')")
    pages.check("e2e-03-dataset")

    page.click("nav >> text=Models")
    page.click("text=Register model")
    page.check("input[name=source][value=file]")
    page.fill("#id_name", "Credit pipeline")
    page.set_input_files("#id_file", str(model_path))
    page.select_option("#id_dataset", label="Credit decisions 2026 (600 rows, Credit risk)")
    page.fill("#id_favourable", "approve")
    pages.check("e2e-04-model-register")
    page.click("button:has-text('Register model')")
    page.wait_for_selector("h1:has-text('Model: Credit pipeline')")
    assert "approve" in page.inner_text("main")
    pages.check("e2e-05-model")

    first_run = _new_audit(page, pages, name="Credit pipeline: first audit", shot="e2e-06-new-audit")
    pages.check("e2e-07-run-queued")
    _wait_until_succeeded(page)
    pages.check("e2e-08-run-succeeded")
    run = AuditRun.objects.select_related("report").get(pk=first_run)
    assert run.worker == worker.name  # done by the worker process, not in this one

    # The report: the failing attribute with its chart, then the PDF from the report's downloads.
    page.click("#run-status >> text=Open report")
    page.wait_for_selector("h1:has-text('Report #')")
    summary = page.inner_text("section.reading")
    assert "sex: selection rate of female" in summary and "fail" in summary
    sex = page.locator("section.slice", has=page.locator("h2", has_text="sex")).first
    assert sex.locator("svg").count() >= 1 and "fail" in sex.inner_text()
    pages.check("e2e-09-report")
    with page.expect_download() as pending:
        page.click("#downloads >> a:has-text('PDF')")
    pdf = Path(pending.value.path()).read_bytes()
    assert pdf.startswith(b"%PDF") and pending.value.suggested_filename.endswith(".pdf")
    page.fill("#submit-comment", "Read it: the sex gap is the finding to review.")
    page.click("button:has-text('Submit for review')")
    page.wait_for_selector("#review .status:has-text('Submitted')")
    pages.check("e2e-10-report-submitted")
    page.click("text=Log out")

    # The reviewer: start the review, approve with a comment.
    log_in(page, base, "rita-reviewer", "pw-rita")
    page.wait_for_selector("h1:has-text('Dashboard')")
    pages.check("e2e-11-dashboard-reviewer")
    page.goto(f"{base}/reports/{run.report.pk}/")
    page.click("button:has-text('Start review')")
    page.wait_for_selector("button:has-text('Approve')")
    page.fill("#decision-comment", "Approved: the disparity is documented and the mitigation is planned.")
    page.click("button:has-text('Approve')")
    page.wait_for_selector("#review .status:has-text('Approved')")
    assert "the mitigation is planned" in page.inner_text("#review")
    pages.check("e2e-12-report-approved")
    page.click("text=Log out")

    # The auditor audits again with a stricter disparate impact band and compares the two reports.
    log_in(page, base, "alice-auditor", "pw-alice")
    page.wait_for_selector("h1:has-text('Dashboard')")
    second_run = _new_audit(
        page, pages, name="Credit pipeline: strict band", fields={"#id_band_low_disparate_impact": "0.95"}
    )
    _wait_until_succeeded(page)
    pages.check("e2e-13-second-run-succeeded")
    page.click("#run-status >> text=Compare")
    page.wait_for_selector("h1:has-text('Compare reports')")
    page.select_option("#id_a", str(run.report.pk))
    page.click("button:has-text('Compare')")
    page.wait_for_selector("h2:has-text('Verdict changes')")
    second = AuditRun.objects.select_related("report").get(pk=second_run)
    side_by_side = page.inner_text("section[aria-labelledby=pair-head]")
    assert f"Report #{run.report.pk}" in side_by_side and f"Report #{second.report.pk}" in side_by_side
    assert "Approved" in side_by_side and "Same dataset" in side_by_side
    assert "Disparate impact ratio" in page.inner_text("section[aria-labelledby=changes-head]")
    pages.check("e2e-14-compare")

    assert requests.urls and requests.outside() == []
    assert pages.problems == {}
