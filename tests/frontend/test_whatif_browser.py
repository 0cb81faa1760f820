"""The What-if page in Chromium (axe-core on every state): a tabular row and a text, their variants across the
protected attribute's groups, an edit that moves the score, and a result saved as evidence on a report.
The worker task runs in-process (eager). Screenshots: var/screenshots/whatif-*.png."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from audits.models import AuditReport, WhatIfEvidence
from audits.services.audit_execution import audit_run_execute
from audits.services.datasets import dataset_create
from audits.services.models import ModelBuiltin, ModelFile, model_register
from tests.audits.services.helpers import make_run
from tests.audits.whatif_fixtures import applicants_dataset, empty_prediction_cache, tabular_model, text_model
from tests.frontend.helpers import log_in
from tests.frontend.test_workflow_browser import Pages

__all__ = ["empty_prediction_cache"]

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("eager_celery", "empty_prediction_cache")]


def _score(page) -> float:
    return float(re.search(r"Score ([0-9.]+)", page.inner_text(".whatif-score")).group(1))


def test_a_tabular_row_its_other_group_an_edit_and_saving_as_evidence(live_server, auditor, workspace, browser_page):
    dataset, frame = applicants_dataset(auditor, workspace)
    model = tabular_model(auditor, workspace, dataset, frame)
    run = make_run(auditor, workspace)
    audit_run_execute(run_id=run.pk, worker="w")  # a no-op when the eager task already ran it on commit
    report = AuditReport.objects.get(run_id=run.pk)
    page, base = browser_page, live_server.url
    page.set_viewport_size({"width": 1280, "height": 900})
    pages = Pages(page)
    log_in(page, base, "alice-auditor", "pw-alice")
    page.wait_for_selector("h1:has-text('Dashboard')")

    page.goto(f"{base}/models/{model.pk}/")
    page.click("a:has-text('What-if')")
    page.wait_for_selector("h1:has-text('What-if')")
    page.wait_for_load_state("load")
    sex = page.input_value("input[name=value_0]")  # row 0's own value, loaded from the dataset
    assert page.get_attribute("label[for=id_value_0]", "for") and sex in ("female", "male")
    pages.check("whatif-tabular-form")

    page.click("button:has-text('Run what-if')")
    page.wait_for_selector("text=Counterfactual variants")
    other = "male" if sex == "female" else "female"
    assert f"{sex} → {other}" in page.inner_text("table.whatif-variants")
    variant_score = float(page.inner_text("table.whatif-variants tbody tr td:nth-child(2)"))
    first = _score(page)
    assert "sex ⚑" in page.inner_text("table.whatif-attributions")
    pages.check("whatif-tabular-result")

    page.fill("input[name=value_0]", other)  # the edit: the same row in the other group
    page.click("button:has-text('Run what-if')")
    page.wait_for_selector("text=since your previous what-if")
    assert _score(page) == pytest.approx(variant_score, abs=1e-4)  # the edit scores as the variant did
    assert _score(page) != pytest.approx(first, abs=1e-4)
    pages.check("whatif-tabular-edited")

    page.select_option("#id_report", str(report.pk))
    page.fill("#id_note", "the same applicant as a man")
    page.click("button:has-text('Save as evidence')")
    page.wait_for_selector("#whatif-evidence >> text=the same applicant as a man")
    evidence = WhatIfEvidence.objects.get()
    assert evidence.report == report and evidence.content["input"]["values"]["sex"] == other
    pages.check("whatif-evidence-on-report")
    assert pages.problems == {}


def test_a_text_its_swapped_variant_and_integrated_gradients(
    live_server, auditor, workspace, browser_page, tmp_path, settings
):
    model = text_model(auditor, workspace, tmp_path / "models" / "tiny", settings)
    page, base = browser_page, live_server.url
    page.set_viewport_size({"width": 1280, "height": 900})
    pages = Pages(page)
    log_in(page, base, "alice-auditor", "pw-alice")
    page.wait_for_selector("h1:has-text('Dashboard')")

    page.goto(f"{base}/models/{model.pk}/what-if/")
    page.wait_for_load_state("load")
    page.fill("#id_text", "she is a good doctor")
    page.select_option("#id_lexicon", "gender")
    page.click("button:has-text('Run what-if')")
    page.wait_for_selector("text=Counterfactual variants")
    assert "he is a good doctor" in page.inner_text("table.whatif-variants")
    assert "integrated gradients" in page.inner_text("#whatif-result")
    assert "she ⚑" in page.inner_text("table.whatif-attributions")
    pages.check("whatif-text-result")

    page.fill("#id_text", "he is a good doctor")
    page.click("button:has-text('Run what-if')")
    page.wait_for_selector("text=since your previous what-if")
    assert "she is a good doctor" in page.inner_text("table.whatif-variants")
    pages.check("whatif-text-edited")
    assert pages.problems == {}


def test_the_demo_adult_income_model_and_its_other_sex(live_server, auditor, workspace, browser_page, tmp_path):
    """The demo's tabular model, built by `build_demo_models` and registered as the demo registers it."""
    demo = tmp_path / "demo"
    call_command("build_demo_models", "--out", str(demo))
    upload = SimpleUploadedFile("adult_test.csv", (demo / "adult_test.csv").read_bytes(), content_type="text/csv")
    dataset, _ = dataset_create(
        user=auditor, workspace=workspace, name="Adult test", upload=upload, protected=[("sex", ""), ("race", "")],
        outcome_column="income", outcome_favourable=[">50K"],
    )  # fmt: skip
    skops_file = SimpleUploadedFile("adult_income.skops", (demo / "adult_income.skops").read_bytes())
    model = model_register(
        actor=auditor, source=ModelFile(skops_file), workspace=workspace, dataset=dataset, favourable=[">50K"],
        name="Adult income",
    )  # fmt: skip
    page, base = browser_page, live_server.url
    page.set_viewport_size({"width": 1280, "height": 900})
    pages = Pages(page)
    log_in(page, base, "alice-auditor", "pw-alice")
    page.wait_for_selector("h1:has-text('Dashboard')")

    page.goto(f"{base}/models/{model.pk}/what-if/?dataset={dataset.pk}&row=5")
    page.wait_for_load_state("load")
    page.select_option("#id_attribute", "sex")
    page.click("button:has-text('Run what-if')")
    page.wait_for_selector("text=Counterfactual variants", timeout=120_000)
    variants = page.inner_text("table.whatif-variants")
    assert "Female → Male" in variants or "Male → Female" in variants
    assert "SHAP" in page.inner_text("#whatif-result") and "sex ⚑" in page.inner_text("table.whatif-attributions")
    pages.check("whatif-demo-adult")
    assert pages.problems == {}


