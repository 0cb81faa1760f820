"""Uploaded models: only safe skops files load; a tabular counterfactual probe runs through API and Celery."""

import io
import pickle
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import skops.io as sio
from django.core.files.uploadedfile import SimpleUploadedFile
from sklearn.compose import make_column_transformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder

from audits.models import AuditReport, ModelArtifact
from tests.api_errors import error_attr, error_detail
from tests.factories import csv_upload, upload_form


class _WritesMarker:
    """A pickle payload: unpickling it creates the marker file."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return (Path.touch, (self.marker,))


def _applicants(n=1500, seed=5):
    rng = np.random.default_rng(seed)
    sex = rng.choice(["female", "male"], size=n)
    income = rng.normal(50, 15, size=n).round(1)
    # Planted bias: the label depends on sex beyond income.
    label = np.where((income + np.where(sex == "male", 12, 0) + rng.normal(0, 5, n)) > 58, "grant", "refuse")
    return pd.DataFrame(
        {"sex": sex, "age_band": rng.choice(["<40", "40+"], size=n), "income": income, "outcome": label}
    )


def _skops_upload(frame, *, use_sex=True, name="model.skops"):
    features = ["sex", "income"] if use_sex else ["income"]
    prepare = make_column_transformer(
        *([(OneHotEncoder(handle_unknown="ignore"), ["sex"])] if use_sex else []), ("passthrough", ["income"])
    )
    model = make_pipeline(prepare, LogisticRegression(max_iter=500)).fit(frame[features], frame["outcome"])
    return SimpleUploadedFile(name, sio.dumps(model))


@pytest.fixture
def dataset(auditor_client):
    form = upload_form(
        csv_upload(_applicants()),
        decision_column="",
        outcome_column="outcome",
        favourable_outcome=["grant"],
        favourable_decision=[],
        protected=["sex", "age_band"],
    )
    response = auditor_client.post("/api/v1/datasets/", form, format="multipart")
    assert response.status_code == 201, response.json()
    return response.json()


def _register(client, dataset, upload):
    return client.post(
        "/api/v1/models/", {"file": upload, "favourable": ["grant"], "dataset": dataset["id"]}, format="multipart"
    )


def test_pickle_under_any_name_is_refused_and_never_executed(auditor_client, dataset, tmp_path):
    marker = tmp_path / "pwned"
    for name in ["model.skops", "model.pkl", "weights.bin"]:
        upload = SimpleUploadedFile(name, pickle.dumps(_WritesMarker(marker)))

        response = _register(auditor_client, dataset, upload)

        assert response.status_code == 400 and "pickle" in error_detail(response)
    assert not marker.exists()
    assert ModelArtifact.objects.filter(kind="skops_pipeline").count() == 0


def test_zip_carrying_a_pickle_is_refused(auditor_client, dataset, tmp_path):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("archive/data.pkl", pickle.dumps(_WritesMarker(tmp_path / "pwned")))
    response = _register(auditor_client, dataset, SimpleUploadedFile("model.skops", buffer.getvalue()))

    assert response.status_code == 400 and "carrying a pickle" in error_detail(response)


def test_skops_file_with_untrusted_types_is_refused_and_they_are_listed(auditor_client, dataset):
    frame = _applicants()
    model = HistGradientBoostingClassifier(max_iter=5).fit(frame[["income"]], frame["outcome"])

    response = _register(auditor_client, dataset, SimpleUploadedFile("hgb.skops", sio.dumps(model)))

    assert response.status_code == 400 and "TreePredictor" in error_detail(response)


def test_model_that_cannot_predict_on_the_dataset_is_refused(auditor_client, dataset):
    frame = _applicants().rename(columns={"income": "salary"})
    model = make_pipeline(make_column_transformer(("passthrough", ["salary"])), LogisticRegression())
    model.fit(frame[["salary"]], frame["outcome"])

    response = _register(auditor_client, dataset, SimpleUploadedFile("m.skops", sio.dumps(model)))

    assert response.status_code == 400 and "salary" in error_detail(response)


def test_unknown_favourable_class_is_refused(auditor_client, dataset):
    response = auditor_client.post(
        "/api/v1/models/",
        {"file": _skops_upload(_applicants()), "favourable": ["approve"], "dataset": dataset["id"]},
        format="multipart",
    )

    assert response.status_code == 400 and "grant" in error_detail(response)


def _audit(client, dataset, model_id, capture):
    plan = client.post(
        "/api/v1/plans/",
        {"dataset": dataset["id"], "model": model_id, "n_boot": 300, "probes": ["tabular_counterfactual"]},
        format="json",
    )
    assert plan.status_code == 201, plan.json()
    with capture(execute=True):
        run = client.post(f"/api/v1/plans/{plan.json()['id']}/run/").json()
    report = AuditReport.objects.get(run_id=run["id"])
    return report.document


def test_probe_finds_a_planted_sex_bias_and_passes_a_model_without_it(
    auditor_client, dataset, eager_celery, django_capture_on_commit_callbacks
):
    biased = _register(auditor_client, dataset, _skops_upload(_applicants()))
    control = _register(auditor_client, dataset, _skops_upload(_applicants(), use_sex=False))
    assert biased.status_code == 201 and control.status_code == 201, (biased.json(), control.json())
    assert biased.json()["config"]["smoke"]["rows"] > 0

    biased_doc = _audit(auditor_client, dataset, biased.json()["id"], django_capture_on_commit_callbacks)
    control_doc = _audit(auditor_client, dataset, control.json()["id"], django_capture_on_commit_callbacks)

    probe = next(p for p in biased_doc["probes"] if p["attribute"] == "sex")
    assert probe["verdict"] == "fail" and probe["cdr_ci_low"] > 0.05 and probe["protected_is_feature"]
    to_male = next(p for p in probe["pairs"] if (p["source_group"], p["target_group"]) == ("female", "male"))
    assert to_male["delta_ci_low"] > 0
    # Every (row, other group) counterfactual is kept as a Parquet artifact; its mean delta is the report's.
    run_id = AuditReport.objects.get(sha256=biased_doc_sha(biased_doc)).run_id
    artifact = auditor_client.get(f"/api/v1/runs/{run_id}/artifact/", {"name": probe["artifact"]["name"]})
    table = pd.read_parquet(io.BytesIO(artifact.content))
    rows = table[(table["source_group"] == "female") & (table["target_group"] == "male")]
    assert len(table) == probe["artifact"]["rows"] and rows["delta"].mean() == pytest.approx(to_male["mean_delta"])
    control_probe = next(p for p in control_doc["probes"] if p["attribute"] == "sex")
    assert control_probe["causal_discrimination_rate"] == 0 and control_probe["verdict"] == "pass"
    # The model's own decisions and scores feed the group metrics and the score analysis.
    assert biased_doc["subject"]["model"]["kind"] == "skops_pipeline"
    assert next(r for r in biased_doc["results"] if r["metric"] == "disparate_impact" and r["attribute"] == "sex")
    assert biased_doc["score_analysis"]["by_attribute"]["sex"]["analysis"]["auc_by_group"]


def test_probes_need_a_model_that_runs(auditor_client):
    dataset = auditor_client.post(
        "/api/v1/datasets/",
        upload_form(csv_upload(_applicants().assign(decision="approve", repaid=1))),
        format="multipart",
    ).json()

    response = auditor_client.post(
        "/api/v1/plans/",
        {"dataset": dataset["id"], "model": dataset["model"]["id"], "probes": ["tabular_counterfactual"]},
        format="json",
    )

    assert response.status_code == 400 and error_attr(response) == "probes"


def test_cli_registers_a_model_file_and_runs_the_probe(tmp_path, eager_celery, transactional_db, capsys):
    from django.core.management import call_command

    frame = _applicants()
    data = tmp_path / "applicants.csv"
    frame.to_csv(data, index=False)
    model = tmp_path / "model.skops"
    model.write_bytes(_skops_upload(frame).read())

    call_command(
        "audit",
        "--dataset",
        str(data),
        "--model",
        str(model),
        "--favourable-class",
        "grant",
        "--outcome",
        "outcome",
        "--favourable-outcome",
        "grant",
        "--protected",
        "sex",
        "--probe",
        "tabular_counterfactual",
        "--n-boot",
        "200",
    )

    printed = capsys.readouterr().out
    assert "Counterfactual probe on sex" in printed and "fail" in printed


def test_worker_refuses_a_model_file_changed_after_registration(auditor_client, dataset):
    from audits.execution.model_runner import tabular_runner

    model = ModelArtifact.objects.get(pk=_register(auditor_client, dataset, _skops_upload(_applicants())).json()["id"])
    Path(model.file.path).write_bytes(sio.dumps(LogisticRegression()))

    with pytest.raises(ValueError, match="changed since registration"):
        tabular_runner(model.file.path, model.sha256, "grant")


def biased_doc_sha(document: dict) -> str:
    """The stored report of a document (the canonical JSON's sha256)."""
    from audits.canonical import canonical_dumps, sha256_hex

    return sha256_hex(canonical_dumps(document))
