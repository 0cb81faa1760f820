"""model_register: every source through one service, its trail event, refusals that keep nothing, text pipelines."""

import io
import pickle
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import skops.io as sio
from django.core.files.uploadedfile import SimpleUploadedFile
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline

from audits.exceptions import ApplicationError
from audits.models import AuditEvent, AuditReport, ModelArtifact
from audits.services.audit_runs import audit_run_create
from audits.services.datasets import dataset_create
from audits.services.models import DecisionColumn, ModelFile, ModelServerPath, model_register
from audits.services.plans import audit_plan_create
from audits.services.workspaces import workspace_create
from explainers.runners.hf_files import inspect_hf_directory
from tests.explainers.runners.hf_fixtures import make_text_classifier
from tests.factories import credit_frame, csv_upload

SUBJECTS = {"female": ["she", "her mother", "the woman"], "male": ["he", "his father", "the man"]}
REST = ["is a nurse", "writes code", "leads the team", "cooks dinner", "fixes cars", "teaches maths"]


def _sentences(n=1200, seed=2) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    group = rng.choice(["female", "male"], size=n)
    text = [f"{rng.choice(SUBJECTS[g])} {rng.choice(REST)}" for g in group]
    # Planted bias: texts about women are labelled toxic far more often.
    label = np.where(rng.random(n) < np.where(group == "female", 0.8, 0.1), "toxic", "ok")
    return pd.DataFrame({"text": text, "group": group, "label": label})


def bare_tfidf_upload(frame: pd.DataFrame, name: str = "tfidf.skops") -> SimpleUploadedFile:
    """The most common text model: TF-IDF + logistic regression fitted on a plain list of strings."""
    model = Pipeline([("tfidf", TfidfVectorizer()), ("classify", LogisticRegression(max_iter=500))])
    model.fit(frame["text"].tolist(), frame["label"])
    assert not hasattr(model, "feature_names_in_")
    return SimpleUploadedFile(name, sio.dumps(model))


def _text_dataset(user, workspace, frame, *, text_column="text"):
    dataset, _ = dataset_create(
        user=user,
        workspace=workspace,
        name="texts",
        upload=csv_upload(frame, name="texts.csv"),
        protected=[("group", "")],
        outcome_column="label",
        outcome_favourable=["ok"],
        text_column=text_column,
    )
    return dataset


def _credit_dataset(user, workspace):
    dataset, _ = dataset_create(
        user=user, workspace=workspace, name="credit", upload=csv_upload(credit_frame()), protected=[("sex", "")],
        outcome_column="repaid", outcome_favourable=["1"],
    )  # fmt: skip
    return dataset


def _registered_event(model) -> AuditEvent:
    (event,) = AuditEvent.objects.filter(action="model.registered", object_id=str(model.pk))
    return event


def _nothing_kept(media_root: Path, models_before: int, events_before: int) -> None:
    assert ModelArtifact.objects.count() == models_before
    assert AuditEvent.objects.filter(action="model.registered").count() == events_before
    stored = [p for p in (media_root / "models").rglob("*") if p.is_file()] if (media_root / "models").exists() else []
    assert stored == []


def test_a_skops_file_is_registered_with_its_trail_event(auditor, workspace):
    frame = _sentences(n=300)
    dataset = _text_dataset(auditor, workspace, frame)

    model = model_register(
        actor=auditor, source=ModelFile(bare_tfidf_upload(frame)), dataset=dataset, favourable=["ok"], request_id="r1"
    )

    assert model.kind == "skops_pipeline" and model.workspace == workspace and model.decision_favourable == ["ok"]
    event = _registered_event(model)
    assert event.workspace_id == workspace.pk and event.actor == auditor and event.request_id == "r1"
    assert event.after["sha256"] == model.sha256