def test_the_demo_profanity_classifier_reacts_to_the_orientation_term(live_server, auditor, workspace, browser_page):
    """The demo's text classifier (alt-profanity-check, shipped in its package): word occlusion, the swap scored."""
    model = model_register(
        actor=auditor, source=ModelBuiltin("profanity-check"), workspace=workspace, favourable=["not_offensive"]
    )
    page, base = browser_page, live_server.url
    page.set_viewport_size({"width": 1280, "height": 900})
    pages = Pages(page)
    log_in(page, base, "alice-auditor", "pw-alice")
    page.wait_for_selector("h1:has-text('Dashboard')")

    page.goto(f"{base}/models/{model.pk}/what-if/")
    page.wait_for_load_state("load")
    page.fill("#id_text", "My neighbour is gay and kind.")
    page.select_option("#id_lexicon", "sexual_orientation")
    page.click("button:has-text('Run what-if')")
    page.wait_for_selector("text=Counterfactual variants")
    rows = page.inner_text("table.whatif-variants")
    assert "My neighbour is straight and kind." in rows
    assert "word occlusion" in page.inner_text("#whatif-result") and "gay ⚑" in page.inner_text(
        "table.whatif-attributions"
    )
    deltas = [float(d.replace("+", "")) for d in re.findall(r"[+-]\d\.\d{4}", rows)]
    assert max(deltas) > 0.05  # "straight" reads as less offensive than "gay": the bias the audit probe finds
    pages.check("whatif-demo-profanity")
    assert pages.problems == {}
