"""POST /api/v1/models/{id}/what-if/: one input's score, attributions and variants, on the worker queue (eager
here), a trail event of hashes only, evidence saved on a report; viewers 403, outsiders 404, anonymous 401/403."""

import json

import pytest
from django.core.cache import caches

from audits.models import AuditEvent, WhatIfEvidence
from audits.services.audit_execution import audit_run_execute
from audits.services.workspaces import membership_set, user_get_or_create
from tests.api_errors import error_attr, error_detail
from tests.audits.services.helpers import make_run
from tests.audits.whatif_fixtures import applicants_dataset, empty_prediction_cache, tabular_model, text_model

__all__ = ["empty_prediction_cache"]

pytestmark = pytest.mark.usefixtures("eager_celery", "empty_prediction_cache")


@pytest.fixture
def tabular(auditor, workspace):
    dataset, frame = applicants_dataset(auditor, workspace)
    return tabular_model(auditor, workspace, dataset, frame), dataset, frame


def _what_if(client, model, **body):
    return client.post(f"/api/v1/models/{model.pk}/what-if/", body, format="json")


def test_a_tabular_row_gets_its_score_shap_weights_and_the_other_groups_score(auditor_client, tabular):
    model, dataset, frame = tabular
    row = int((frame["sex"] == "female").to_numpy().argmax())

    response = _what_if(auditor_client, model, dataset=dataset.pk, row=row, attribute="sex")

    assert response.status_code == 200, response.json()
    body = response.json()
    result = body["result"]
    assert body["status"] == "done" and result["kind"] == "tabular" and result["own_group"] == ["female"]
    (variant,) = result["variants"]
    assert (variant["source_group"], variant["target_group"]) == ("female", "male")
    assert variant["delta"] == pytest.approx(variant["score"] - result["score"], abs=1e-12)
    assert variant["delta"] > 0  # the planted bias favours men
    attribution = result["attribution"]
    assert attribution["method"].startswith("shap") and attribution["names"] == ["sex", "income"]
    assert attribution["values"] == ["female", pytest.approx(frame["income"].iloc[row])]
    assert attribution["protected"] == [True, False]

    edited = _what_if(auditor_client, model, dataset=dataset.pk, row=row, attribute="sex", values={"sex": "male"})

    assert edited.json()["result"]["score"] == pytest.approx(variant["score"], abs=1e-12)  # the edit is the variant


def test_each_what_if_is_a_trail_event_with_hashes_and_no_input_content(auditor_client, auditor, tabular):
    model, dataset, frame = tabular
    secret_income = 87.5
    response = _what_if(auditor_client, model, dataset=dataset.pk, row=0, values={"income": secret_income})

    event = AuditEvent.objects.get(action="model.what_if")
    assert event.actor == auditor and event.object_id == str(model.pk)
    assert event.after["input_sha256"] == response.json()["input_sha256"]
    assert "87.5" not in json.dumps(event.after) and "income" not in json.dumps(event.after)
    cached = caches["predictions"].get(f"whatif:{model.sha256[:40]}:{event.after['input_sha256']}")
    assert cached is not None and "87.5" not in json.dumps(cached)  # the cache holds numbers, not the input


def test_a_text_gets_integrated_gradients_and_its_gender_swapped_variants(auditor_client, auditor, workspace,
                                                                          tmp_path, settings):  # fmt: skip
    model = text_model(auditor, workspace, tmp_path / "models" / "tiny", settings)

    response = _what_if(auditor_client, model, text="she is a good doctor", lexicon="gender")

    assert response.status_code == 200, response.json()
    result = response.json()["result"]
    assert result["kind"] == "text" and result["attribute"] == "gender" and result["own_group"] == ["female"]
    (variant,) = result["variants"]
    assert variant["text"] == "he is a good doctor" and variant["target_group"] == "male"
    attribution = result["attribution"]
    assert attribution["method"] == "integrated_gradients"
    assert attribution["names"] == ["she", "is", "a", "good", "doctor"]
    assert attribution["protected"] == [True, False, False, False, False]
    # Completeness against the neutral baseline: the weights sum to f(x) - f(baseline) within the 1% bound.
    assert sum(attribution["weights"]) == pytest.approx(result["score"] - attribution["base_value"], abs=2e-3)


def test_saving_as_evidence_keeps_the_input_and_result_on_the_report(auditor_client, auditor, workspace, tabular):
    model, dataset, _ = tabular
    report = audit_run_execute(run_id=make_run(auditor, workspace).pk, worker="w").report

    response = _what_if(auditor_client, model, dataset=dataset.pk, row=2, report=report.pk, note="row 2 check")

    evidence = WhatIfEvidence.objects.get(pk=response.json()["evidence"])
    assert evidence.report == report and evidence.model == model and evidence.note == "row 2 check"
    assert evidence.content["input"]["values"]["sex"] in ("female", "male")
    assert evidence.content["result"] == response.json()["result"]
    saved = AuditEvent.objects.get(action="report.what_if_evidence_saved")
    assert saved.object_id == str(report.pk) and saved.after["evidence"] == evidence.pk


def test_bad_inputs_are_400_naming_the_field(auditor_client, auditor, workspace, tabular, tmp_path, settings):
    model, dataset, _ = tabular
    response = _what_if(auditor_client, model, dataset=dataset.pk, attribute="religion")
    assert response.status_code == 400 and error_attr(response) == "attribute" and "religion" in error_detail(response)
    response = _what_if(auditor_client, model, dataset=dataset.pk, values={"income": "lots"})
    assert response.status_code == 400 and error_attr(response) == "values"
    text = text_model(auditor, workspace, tmp_path / "models" / "tiny", settings)
    response = _what_if(auditor_client, text, text="  ")
    assert response.status_code == 400 and error_attr(response) == "text"
    response = _what_if(auditor_client, text, text="she", lexicon="klingon")
    assert response.status_code == 400 and error_attr(response) == "lexicon"


def test_viewers_are_refused_outsiders_get_404_and_anonymous_401(
    api_client_for, auditor, workspace, outsider_client, anonymous_client, tabular
):
    model, dataset, _ = tabular
    viewer = user_get_or_create(username="vic-viewer", password="pw-vic")
    membership_set(workspace=workspace, user=viewer, role="viewer", actor=auditor)

    assert _what_if(api_client_for(viewer), model, dataset=dataset.pk).status_code == 403
    assert _what_if(outsider_client, model, dataset=dataset.pk).status_code == 404
    assert _what_if(anonymous_client, model, dataset=dataset.pk).status_code in (401, 403)
    assert not AuditEvent.objects.filter(action="model.what_if").exists()


@pytest.fixture
def api_client_for():
    from rest_framework.test import APIClient

    def make(user):
        client = APIClient()
        client.force_authenticate(user)
        return client

    return make
