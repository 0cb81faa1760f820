"""Global explanations and explanation quality (issue 16) through the API, Celery, the report and its renderings."""

import json
from pathlib import Path

import jsonschema
import pytest
import skops.io as sio
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import load_command_class
from sklearn.compose import make_column_transformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder

from audits.exports.findings_csv import findings_csv
from audits.management.commands.audit import _probe_settings
from audits.models import AuditReport
from audits.renderings.html import render_report_html
from audits.reports.summary import report_summary
from tests.audits.flows.test_attribution_stage import _report, pronoun_texts  # noqa: F401  (fixture)
from tests.audits.flows.test_hf_models_flow import _zip_folder
from tests.audits.flows.test_models_and_probes import _applicants, _register
from tests.explainers.attributions.planted import make_planted_classifier
from tests.factories import credit_frame, csv_upload, upload_form

STAGES = {"global_explanations": True, "explanation_quality": True, "quality_examples": 12, "attention_examples": 3}


@pytest.fixture
def uploaded(auditor_client):
    """A dataset whose decisions are a column: its model is the column, nothing to explain."""
    response = auditor_client.post("/api/v1/datasets/", upload_form(csv_upload(credit_frame())), format="multipart")
    assert response.status_code == 201, response.json()
    return response.json()


@pytest.fixture
def pronoun_model(auditor_client, tmp_path):
    folder = make_planted_classifier(tmp_path / "planted", planted="pronoun")
    response = auditor_client.post(
        "/api/v1/models/",
        {"file": _zip_folder(folder), "workspace": "credit-risk", "favourable": ["positive"]},
        format="multipart",
    )
    assert response.status_code == 201, response.json()
    return response.json()


def test_a_planted_text_classifier_gets_a_flagged_cluster_attention_and_quality_in_every_rendering(
    client,
    auditor,
    auditor_client,
    pronoun_texts,  # noqa: F811  (the imported fixture)
    pronoun_model,
    eager_celery,
    django_capture_on_commit_callbacks,
):
    document = _report(
        auditor_client,
        {"dataset": pronoun_texts["id"], "model": pronoun_model["id"], "n_boot": 200, "min_group_size": 10,
         "probe_settings": STAGES},
        django_capture_on_commit_callbacks,
    )  # fmt: skip

    found = document["global_explanations"]
    clusters = found["text"]["clusters"]
    flagged = [c for c in clusters["clusters"] if c["flagged"]]
    assert any(c["dominant"]["group"] == "female" and c["dominant"]["attribute"] in ("group", "lexicon:gender")
               for c in flagged)  # fmt: skip
    (attention,) = found["text"]["attention"]
    assert attention["n_examples"] == 3 and len(attention["shares"]) == 2
    assert found["cost"]["examples"] == 192 and found["cost"]["seconds_per_1000"] > 0
    quality = document["explanation_quality"]
    assert [s["method"] for s in quality["text"]["stability"]] == ["integrated_gradients", "occlusion"]
    assert quality["text"]["consistency"]["agreement"]["n"] > 0
    assert quality["cost"]["examples"] == 12
    timings = document["provenance"]["timings"]
    assert timings["global_explanations_seconds"] > 0 and timings["explanation_quality_seconds"] > 0

    html = render_report_html(document, "0" * 64)
    assert "Global explanations" in html and 'class="chart heatmap"' in html
    assert "Attention is not an explanation by itself" in html and "Explanation quality" in html
    assert "<script" not in html
    csv = findings_csv(document)
    assert "global.cluster" in csv and ",flagged," in csv and "quality.stability" in csv
    assert "quality.consistency" in csv and "global.cost" in csv
    summary = report_summary(document)
    assert "Global explanations" in summary and "flagged" in summary

    report = AuditReport.objects.get(run_id=document["provenance"]["run_id"])
    client.force_login(auditor)
    page = client.get(f"/reports/{report.pk}/")
    assert page.status_code == 200
    text = page.content.decode()
    assert 'id="global-explanations"' in text and 'id="explanation-quality"' in text


def test_a_tabular_model_gets_shap_per_group_partial_dependence_and_shap_quality(
    auditor_client, eager_celery, django_capture_on_commit_callbacks
):
    frame = _applicants(n=600)
    form = upload_form(
        csv_upload(frame), decision_column="", outcome_column="outcome", favourable_outcome=["grant"],
        favourable_decision=[], protected=["sex"],
    )  # fmt: skip
    dataset = auditor_client.post("/api/v1/datasets/", form, format="multipart").json()
    features = ["sex", "age_band", "income"]
    prepare = make_column_transformer(
        (OneHotEncoder(handle_unknown="ignore"), ["sex", "age_band"]), ("passthrough", ["income"])
    )
    model = make_pipeline(prepare, LogisticRegression(max_iter=500)).fit(frame[features], frame["outcome"])
    registered = _register(auditor_client, dataset, SimpleUploadedFile("m.skops", sio.dumps(model))).json()

    document = _report(
        auditor_client,
        {"dataset": dataset["id"], "model": registered["id"], "n_boot": 200, "probe_settings": STAGES},
        django_capture_on_commit_callbacks,
    )

    (entry,) = document["global_explanations"]["tabular"]
    assert entry["attribute"] == "sex" and entry["protected_is_feature"]
    assert set(entry["importance"][0]["per_group"]) == {"female", "male"}
    sex = next(d for d in entry["partial_dependence"] if d["feature"] == "sex")
    by_value = dict(zip(sex["grid"], sex["mean_score"], strict=True))
    assert by_value["male"] > by_value["female"]  # the planted bias, seen as partial dependence
    quality = document["explanation_quality"]["tabular"]
    assert quality["consistency"]["methods"] == ["permutation_shap", "ablation"]
    assert quality["stability"]["stable"] is True
    assert "partial dependence" in report_summary(document)
    assert "mean |SHAP| female" in render_report_html(document, "0" * 64)


def test_the_stages_are_refused_for_decisions_in_a_column(auditor_client, uploaded):
    response = auditor_client.post(
        "/api/v1/plans/",
        {"dataset": uploaded["id"], "model": uploaded["model"]["id"], "probe_settings": {"global_explanations": True}},
        format="json",
    )
    assert response.status_code == 400
    assert "explain a model on a dataset" in str(response.json())


def test_an_unknown_layer_is_refused_with_its_setting_named(auditor_client, uploaded):
    response = auditor_client.post(
        "/api/v1/plans/",
        {"dataset": uploaded["id"], "model": uploaded["model"]["id"], "probe_settings": {"global_layer": -2}},
        format="json",
    )
    assert response.status_code == 400 and "global_layer" in str(response.json())


def test_the_cli_takes_both_flags():
    parser = load_command_class("audits", "audit").create_parser("manage.py", "audit")
    options = parser.parse_args(["--global-explanations", "--explanation-quality", "--global-layer", "1"])
    assert options.global_explanations and options.explanation_quality and options.global_layer == 1
    settings = _probe_settings(vars(options))
    assert settings == {"global_explanations": True, "explanation_quality": True, "global_layer": 1}


def test_the_schema_accepts_the_sections_and_refuses_a_section_without_its_cost():
    schema = json.loads((Path(__file__).resolve().parents[3] / "audits/schemas/report.v1.schema.json").read_text())
    section = {"$defs": schema["$defs"], **schema["properties"]["explanation_quality"]}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"settings": {}, "text": None, "tabular": None, "unstable_methods": []}, section)
    cost = {"seconds": 1.0, "examples": 10, "seconds_per_1000": 100.0}
    jsonschema.validate({"settings": {}, "text": None, "tabular": None, "unstable_methods": [], "cost": cost}, section)