def test_a_zipped_transformers_folder_is_told_apart_by_content(auditor, workspace, tmp_path):
    folder = make_text_classifier(tmp_path / "clf")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for item in sorted(folder.rglob("*")):
            archive.write(item, f"clf/{item.relative_to(folder).as_posix()}")
    upload = SimpleUploadedFile("classifier.skops", buffer.getvalue())  # the name says skops; the content decides

    model = model_register(actor=auditor, workspace=workspace, source=ModelFile(upload), favourable=["positive"])

    assert model.kind == "hf_classifier" and model.sha256 == inspect_hf_directory(folder).sha256
    assert model.name == "classifier"
    assert _registered_event(model).workspace_id == workspace.pk


def test_a_server_folder_is_registered_from_an_allowed_root(auditor, workspace, tmp_path, settings):
    folder = make_text_classifier(tmp_path / "roots" / "clf")
    settings.AUDIT_MODEL_PATH_ROOTS = [str(tmp_path / "roots")]

    model = model_register(
        actor=auditor, workspace=workspace, source=ModelServerPath(str(folder)), favourable=["positive"]
    )

    assert model.kind == "hf_classifier" and model.path == str(folder.resolve()) and model.name == "clf"
    assert _registered_event(model).workspace_id == workspace.pk


def test_decisions_in_a_dataset_column_are_registered_in_the_dataset_workspace(auditor, workspace):
    dataset = _credit_dataset(auditor, workspace)

    model = model_register(
        actor=auditor, source=DecisionColumn("decision"), dataset=dataset, favourable=["approve", " "]
    )

    assert model.kind == "dataset_decisions" and model.workspace == workspace and model.dataset == dataset
    assert model.decision_favourable == ["approve"]
    assert _registered_event(model).workspace_id == workspace.pk


@pytest.mark.parametrize(
    ("case", "field"),
    [
        ("skops without favourable class", "favourable"),
        ("decisions without dataset", "dataset"),
        ("decisions without favourable values", "favourable"),
        ("unknown decision column", "decision_column"),
        ("two favourable classes", "favourable"),
        ("no workspace and no dataset", "workspace"),
        ("dataset of another workspace", "dataset"),
        ("pickle", "file"),
        ("folder without favourable class", "favourable"),
    ],
)
def test_a_refused_registration_stores_nothing_and_writes_no_event(auditor, workspace, tmp_path, settings, case, field):
    frame = _sentences(n=200)
    dataset = _text_dataset(auditor, workspace, frame)
    elsewhere = workspace_create(name="Elsewhere", slug="elsewhere", owner=auditor)
    folder_zip = io.BytesIO()
    with zipfile.ZipFile(folder_zip, "w") as archive:
        for item in sorted(make_text_classifier(tmp_path / "clf").rglob("*")):
            archive.write(item, f"clf/{item.relative_to(tmp_path / 'clf').as_posix()}")
    calls = {
        "skops without favourable class": {"source": ModelFile(bare_tfidf_upload(frame)), "dataset": dataset},
        "decisions without dataset": {"source": DecisionColumn("label"), "workspace": workspace, "favourable": ["ok"]},
        "decisions without favourable values": {"source": DecisionColumn("label"), "dataset": dataset},
        "unknown decision column": {"source": DecisionColumn("verdict"), "dataset": dataset, "favourable": ["ok"]},
        "two favourable classes": {
            "source": ModelFile(bare_tfidf_upload(frame)), "dataset": dataset, "favourable": ["ok", "toxic"]
        },
        "no workspace and no dataset": {"source": ModelFile(bare_tfidf_upload(frame)), "favourable": ["ok"]},
        "dataset of another workspace": {
            "source": ModelFile(bare_tfidf_upload(frame)), "workspace": elsewhere, "dataset": dataset,
            "favourable": ["ok"],
        },
        "pickle": {"source": ModelFile(SimpleUploadedFile("m.skops", pickle.dumps({"a": 1}))), "dataset": dataset,
                   "favourable": ["ok"]},
        "folder without favourable class": {
            "source": ModelFile(SimpleUploadedFile("clf.zip", folder_zip.getvalue())), "workspace": workspace
        },
    }  # fmt: skip
    models_before = ModelArtifact.objects.count()
    events_before = AuditEvent.objects.filter(action="model.registered").count()

    with pytest.raises(ApplicationError) as caught:
        model_register(actor=auditor, **calls[case])

    assert caught.value.field == field, caught.value.message
    _nothing_kept(Path(settings.MEDIA_ROOT), models_before, events_before)


