"""The attribution stage through the API and Celery: IG on a transformers classifier, SHAP on a skops model."""

import io

import pandas as pd
import pytest

from audits.models import AuditReport
from audits.reports.schema import report_errors
from tests.audits.flows.test_hf_models_flow import _zip_folder
from tests.audits.flows.test_models_and_probes import _applicants, _register, _skops_upload
from tests.explainers.attributions.planted import make_planted_classifier, sentences
from tests.factories import csv_upload, upload_form


def _report(client, plan_body, capture) -> dict:
    plan = client.post("/api/v1/plans/", plan_body, format="json")
    assert plan.status_code == 201, plan.json()
    with capture(execute=True):
        run = client.post(f"/api/v1/plans/{plan.json()['id']}/run/").json()
    state = client.get(f"/api/v1/runs/{run['id']}/").json()
    assert state["status"] == "succeeded", state["error"]
    document = AuditReport.objects.get(run_id=run["id"]).document
    assert report_errors(document) == []
    return document


@pytest.fixture
def pronoun_texts(auditor_client):
    rows = [{"text": text, "group": "female" if pronoun == "she" else "male"} for text, pronoun, _ in sentences()]
    form = upload_form(
        csv_upload(pd.DataFrame(rows)),
        decision_column="",
        favourable_decision=[],
        outcome_column="",
        favourable_outcome=[],
        protected=["group"],
        text_column="text",
    )
    response = auditor_client.post("/api/v1/datasets/", form, format="multipart")
    assert response.status_code == 201, response.json()
    return response.json()


def test_integrated_gradients_name_the_pronoun_a_planted_classifier_reacts_to(
    auditor_client, pronoun_texts, tmp_path, eager_celery, django_capture_on_commit_callbacks
):
    folder = make_planted_classifier(tmp_path / "planted", planted="pronoun")
    model = auditor_client.post(
        "/api/v1/models/",
        {"file": _zip_folder(folder), "workspace": "credit-risk", "favourable": ["positive"]},
        format="multipart",
    )
    assert model.status_code == 201, model.json()
    settings = {"attributions": True, "attribution_budget": 6}

    document = _report(
        auditor_client,
        {"dataset": pronoun_texts["id"], "model": model.json()["id"], "n_boot": 200, "min_group_size": 10,
         "probes": ["text_counterfactual"], "probe_settings": settings},
        django_capture_on_commit_callbacks,
    )  # fmt: skip

    (attribution,) = document["attributions"]
    assert attribution["probe"] == "text_counterfactual" and attribution["method"] == "integrated_gradients"
    flipped = [p for p in attribution["pairs"] if p["flipped"]]
    assert flipped and len(attribution["pairs"]) <= 6
    assert all(p["top_word"] in ("she", "he") and p["top_word_protected"] for p in flipped)
    assert min(p["protected_share"] for p in flipped) > 0.8
    assert attribution["all_converged"] is True
    # The explained pairs are the probe's own substitutions (its per-pair table), not a second sample.
    (probe,) = document["probes"]
    run = AuditReport.objects.get(sha256__isnull=False, run__plan__model_id=model.json()["id"]).run_id
    table = pd.read_parquet(
        io.BytesIO(auditor_client.get(f"/api/v1/runs/{run}/artifact/", {"name": probe["artifact"]["name"]}).content)
    )
    probed = set(zip(table["text"], table["counterfactual"], strict=True))
    assert {(p["text"], p["counterfactual"]) for p in attribution["pairs"]} <= probed
    assert "attributions_seconds" in document["provenance"]["timings"]


def test_shap_shows_the_protected_share_of_a_skops_model(
    auditor_client, eager_celery, django_capture_on_commit_callbacks
):
    form = upload_form(
        csv_upload(_applicants(n=600)),
        decision_column="",
        outcome_column="outcome",
        favourable_outcome=["grant"],
        favourable_decision=[],
        protected=["sex"],
    )
    dataset = auditor_client.post("/api/v1/datasets/", form, format="multipart").json()
    model = _register(auditor_client, dataset, _skops_upload(_applicants())).json()

    document = _report(
        auditor_client,
        {"dataset": dataset["id"], "model": model["id"], "n_boot": 200, "probes": ["tabular_counterfactual"],
         "probe_settings": {"attributions": True, "attribution_budget": 4}},
        django_capture_on_commit_callbacks,
    )  # fmt: skip

    (attribution,) = document["attributions"]
    assert attribution["probe"] == "tabular_counterfactual" and attribution["n_rows"] == 40
    assert attribution["protected_is_feature"] and attribution["protected_share"] > 0.2
    assert attribution["faithfulness"]["comprehensiveness"] is not None


def test_a_score_only_text_model_gets_shaps_text_explainer_when_asked(
    auditor_client, eager_celery, django_capture_on_commit_callbacks
):
    from tests.audits.flows.test_text_probe_flow import _sentences, _text_model, upload_text_dataset

    frame = _sentences(n=400)
    dataset = upload_text_dataset(auditor_client, frame)
    model = auditor_client.post(
        "/api/v1/models/", {"file": _text_model(frame), "favourable": ["ok"], "dataset": dataset["id"]},
        format="multipart",
    ).json()  # fmt: skip
    body = {"dataset": dataset["id"], "model": model["id"], "n_boot": 100, "probes": ["text_counterfactual"]}

    refused = auditor_client.post(
        "/api/v1/plans/", {**body, "probe_settings": {"attribution_black_box": "lime"}}, format="json"
    )
    assert refused.status_code == 400 and "attribution_black_box" in str(refused.json())

    settings = {"attributions": True, "attribution_budget": 3, "attribution_black_box": "shap"}
    document = _report(auditor_client, {**body, "probe_settings": settings}, django_capture_on_commit_callbacks)
    (attribution,) = document["attributions"]
    assert attribution["method"] == "shap_partition" and attribution["library_version"].startswith("shap ")
    assert 1 <= attribution["n_pairs"] <= 3 and attribution["cost"]["texts_scored"] > 0
    for pair in attribution["pairs"]:
        for member in ("text_attribution", "counterfactual_attribution"):
            assert abs(pair[member]["completeness_error"]) < 1e-9  # Owen values add up
    assert any(note.startswith("SHAP scored") for note in attribution["notes"])
