"""Transformers folders through the API and Celery: safe registration, the gpu queue, probes, the shared cache."""

import hashlib
import io
import zipfile
from pathlib import Path

import pandas as pd
import pytest
import torch
from django.core.files.uploadedfile import SimpleUploadedFile

from audits.models import AuditEvent, AuditReport, ModelArtifact
from audits.reports.schema import report_errors
from explainers.runners.hf_files import inspect_hf_directory
from tests.api_errors import error_detail
from tests.audits.flows.test_text_probe_flow import _sentences, upload_text_dataset
from tests.explainers.runners.hf_fixtures import make_causal_lm, make_text_classifier, marker_pickle


def _zip_folder(folder: Path, name: str = "model.zip", extra: dict | None = None) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for item in sorted(folder.rglob("*")):
            if item.is_file() and item.relative_to(folder).as_posix() not in (extra or {}):
                archive.write(item, f"{folder.name}/{item.relative_to(folder).as_posix()}")
        for entry, data in (extra or {}).items():
            archive.writestr(f"{folder.name}/{entry}", data)
    return SimpleUploadedFile(name, buffer.getvalue())


@pytest.fixture
def text_dataset(auditor_client):
    return upload_text_dataset(auditor_client, _sentences(n=400))


def _register(client, upload, **fields):
    return client.post("/api/v1/models/", {"file": upload, "workspace": "credit-risk", **fields}, format="multipart")


def _run(client, plan: dict, capture) -> AuditReport:
    assert "id" in plan, plan
    with capture(execute=True):
        run = client.post(f"/api/v1/plans/{plan['id']}/run/")
    assert run.status_code == 202
    state = client.get(f"/api/v1/runs/{run.json()['id']}/").json()
    assert state["status"] == "succeeded", state["error"]
    return AuditReport.objects.get(run_id=run.json()["id"])


