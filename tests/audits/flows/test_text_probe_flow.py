"""The text counterfactual probe through the API and Celery, on a skops text pipeline with a planted bias."""

import io

import numpy as np
import pandas as pd
import pytest
import skops.io as sio
from django.core.files.uploadedfile import SimpleUploadedFile
from sklearn.compose import ColumnTransformer
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline

from audits.models import AuditReport
from tests.api_errors import error_detail
from tests.factories import csv_upload, upload_form

SUBJECTS = {"female": ["she", "her mother", "the woman"], "male": ["he", "his father", "the man"]}
REST = ["is a nurse", "writes code", "leads the team", "cooks dinner", "fixes cars", "teaches maths"]


def _sentences(n=1200, seed=2):
    rng = np.random.default_rng(seed)
    group = rng.choice(["female", "male"], size=n)
    text = [f"{rng.choice(SUBJECTS[g])} {rng.choice(REST)}" for g in group]
    # Planted bias: texts about women are labelled toxic far more often.
    label = np.where(rng.random(n) < np.where(group == "female", 0.8, 0.1), "toxic", "ok")
    return pd.DataFrame({"text": text, "group": group, "label": label})


def _text_model(frame):
    model = Pipeline(
        [
            ("features", ColumnTransformer([("t", TfidfVectorizer(), "text")])),
            ("classify", LogisticRegression(max_iter=500)),
        ]
    )
    return SimpleUploadedFile("text.skops", sio.dumps(model.fit(frame[["text"]], frame["label"])))


def upload_text_dataset(client, frame) -> dict:
    """``frame`` (text, group, label) as a text dataset: outcome "label" ("ok" favourable), "group" protected."""
    form = upload_form(
        csv_upload(frame),
        decision_column="",
        favourable_decision=[],
        outcome_column="label",
        favourable_outcome=["ok"],
        protected=["group"],
        text_column="text",
    )
    response = client.post("/api/v1/datasets/", form, format="multipart")
    assert response.status_code == 201, response.json()
    return response.json()


def test_text_probe_finds_the_planted_gender_bias(auditor_client, eager_celery, django_capture_on_commit_callbacks):
    frame = _sentences()
    dataset = upload_text_dataset(auditor_client, frame)
    model = auditor_client.post(
        "/api/v1/models/",
        {"file": _text_model(frame), "favourable": ["ok"], "dataset": dataset["id"]},
        format="multipart",
    )
    assert model.status_code == 201, model.json()
    plan = auditor_client.post(
        "/api/v1/plans/",
        {"dataset": dataset["id"], "model": model.json()["id"], "n_boot": 300, "probes": ["text_counterfactual"]},
        format="json",
    )
    assert plan.status_code == 201, plan.json()

    with django_capture_on_commit_callbacks(execute=True):
        run = auditor_client.post(f"/api/v1/plans/{plan.json()['id']}/run/").json()

    probe = next(p for p in AuditReport.objects.get(run_id=run["id"]).document["probes"])
    assert probe["probe"] == "text_counterfactual" and probe["verdict"] == "fail"
    female_to_male = next(p for p in probe["pairs"] if p["source_group"] == "female")
    assert female_to_male["flip_rate"] > 0.3 and female_to_male["mean_delta"] > 0
    # Every substitution is kept as a Parquet artifact of the run; its flip rate is the report's.
    artifact = auditor_client.get(f"/api/v1/runs/{run['id']}/artifact/", {"name": probe["artifact"]["name"]})
    table = pd.read_parquet(io.BytesIO(artifact.content))
    pairs = table[(table["set"] == "pair") & (table["source_group"] == "female")]
    assert len(pairs) == female_to_male["n"]
    assert (pairs["decision"] != pairs["counterfactual_decision"]).mean() == pytest.approx(female_to_male["flip_rate"])
    assert set(table["set"]) == {"pair", "control"}


def test_no_artifact_is_kept_when_the_plan_switches_examples_off(
    auditor_client, eager_celery, django_capture_on_commit_callbacks
):
    frame = _sentences(n=300)
    form = upload_form(
        csv_upload(frame), decision_column="", favourable_decision=[], outcome_column="label",
        favourable_outcome=["ok"], protected=["group"], text_column="text",
    )  # fmt: skip
    dataset = auditor_client.post("/api/v1/datasets/", form, format="multipart").json()
    model = auditor_client.post(
        "/api/v1/models/", {"file": _text_model(frame), "favourable": ["ok"], "dataset": dataset["id"]}, "multipart"
    ).json()
    plan = auditor_client.post(
        "/api/v1/plans/",
        {"dataset": dataset["id"], "model": model["id"], "n_boot": 200, "probes": ["text_counterfactual"],
         "probe_settings": {"include_examples": False, "max_text_rows": 150, "attributions": True,
                            "attribution_budget": 3}},
        format="json",
    ).json()  # fmt: skip

    with django_capture_on_commit_callbacks(execute=True):
        run = auditor_client.post(f"/api/v1/plans/{plan['id']}/run/").json()

    document = AuditReport.objects.get(run_id=run["id"]).document
    (probe,) = document["probes"]
    assert probe["examples"] == [] and probe["artifact"] is None
    # The score-only model is explained by occlusion; without example pairs no text is rendered either.
    (attribution,) = document["attributions"]
    assert attribution["method"] == "occlusion" and attribution["n_pairs"] >= 1
    assert attribution["rendered"] == []
    # The plan's cap on the text probe's rows took effect, and the report states every setting the run used.
    assert probe["max_rows"] == 150 and probe["n_boot"] == 200
    recorded = document["plan"]["probe_settings"]
    assert recorded == plan["probe_settings"] and recorded["include_examples"] is False
    assert (recorded["max_text_rows"], recorded["max_n_boot"], recorded["sample_read_factor"]) == (150, 2000, 5)


def test_text_probe_needs_a_text_column(auditor_client):
    frame = _sentences(n=200)
    form = upload_form(
        csv_upload(frame),
        decision_column="",
        favourable_decision=[],
        outcome_column="label",
        favourable_outcome=["ok"],
        protected=["group"],
    )
    dataset = auditor_client.post("/api/v1/datasets/", form, format="multipart").json()
    model = auditor_client.post(
        "/api/v1/models/",
        {"file": _text_model(frame), "favourable": ["ok"], "dataset": dataset["id"]},
        format="multipart",
    ).json()

    response = auditor_client.post(
        "/api/v1/plans/",
        {"dataset": dataset["id"], "model": model["id"], "probes": ["text_counterfactual"]},
        format="json",
    )

    assert response.status_code == 400 and "text column" in error_detail(response)


def test_cli_runs_the_text_probe_with_a_named_lexicon(tmp_path, eager_celery, transactional_db, capsys):
    from django.core.management import call_command

    frame = _sentences()
    data, model = tmp_path / "texts.csv", tmp_path / "text.skops"
    frame.to_csv(data, index=False)
    model.write_bytes(_text_model(frame).read())

    call_command(
        "audit",
        "--dataset",
        str(data),
        "--model",
        str(model),
        "--favourable-class",
        "ok",
        "--outcome",
        "label",
        "--favourable-outcome",
        "ok",
        "--protected",
        "group",
        "--text-column",
        "text",
        "--probe",
        "text_counterfactual",
        "--lexicon",
        "gender",
        "--n-boot",
        "200",
    )

    printed = capsys.readouterr().out
    assert "Text counterfactual probe (lexicon:gender): verdict fail" in printed
    assert "female -> male" in printed
