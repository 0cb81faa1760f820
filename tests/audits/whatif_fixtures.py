"""Models for the what-if tests, registered through the services as users register them: a tabular skops
pipeline on an applicants dataset (planted sex bias), and a tiny transformers text classifier (integrated
gradients). The predictions cache is emptied first, so every test computes its what-ifs."""

from pathlib import Path

import pytest
import skops.io as sio
from django.core.cache import caches
from django.core.files.uploadedfile import SimpleUploadedFile
from sklearn.compose import make_column_transformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder

from audits.services.datasets import dataset_create
from audits.services.models import ModelFile, ModelServerPath, model_register
from tests.audits.flows.test_models_and_probes import _applicants
from tests.explainers.runners.hf_fixtures import make_text_classifier
from tests.factories import csv_upload


def applicants_dataset(user, workspace, name="Applicants"):
    frame = _applicants(n=600)
    dataset, _ = dataset_create(
        user=user, workspace=workspace, upload=csv_upload(frame, f"{name.lower()}.csv"), name=name,
        outcome_column="outcome", outcome_favourable=["grant"], protected=[("sex", ""), ("age_band", "")],
    )  # fmt: skip
    return dataset, frame


def tabular_model(user, workspace, dataset, frame, name="Applicant pipeline"):
    prepare = make_column_transformer((OneHotEncoder(handle_unknown="ignore"), ["sex"]), ("passthrough", ["income"]))
    model = make_pipeline(prepare, LogisticRegression(max_iter=500)).fit(frame[["sex", "income"]], frame["outcome"])
    upload = SimpleUploadedFile("applicants.skops", sio.dumps(model))
    return model_register(
        actor=user, source=ModelFile(upload), workspace=workspace, dataset=dataset, favourable=["grant"], name=name
    )


def text_model(user, workspace, folder: Path, settings, name="Tiny sentiment"):
    make_text_classifier(folder)
    settings.AUDIT_MODEL_PATH_ROOTS = [str(folder.parent)]
    return model_register(
        actor=user, source=ModelServerPath(str(folder)), workspace=workspace, favourable=["positive"], name=name
    )


@pytest.fixture
def empty_prediction_cache():
    caches["predictions"].clear()
    yield
    caches["predictions"].clear()