def test_a_zipped_classifier_is_registered_with_its_fingerprint(auditor_client, text_dataset, tmp_path, settings):
    folder = make_text_classifier(tmp_path / "clf")

    response = _register(
        auditor_client, _zip_folder(folder), favourable=["positive"], dataset=text_dataset["id"], name="tiny"
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["kind"] == "hf_classifier"
    assert body["sha256"] == inspect_hf_directory(folder).sha256
    assert body["config"]["labels"] == ["negative", "positive"]
    assert body["config"]["smoke"]["rows"] == 20
    assert {"torch", "transformers"} <= set(body["framework_versions"])
    stored = Path(ModelArtifact.objects.get().path)
    assert stored.is_relative_to(Path(settings.MEDIA_ROOT)) and (stored / "config.json").is_file()
    assert AuditEvent.objects.filter(action="model.registered", object_id=str(body["id"])).exists()


def test_a_pickle_inside_a_model_folder_is_refused_and_never_run(auditor_client, tmp_path, settings):
    folder = make_text_classifier(tmp_path / "clf")
    marker = tmp_path / "pwned"
    for name in ("model.safetensors", "pytorch_model.bin", "tokenizer_extra.json"):
        upload = _zip_folder(folder, extra={name: marker_pickle(marker)})

        response = _register(auditor_client, upload, favourable=["positive"])

        assert response.status_code == 400, name
        assert "pickle" in error_detail(response) or "refused" in error_detail(response).lower()
    assert not marker.exists()
    assert not ModelArtifact.objects.exists()
    leftovers = list((Path(settings.MEDIA_ROOT) / "models").rglob("config.json"))
    assert leftovers == []


def test_an_unknown_favourable_class_names_the_labels_and_keeps_nothing(auditor_client, tmp_path, settings):
    folder = make_text_classifier(tmp_path / "clf")

    response = _register(auditor_client, _zip_folder(folder), favourable=["approve"])

    assert response.status_code == 400
    assert "negative" in error_detail(response) and "positive" in error_detail(response)
    assert not ModelArtifact.objects.exists()
    assert list((Path(settings.MEDIA_ROOT) / "models").rglob("config.json")) == []


def test_server_paths_outside_the_allowed_roots_are_refused(auditor_client, tmp_path, settings):
    folder = make_text_classifier(tmp_path / "shared" / "clf")
    form = {"path": str(folder), "workspace": "credit-risk", "favourable": ["positive"]}

    refused = auditor_client.post("/api/v1/models/", form, format="json")
    settings.AUDIT_MODEL_PATH_ROOTS = [str(tmp_path / "shared")]
    accepted = auditor_client.post("/api/v1/models/", form, format="json")

    assert refused.status_code == 400 and "AUDIT_MODEL_PATH_ROOTS" in error_detail(refused)
    assert accepted.status_code == 201, accepted.json()
    assert accepted.json()["sha256"] == inspect_hf_directory(folder).sha256


def test_classifier_audit_runs_metrics_and_the_text_probe_on_the_gpu_queue(
    auditor_client, text_dataset, tmp_path, eager_celery, django_capture_on_commit_callbacks
):
    from audits.services.audit_runs import _queue

    folder = make_text_classifier(tmp_path / "clf")
    model = _register(auditor_client, _zip_folder(folder), favourable=["positive"], dataset=text_dataset["id"]).json()
    plan = auditor_client.post(
        "/api/v1/plans/",
        {"dataset": text_dataset["id"], "model": model["id"], "n_boot": 200, "probes": ["text_counterfactual"]},
        format="json",
    ).json()

    report = _run(auditor_client, plan, django_capture_on_commit_callbacks)

    document = report.document
    assert report_errors(document) == []
    assert _queue(report.run_id) == "gpu"
    assert document["subject"]["model"]["kind"] == "hf_classifier"
    assert {r["metric"] for r in document["results"]} >= {"disparate_impact", "equal_opportunity_difference"}
    (probe,) = document["probes"]
    assert probe["probe"] == "text_counterfactual" and probe["n_rows"] > 0
    assert document["fingerprints"]["device"] == "cpu"


def test_probes_that_do_not_fit_the_model_kind_are_refused(auditor_client, text_dataset, tmp_path):
    folder = make_text_classifier(tmp_path / "clf")
    model = _register(auditor_client, _zip_folder(folder), favourable=["positive"], dataset=text_dataset["id"]).json()

    wrong_probe = auditor_client.post(
        "/api/v1/plans/", {"dataset": text_dataset["id"], "model": model["id"], "probes": ["crows_pairs"]}, "json"
    )
    no_dataset = auditor_client.post(
        "/api/v1/plans/", {"model": model["id"], "probes": ["text_counterfactual"]}, "json"
    )

    assert wrong_probe.status_code == 400 and "crows_pairs" in error_detail(wrong_probe)
    assert no_dataset.status_code == 400 and "needs a dataset" in error_detail(no_dataset)


def test_a_causal_lm_is_probed_without_a_dataset_and_the_cache_serves_the_re_audit(
    auditor_client, tmp_path, eager_celery, django_capture_on_commit_callbacks
):
    from audits.execution.model_runner import model_runner

    folder = make_causal_lm(tmp_path / "lm")
    model = _register(auditor_client, _zip_folder(folder))
    assert model.status_code == 201, model.json()
    assert model.json()["kind"] == "hf_causal_lm"
    settings = {"max_pairs": 60, "max_templates": 10}
    plan = auditor_client.post(
        "/api/v1/plans/",
        {"model": model.json()["id"], "probes": ["crows_pairs", "discrim_eval"], "probe_settings": settings},
        format="json",
    ).json()

    first = _run(auditor_client, plan, django_capture_on_commit_callbacks)
    model_runner.cache_clear()  # a new worker process: only the shared (Redis) prediction cache remains
    second = _run(auditor_client, plan, django_capture_on_commit_callbacks)

    document = first.document
    assert report_errors(document) == []
    assert document["report_type"] == "model_probe_audit" and document["subject"]["dataset"] is None
    crows, decision = document["probes"]
    assert crows["probe"] == "crows_pairs" and crows["n_scored"] == 60
    artifact = auditor_client.get(f"/api/v1/runs/{first.run_id}/artifact/", {"name": crows["artifact"]["name"]})
    assert artifact.status_code == 200
    table = pd.read_parquet(io.BytesIO(artifact.content))
    assert len(table) == crows["artifact"]["rows"] == 60
    assert hashlib.sha256(artifact.content).hexdigest() == crows["artifact"]["sha256"]
    assert (table["stereotype_preferred"].mean() * 100) == pytest.approx(crows["overall"]["score"])
    assert auditor_client.get(f"/api/v1/runs/{first.run_id}/artifact/", {"name": "../../x"}).status_code == 404
    assert {g["name"] for g in crows["bias_types"]} and crows["overall"]["n"] == 60
    assert decision["probe"] == "discrim_eval" and decision["n_templates"] == 10
    assert {a["attribute"] for a in decision["attributes"]} == {"gender", "race", "age"}
    prompts = auditor_client.get(f"/api/v1/runs/{first.run_id}/artifact/", {"name": "discrim_eval"})
    per_prompt = pd.read_parquet(io.BytesIO(prompts.content))
    assert {"template", "logit", "p_yes", "gender", "race", "age"} <= set(per_prompt.columns)
    assert per_prompt["template"].nunique() == decision["n_templates"] == 10
    runner = model_runner(
        "hf_causal_lm", ModelArtifact.objects.get().path, model.json()["sha256"], "", ""
    )  # the runner the second run used
    assert runner.stats["forward_inputs"] == 0 and runner.stats["cache_hits"] > 0
    strip = ("provenance",)
    assert {k: v for k, v in second.document.items() if k not in strip} == {
        k: v for k, v in document.items() if k not in strip
    }


def test_a_model_folder_edited_after_registration_is_refused_by_the_worker(
    auditor_client, text_dataset, tmp_path, eager_celery, django_capture_on_commit_callbacks
):
    import json

    from audits.execution.model_runner import model_runner

    folder = make_text_classifier(tmp_path / "clf")
    model = _register(auditor_client, _zip_folder(folder), favourable=["positive"], dataset=text_dataset["id"]).json()
    stored = Path(ModelArtifact.objects.get().path) / "config.json"
    config = json.loads(stored.read_text())
    stored.write_text(json.dumps({**config, "note": "edited on disk"}))
    model_runner.cache_clear()
    plan = auditor_client.post(
        "/api/v1/plans/", {"dataset": text_dataset["id"], "model": model["id"], "n_boot": 200}, format="json"
    ).json()

    with django_capture_on_commit_callbacks(execute=True):
        run = auditor_client.post(f"/api/v1/plans/{plan['id']}/run/").json()

    state = auditor_client.get(f"/api/v1/runs/{run['id']}/").json()
    assert state["status"] == "failed" and "changed since registration" in state["error"]
    assert not AuditReport.objects.filter(run_id=run["id"]).exists()


def _config_bomb(folder: Path) -> Path:
    """Issue 14's memory bomb: config.json declares vocab_size=250000, hidden_size=1024 (about 1 GB of float32
    weights at load) beside a weight file holding one dummy tensor."""
    import json

    from safetensors.torch import save_file

    make_text_classifier(folder)
    config = json.loads((folder / "config.json").read_text())
    config.update(vocab_size=250_000, hidden_size=1024, intermediate_size=4096, num_attention_heads=16)
    (folder / "config.json").write_text(json.dumps(config))
    (folder / "model.safetensors").unlink()
    save_file({"dummy": torch.zeros(4)}, str(folder / "model.safetensors"))
    return folder


def test_a_config_that_declares_far_more_weights_than_the_files_hold_is_refused_before_loading(
    auditor_client, text_dataset, tmp_path
):
    import resource

    before_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    response = _register(
        auditor_client, _zip_folder(_config_bomb(tmp_path / "bomb")), favourable=["positive"], name="bomb"
    )
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before_kb) / 1024

    assert response.status_code == 400, response.content
    assert "the weights do not match the config" in response.content.decode()
    assert not ModelArtifact.objects.filter(name="bomb").exists()
    assert grown_mb < 300, f"the refusal cost {grown_mb:.0f} MB of peak memory"  # loading would cost ~1,000 MB


