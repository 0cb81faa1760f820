"""What-if pages without a browser: who may run them, the form filled from a dataset row, a posted what-if, the
evidence on the report page; the New audit page's checks field goes to the plan (and its errors come back)."""

import pytest

from audits.models import AuditEvent, AuditPlan, AuditReport, WhatIfEvidence
from audits.services.audit_execution import audit_run_execute
from tests.audits.factories import DatasetFactory, decisions_model
from tests.audits.services.helpers import make_run
from tests.audits.whatif_fixtures import applicants_dataset, empty_prediction_cache, tabular_model
from tests.frontend.test_plan_and_run_pages import _plan_form

__all__ = ["empty_prediction_cache"]


@pytest.fixture
def tabular(auditor, workspace):
    dataset, frame = applicants_dataset(auditor, workspace)
    return tabular_model(auditor, workspace, dataset, frame), dataset, frame


def test_the_form_is_filled_from_the_chosen_dataset_row(auditor_page, tabular):
    model, dataset, frame = tabular

    html = auditor_page.get(f"/models/{model.pk}/what-if/?dataset={dataset.pk}&row=7").content.decode()

    assert f'name="value_0" value="{frame["sex"].iloc[7]}"' in html
    assert f'name="value_1" value="{frame["income"].iloc[7]}"' in html
    assert f'name="value_2" value="{frame["age_band"].iloc[7]}"' in html  # the other protected attribute too
    assert "Run what-if" in html and "hx-post" in html


@pytest.mark.usefixtures("eager_celery", "empty_prediction_cache")
def test_a_posted_what_if_shows_its_variant_and_records_a_hash_only_event(auditor_page, auditor, tabular):
    model, dataset, _ = tabular
    form = {"dataset": dataset.pk, "attribute": "sex", "value_0": "female", "value_1": "61.5", "value_2": "<40"}

    response = auditor_page.post(f"/models/{model.pk}/what-if/", form, HTTP_HX_REQUEST="true")

    html = response.content.decode()
    assert response.status_code == 200 and 'id="whatif-result"' in html and "<html" not in html  # the partial
    assert "female → male" in html and "SHAP" in html
    event = AuditEvent.objects.get(action="model.what_if")
    assert "61.5" not in str(event.after) and len(event.after["input_sha256"]) == 64
    polled = auditor_page.post(f"/models/{model.pk}/what-if/", {**form, "poll": "1"}, HTTP_HX_REQUEST="true")
    assert "female → male" in polled.content.decode()
    assert AuditEvent.objects.filter(action="model.what_if").count() == 1  # a poll is not another use

    bad = auditor_page.post(f"/models/{model.pk}/what-if/", {**form, "value_1": "lots"}, HTTP_HX_REQUEST="true")
    assert "holds numbers, not &#x27;lots&#x27;" in bad.content.decode()


@pytest.mark.usefixtures("eager_celery", "empty_prediction_cache")
def test_saved_evidence_is_shown_on_the_report_page_to_a_viewer(auditor_page, viewer_page, auditor, workspace, tabular):
    model, dataset, _ = tabular
    run = make_run(auditor, workspace)
    audit_run_execute(run_id=run.pk, worker="w")
    report = AuditReport.objects.get(run_id=run.pk)
    form = {"dataset": dataset.pk, "attribute": "sex", "value_0": "male", "value_1": "48.25", "value_2": "40+"}
    auditor_page.post(f"/models/{model.pk}/what-if/", form)

    saved = auditor_page.post(f"/models/{model.pk}/what-if/evidence/", {**form, "report": report.pk, "note": "n1"})

    assert saved.status_code == 302 and saved["Location"].endswith(f"/reports/{report.pk}/#whatif-evidence")
    assert WhatIfEvidence.objects.get().content["input"]["values"]["income"] == "48.25"
    page = viewer_page.get(f"/reports/{report.pk}/").content.decode()
    assert "What-if evidence" in page and "48.25" in page and "male → female" in page


def test_viewers_are_refused_outsiders_get_404_and_a_decisions_column_explains_itself(
    auditor_page, viewer_page, outsider_page, auditor, workspace, tabular
):
    model, dataset, _ = tabular
    assert viewer_page.get(f"/models/{model.pk}/what-if/").status_code == 403
    assert "What-if" not in viewer_page.get(f"/models/{model.pk}/").content.decode()
    assert viewer_page.post(f"/models/{model.pk}/what-if/evidence/", {"report": 1}).status_code == 403
    assert outsider_page.get(f"/models/{model.pk}/what-if/").status_code == 404
    assert outsider_page.post(f"/models/{model.pk}/what-if/", {}).status_code == 404
    assert "What-if" in auditor_page.get(f"/models/{model.pk}/").content.decode()
    decisions = decisions_model(DatasetFactory(user=auditor, workspace=workspace))
    response = auditor_page.get(f"/models/{decisions.pk}/what-if/")
    assert response.status_code == 200 and "its decisions are a column of a dataset" in response.content.decode()


def test_the_new_audit_page_sends_checks_and_shows_a_bad_one_beside_the_field(auditor_page, auditor, workspace):
    dataset = DatasetFactory(user=auditor, workspace=workspace)
    check = "selection_rate(sex=female) >= selection_rate(sex=male) - 0.05"

    bad = auditor_page.post(
        "/audits/new/", _plan_form(decisions_model(dataset), dataset, checks="selection_rate(sex=)")
    )
    block = bad.content.decode().split("<legend>Checks you state</legend>")[1].split("</fieldset>")[0]
    assert bad.status_code == 200 and "Check 1" in block and "expected a group" in block
    assert AuditPlan.objects.count() == 0

    response = auditor_page.post("/audits/new/", _plan_form(decisions_model(dataset), dataset, checks=f"{check}\n\n"))
    assert response.status_code == 302 and [c["text"] for c in AuditPlan.objects.get().checks] == [check]


def test_the_report_page_shows_the_plans_checks_with_their_verdicts(auditor_page, auditor, workspace):
    check = "selection_rate(sex=female) >= selection_rate(sex=male) - 0.05"
    run = make_run(auditor, workspace, checks=[check])  # the factory creates the plan through the service
    audit_run_execute(run_id=run.pk, worker="w")
    report = AuditReport.objects.get(run_id=run.pk)
    (item,) = report.document["checks"]["items"]

    html = auditor_page.get(f"/reports/{report.pk}/").content.decode()

    section = html.split('<section class="checks"')[1].split("</section>")[0]
    assert "Checks stated in the plan" in section and f"v-{item['verdict']}" in section
    assert item["sentence"].replace("'", "&#x27;").replace(">", "&gt;") in section
