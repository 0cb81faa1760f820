"""Issue 14 in Chromium: a large upload is shown `validating` on its page and in the list while a real worker
validates it, then the page updates by itself to the profile (ready) or to the reason (refused).
Screenshots: var/screenshots/ingest-*.png; every page passes axe-core."""

import pytest

from tests.factories import credit_frame
from tests.frontend.helpers import log_in
from tests.frontend.test_workflow_browser import Pages

pytestmark = pytest.mark.browser


def _upload(page, base, csv, name: str, decision_column: str) -> str:
    """Upload through the form; the preview's text."""
    page.goto(f"{base}/datasets/upload/")
    page.wait_for_load_state("load")
    page.set_input_files("#id_file", str(csv))
    page.wait_for_selector("#file-preview >> text=What the file holds")
    preview = page.inner_text("#file-preview")
    page.fill("#id_name", name)
    page.fill("#id_decision_column", decision_column)
    page.fill("#id_decision_favourable", "approve")
    page.fill("#id_protected", "sex, age_band")
    page.click("button:has-text('Upload dataset')")
    page.wait_for_selector(f"h1:has-text('Dataset: {name}')")
    return preview


def test_a_large_upload_shows_validating_then_ready_or_refused_as_the_worker_decides(
    live_server, celery_workers, auditor, workspace, browser_page, tmp_path, settings
):
    settings.AUDIT_INGEST_INLINE_MAX_BYTES = 4_000  # the 600-row file (~12 KB) is "large" here
    csv = tmp_path / "credit.csv"
    credit_frame().to_csv(csv, index=False)
    page, base = browser_page, live_server.url
    pages = Pages(page)
    log_in(page, base, "alice-auditor", "pw-alice")

    preview = _upload(page, base, csv, "Large credit file", "decision")  # no worker yet: it stays validating
    assert "A large file: this preview reads its first" in preview
    status = page.inner_text(".dataset-status")
    assert "Validating" in status and "a worker is reading every row" in status
    assert not page.query_selector("a:has-text('New audit of this dataset')")
    pages.check("ingest-01-detail-validating")
    detail_url = page.url
    page.click("nav >> text=Datasets")
    assert "Validating" in page.inner_text("table")
    pages.check("ingest-02-list-validating")

    page.goto(detail_url)
    celery_workers(1)  # the worker takes the queued validation; the page polls and reloads itself
    page.wait_for_selector("h2:has-text('Protected attributes and group sizes') ~ h3:has-text('sex')", timeout=90_000)
    page.wait_for_selector("a:has-text('New audit of this dataset')")
    assert not page.query_selector(".dataset-status")
    assert "female" in page.inner_text("main")
    pages.check("ingest-03-detail-ready")

    _upload(page, base, csv, "Misnamed columns", "decison")  # the worker refuses it, naming the column
    page.wait_for_selector(".notice.error >> text=The upload was refused.", timeout=90_000)
    reason = page.inner_text(".notice.error")
    assert "Column 'decison' is not in the file" in reason and "Did you mean: decision" in reason
    pages.check("ingest-04-detail-refused")
    page.click("nav >> text=Datasets")
    table = page.inner_text("table")
    assert "Ready" in table and "Refused" in table and "decison" in table
    pages.check("ingest-05-list-decided")
    assert pages.problems == {}


def test_a_large_model_upload_shows_validating_then_ready_as_the_worker_tests_it(
    live_server, celery_workers, auditor, workspace, browser_page, tmp_path, settings
):
    from tests.audits.flows.test_hf_models_flow import _zip_folder
    from tests.explainers.runners.hf_fixtures import make_text_classifier

    settings.AUDIT_INGEST_INLINE_MAX_BYTES = 1_000  # the tiny classifier's folder is "large" here
    archive = tmp_path / "tiny-classifier.zip"
    archive.write_bytes(_zip_folder(make_text_classifier(tmp_path / "clf")).read())
    page, base = browser_page, live_server.url
    pages = Pages(page)
    log_in(page, base, "alice-auditor", "pw-alice")

    page.goto(f"{base}/models/register/")
    page.wait_for_load_state("load")
    page.set_input_files("#id_file", str(archive))
    page.fill("#id_name", "Tiny classifier")
    page.fill("#id_favourable", "positive")
    page.click("button:has-text('Register model')")
    page.wait_for_selector("h1:has-text('Model: Tiny classifier')")
    status = page.inner_text(".model-status")
    assert "Validating" in status and "a worker is loading it" in status  # no worker yet
    assert not page.query_selector("a:has-text('New audit of this model')")
    pages.check("ingest-06-model-validating")

    celery_workers(1)  # the worker loads and tests it; the page polls and reloads itself
    page.wait_for_selector("a:has-text('New audit of this model')", timeout=120_000)
    assert not page.query_selector(".model-status")
    assert "negative, positive" in page.inner_text("main")
    pages.check("ingest-07-model-ready")
    page.click("nav >> text=Models")
    assert "Ready" in page.inner_text("table")
    pages.check("ingest-08-model-list")
    assert pages.problems == {}