def test_a_model_with_missing_weights_is_refused_naming_them(auditor_client, text_dataset, tmp_path):
    from safetensors.torch import load_file, save_file

    folder = make_text_classifier(tmp_path / "partial")
    weights = load_file(str(folder / "model.safetensors"))
    save_file({k: v for k, v in weights.items() if not k.startswith("classifier.")}, str(folder / "model.safetensors"))

    response = _register(auditor_client, _zip_folder(folder), favourable=["positive"], name="partial")

    assert response.status_code == 400, response.content
    text = response.content.decode()
    assert "missing from the files" in text and "classifier.weight" in text
    assert not ModelArtifact.objects.filter(name="partial").exists()


def test_an_uploaded_folder_past_the_workspace_quota_is_refused_and_removed(auditor_client, tmp_path, settings):
    import os

    settings.AUDIT_WORKSPACE_QUOTA_BYTES = 10_000  # below the tiny classifier's weights
    folder = make_text_classifier(tmp_path / "clf")

    response = _register(auditor_client, _zip_folder(folder), favourable=["positive"], name="too-big")

    assert response.status_code == 400 and "AUDIT_WORKSPACE_QUOTA_BYTES" in response.content.decode()
    assert not ModelArtifact.objects.filter(name="too-big").exists()
    models_root = Path(settings.MEDIA_ROOT) / "models"
    assert not any(files for _, _, files in os.walk(models_root))  # the extracted folder is gone