def test_a_bare_tfidf_pipeline_needs_a_text_column_and_keeps_nothing_without_one(auditor, workspace, settings):
    frame = _sentences(n=200)
    dataset = _credit_dataset(auditor, workspace)  # declares no text column

    with pytest.raises(ApplicationError) as caught:
        model_register(actor=auditor, source=ModelFile(bare_tfidf_upload(frame)), dataset=dataset, favourable=["ok"])

    assert caught.value.field == "text_column" and "text_column" in caught.value.message
    _nothing_kept(Path(settings.MEDIA_ROOT), 0, 0)


def test_a_bare_tfidf_pipeline_named_column_must_be_in_the_dataset(auditor, workspace):
    frame = _sentences(n=200)
    dataset = _text_dataset(auditor, workspace, frame)

    with pytest.raises(ApplicationError) as caught:
        model_register(
            actor=auditor, source=ModelFile(bare_tfidf_upload(frame)), dataset=dataset, favourable=["ok"],
            text_column="review",
        )  # fmt: skip

    assert caught.value.field == "text_column" and "review" in caught.value.message


def test_a_model_fitted_on_unnamed_features_is_refused_naming_why(auditor, workspace):
    model = LogisticRegression().fit(np.random.default_rng(0).random((20, 3)), ["a", "b"] * 10)
    upload = SimpleUploadedFile("array.skops", sio.dumps(model))

    with pytest.raises(ApplicationError) as caught:
        model_register(actor=auditor, workspace=workspace, source=ModelFile(upload), favourable=["a"])

    assert caught.value.field == "file" and "DataFrame" in caught.value.message


def test_a_bare_tfidf_pipeline_without_a_dataset_is_smoke_tested_on_sample_texts(auditor, workspace):
    model = model_register(
        actor=auditor, workspace=workspace, source=ModelFile(bare_tfidf_upload(_sentences(n=200))),
        favourable=["ok"], text_column="comment",
    )  # fmt: skip

    assert model.config["text_column"] == "comment" and model.config["feature_columns"] == ["comment"]
    assert model.config["smoke"]["rows"] == 3


def test_a_bare_tfidf_pipeline_is_audited_end_to_end_with_metrics_and_the_text_probe(
    auditor, workspace, eager_celery, django_capture_on_commit_callbacks
):
    frame = _sentences()
    dataset = _text_dataset(auditor, workspace, frame)
    model = model_register(
        actor=auditor, source=ModelFile(bare_tfidf_upload(frame)), dataset=dataset, favourable=["ok"]
    )
    assert model.config["text_column"] == "text" and model.config["feature_columns"] == ["text"]
    assert model.config["smoke"]["rows"] > 0
    plan = audit_plan_create(user=auditor, dataset=dataset, model=model, n_boot=200, probes=["text_counterfactual"])

    with django_capture_on_commit_callbacks(execute=True):
        run = audit_run_create(user=auditor, plan=plan)

    run.refresh_from_db()
    assert run.status == "succeeded", run.error
    document = AuditReport.objects.get(run=run).document
    selection = {r["group"]: r for r in document["results"] if r["metric"] == "disparate_impact"}
    assert set(selection) >= {"female"}
    assert selection["female"]["value"] < 0.8  # the planted bias shows in the model's own decisions
    (probe,) = document["probes"]
    assert probe["probe"] == "text_counterfactual" and probe["verdict"] == "fail"
    female_to_male = next(p for p in probe["pairs"] if p["source_group"] == "female")
    assert female_to_male["flip_rate"] > 0.3 and female_to_male["mean_delta"] > 0
