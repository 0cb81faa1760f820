"""Issue 14: a worker loads a transformers folder only after the capped child load of registration succeeded in its
process (audits.execution.model_runner.load_preflight), once per process and model; a folder that does not fit fails
the run (or the what-if) naming AUDIT_MODEL_LOAD_MAX_ADDRESS_BYTES and is never loaded by the worker."""

import json
import subprocess

import pytest
from django.test import Client

import explainers.runners.hf_text as hf_text
from audits.execution.model_runner import load_preflight, model_runner
from audits.models import AuditReport, ModelArtifact
from tests.api_errors import error_detail
from tests.audits.flows.test_hf_models_flow import _register, _run, _zip_folder
from tests.audits.flows.test_text_probe_flow import _sentences, upload_text_dataset
from tests.audits.whatif_fixtures import empty_prediction_cache, text_model
from tests.explainers.runners.hf_fixtures import make_text_classifier

__all__ = ["empty_prediction_cache"]

LOW_LIMIT = 200 * 1024**2  # below what torch alone reserves: the child cannot load any model


@pytest.fixture(autouse=True)
def fresh_worker_process():
    """Each test starts as a new worker process: no model loaded, none preflighted."""
    model_runner.cache_clear()
    load_preflight.cache_clear()
    yield
    model_runner.cache_clear()
    load_preflight.cache_clear()


@pytest.fixture
def children(monkeypatch):
    """The capped child loads started from here (real processes: the call goes through to subprocess.run)."""
    started, real_run = [], subprocess.run

    def counting_run(args, *rest, **kwargs):
        if "explainers.runners.isolated" in args:
            started.append(json.loads(kwargs["input"]))  # the request: role, path, limit
        return real_run(args, *rest, **kwargs)

    monkeypatch.setattr(subprocess, "run", counting_run)
    return started


@pytest.fixture
def worker_loads(monkeypatch):
    """The folders this (worker) process loads itself: each TextClassifierRunner built here."""
    built = []

    class Spy(hf_text.TextClassifierRunner):
        def __init__(self, path, *args, **kwargs):
            built.append(str(path))
            super().__init__(path, *args, **kwargs)

    monkeypatch.setattr(hf_text, "TextClassifierRunner", Spy)
    return built


@pytest.fixture
def registered(auditor_client, tmp_path):
    """A tiny classifier registered under the default limit (its registration load passed), and a dataset."""
    dataset = upload_text_dataset(auditor_client, _sentences(n=400))
    upload = _zip_folder(make_text_classifier(tmp_path / "clf"))
    model = _register(auditor_client, upload, favourable=["positive"], dataset=dataset["id"])
    assert model.status_code == 201, model.json()
    plan = auditor_client.post(
        "/api/v1/plans/", {"dataset": dataset["id"], "model": model.json()["id"], "n_boot": 200}, format="json"
    ).json()
    return ModelArtifact.objects.get(), plan


def test_a_folder_that_no_longer_loads_within_the_limit_fails_the_run_naming_it_and_the_worker_never_loads_it(
    auditor_client, auditor, registered, settings, children, worker_loads, eager_celery,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    model, plan = registered
    before = len(children)
    settings.AUDIT_MODEL_LOAD_MAX_ADDRESS_BYTES = LOW_LIMIT  # on the workers, after registration

    with django_capture_on_commit_callbacks(execute=True):
        run = auditor_client.post(f"/api/v1/plans/{plan['id']}/run/").json()

    state = auditor_client.get(f"/api/v1/runs/{run['id']}/").json()
    assert state["status"] == "failed"
    assert "AUDIT_MODEL_LOAD_MAX_ADDRESS_BYTES" in state["error"] and "0.2 GiB" in state["error"]
    assert not AuditReport.objects.filter(run_id=run["id"]).exists()
    (child,) = children[before:]  # the worker's preflight: the registered folder, under the low limit
    assert child["path"] == model.path and child["max_address_bytes"] == LOW_LIMIT
    assert worker_loads == [] and model_runner.cache_info().currsize == 0  # the worker never loaded the folder
    page = Client()
    page.force_login(auditor)
    shown = page.get(f"/runs/{run['id']}/").content.decode()
    summary = shown.split('role="alert"', 1)[1].split("</div>", 1)[0]  # the message shown above the details
    assert "The worker did not load the model" in summary and "AUDIT_MODEL_LOAD_MAX_ADDRESS_BYTES" in summary
    assert "Traceback" not in shown


def test_a_folder_that_loads_within_the_limit_passes_the_preflight_and_the_run_completes(
    auditor_client, registered, children, worker_loads, eager_celery, django_capture_on_commit_callbacks
):
    model, plan = registered
    before = len(children)  # registration's own capped load

    report = _run(auditor_client, plan, django_capture_on_commit_callbacks)

    assert report.document["subject"]["model"]["sha256"] == model.sha256
    assert len(children) - before == 1  # the worker's preflight
    assert worker_loads == [model.path]  # then loaded once in the worker itself


def test_the_preflight_runs_once_per_process_and_model(registered, children, settings):
    model, _ = registered
    before = len(children)

    first = model_runner(model.kind, model.path, model.sha256, "positive", "text")
    model_runner.cache_clear()  # the loaded runner evicted (model_runner keeps four): the preflight is remembered
    second = model_runner(model.kind, model.path, model.sha256, "positive", "text")

    assert first is not second and len(children) - before == 1
    assert load_preflight.cache_info().currsize == 1
    settings.AUDIT_WORKER_LOAD_PREFLIGHT = False
    load_preflight.cache_clear()
    model_runner.cache_clear()
    model_runner(model.kind, model.path, model.sha256, "positive", "text")
    assert len(children) - before == 1  # switched off: no child


def test_the_what_if_goes_through_the_same_preflight(auditor_client, auditor, workspace, tmp_path, settings, children,
                                                      worker_loads, eager_celery, empty_prediction_cache):  # fmt: skip
    model = text_model(auditor, workspace, tmp_path / "models" / "tiny", settings)
    settings.AUDIT_MODEL_LOAD_MAX_ADDRESS_BYTES = LOW_LIMIT

    response = auditor_client.post(
        f"/api/v1/models/{model.pk}/what-if/", {"text": "she is a good doctor", "lexicon": "gender"}, format="json"
    )

    assert response.status_code == 400, response.json()
    assert "AUDIT_MODEL_LOAD_MAX_ADDRESS_BYTES" in error_detail(response)
    assert worker_loads == []