def test_a_model_with_an_unexpected_weight_is_refused_naming_it(auditor_client, text_dataset, tmp_path):
    from safetensors.torch import load_file, save_file

    folder = make_text_classifier(tmp_path / "extra")
    weights = load_file(str(folder / "model.safetensors"))
    save_file({**weights, "smuggled.weight": torch.zeros(8, 8)}, str(folder / "model.safetensors"))

    response = _register(auditor_client, _zip_folder(folder), favourable=["positive"], name="extra")

    assert response.status_code == 400, response.content
    text = response.content.decode()
    assert "unexpected weight" in text and "smuggled.weight" in text
    assert not ModelArtifact.objects.filter(name="extra").exists()


def test_the_config_bomb_is_refused_with_the_web_process_resident_memory_bounded(auditor_client, tmp_path):
    """Measured as resident memory (/proc/self/status VmRSS) of this process, which serves the request: the folder is
    loaded in a child process only."""

    def rss_mb() -> float:
        line = next(x for x in Path("/proc/self/status").read_text().splitlines() if x.startswith("VmRSS:"))
        return int(line.split()[1]) / 1024

    before = rss_mb()
    response = _register(auditor_client, _zip_folder(_config_bomb(tmp_path / "bomb")), favourable=["positive"])
    grown = rss_mb() - before

    assert response.status_code == 400, response.content
    assert "config.json declares a model of" in response.content.decode()
    assert grown < 300, f"the web process grew by {grown:.0f} MB"


def test_a_model_that_does_not_load_within_the_address_space_limit_is_refused_naming_the_limit(
    auditor_client, text_dataset, tmp_path, settings
):
    settings.AUDIT_MODEL_LOAD_MAX_ADDRESS_BYTES = 200 * 1024**2  # below what torch alone reserves
    folder = make_text_classifier(tmp_path / "clf")

    response = _register(auditor_client, _zip_folder(folder), favourable=["positive"], name="capped")

    assert response.status_code == 400, response.content
    assert "AUDIT_MODEL_LOAD_MAX_ADDRESS_BYTES" in response.content.decode()
    assert not ModelArtifact.objects.filter(name="capped").exists()
