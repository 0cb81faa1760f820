"""Issue 14: an uploaded transformers folder above AUDIT_INGEST_INLINE_MAX_BYTES passes its content checks in the
request, answers 202 `validating`, and is loaded and smoke-tested by the worker's half (model_register_complete,
called here; tests/integration/test_ingest_worker.py runs it on a real worker): ready, or refused with the reason."""

from pathlib import Path

import pytest
import torch

from audits.models import AuditEvent, ModelArtifact
from audits.services.models import model_register_complete
from tests.api_errors import error_attr, error_detail
from tests.audits.flows.test_hf_models_flow import _register, _zip_folder
from tests.explainers.runners.hf_fixtures import make_text_classifier


@pytest.fixture(autouse=True)
def _small_inline_limit(settings):
    settings.AUDIT_INGEST_INLINE_MAX_BYTES = 1_000  # every tiny test model is "large" here


def test_a_large_model_upload_answers_202_validating_then_the_worker_makes_it_ready(
    auditor_client, tmp_path, django_capture_on_commit_callbacks
):
    response = _register(auditor_client, _zip_folder(make_text_classifier(tmp_path / "clf")), favourable=["positive"])

    assert response.status_code == 202, response.content
    body = response.json()
    assert body["status"] == "validating" and body["config"]["smoke"] is None
    assert not AuditEvent.objects.filter(action="model.registered").exists()
    plan = auditor_client.post("/api/v1/plans/", {"model": body["id"], "probes": ["text_probe"]}, format="json")
    assert plan.status_code == 400 and error_attr(plan) == "model" and "still being loaded" in error_detail(plan)

    with django_capture_on_commit_callbacks(execute=True):
        model = model_register_complete(model_id=body["id"])

    assert model.status == "ready" and model.config["smoke"]["rows"] > 0
    assert model.config["labels"] == ["negative", "positive"]
    assert AuditEvent.objects.get(action="model.registered").object_id == str(model.pk)
    assert auditor_client.get(f"/api/v1/models/{model.pk}/").json()["status"] == "ready"
    assert model_register_complete(model_id=model.pk) is None  # a redelivered message does nothing twice


def test_a_large_model_with_an_unexpected_weight_is_refused_by_the_worker_and_its_folder_removed(
    auditor_client, tmp_path, settings, django_capture_on_commit_callbacks
):
    from safetensors.torch import load_file, save_file

    folder = make_text_classifier(tmp_path / "extra")
    weights = load_file(str(folder / "model.safetensors"))
    save_file({**weights, "smuggled.weight": torch.zeros(8, 8)}, str(folder / "model.safetensors"))
    response = _register(auditor_client, _zip_folder(folder), favourable=["positive"], name="extra")
    assert response.status_code == 202, response.content
    stored = Path(ModelArtifact.objects.get(pk=response.json()["id"]).path)
    assert stored.is_dir()

    with django_capture_on_commit_callbacks(execute=True):
        model = model_register_complete(model_id=response.json()["id"])

    assert model.status == "refused" and "unexpected weight" in model.status_reason
    assert "smuggled.weight" in model.status_reason and model.path == "" and not stored.exists()
    event = AuditEvent.objects.get(action="model.refused")
    assert event.object_id == str(model.pk) and "smuggled.weight" in event.after["reason"]
    assert not AuditEvent.objects.filter(action="model.registered").exists()
    body = auditor_client.get(f"/api/v1/models/{model.pk}/").json()
    assert body["status"] == "refused" and "smuggled.weight" in body["status_reason"]


def test_the_config_bomb_uploaded_large_is_refused_by_the_worker_naming_the_problem(
    auditor_client, tmp_path, django_capture_on_commit_callbacks
):
    """The weights-fit-config check builds the model on torch's meta device, so it runs where torch may load: in the
    capped child process (inline uploads) or on the worker (deferred ones), never in the web process."""
    from tests.audits.flows.test_hf_models_flow import _config_bomb

    response = _register(auditor_client, _zip_folder(_config_bomb(tmp_path / "bomb")), favourable=["positive"])
    assert response.status_code == 202, response.content

    with django_capture_on_commit_callbacks(execute=True):
        model = model_register_complete(model_id=response.json()["id"])

    assert model.status == "refused" and "config.json declares a model of" in model.status_reason
    assert "the weights do not match the config" in model.status_reason


def test_a_pickle_in_a_large_upload_is_still_refused_in_the_request(auditor_client, tmp_path):
    from tests.explainers.runners.hf_fixtures import marker_pickle

    folder = make_text_classifier(tmp_path / "clf")
    upload = _zip_folder(folder, extra={"innocent.json": marker_pickle(tmp_path / "ran")})

    response = _register(auditor_client, upload, favourable=["positive"], name="pickled")

    assert response.status_code == 400, response.content
    assert not ModelArtifact.objects.filter(name="pickled").exists()
