"""Issue 14, ingestion off the request path, with a real Celery worker process: a large upload answers 202
`validating` at once and the worker makes it `ready` (or `refused`, saying why); the web process never parses it."""

import time

import pytest

from audits.models import AuditEvent, Dataset
from tests.factories import credit_frame, csv_upload, upload_form

pytestmark = pytest.mark.integration

URL = "/api/v1/datasets/"


def _decided(client, dataset_id: int, timeout: float = 120) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        body = client.get(f"{URL}{dataset_id}/").json()
        if body["status"] != "validating":
            return body
        time.sleep(0.3)
    raise AssertionError(f"dataset {dataset_id} is still validating: {body}")


def test_a_large_csv_goes_from_validating_to_ready_on_the_worker_and_can_then_be_audited(
    celery_workers, auditor_client, settings
):
    settings.AUDIT_INGEST_INLINE_MAX_BYTES = 4_000  # the 600-row file (~12 KB) is "large" for this web process
    celery_workers(1)
    frame = credit_frame()

    response = auditor_client.post(URL, upload_form(csv_upload(frame)), format="multipart")

    assert response.status_code == 202, response.content
    queued = response.json()
    assert queued["status"] == "validating" and queued["model"] is None and queued["protected_attributes"] == []
    body = _decided(auditor_client, queued["id"])
    assert body["status"] == "ready" and body["status_reason"] == "" and body["n_rows"] == 600
    sex = next(a for a in body["protected_attributes"] if a["name"] == "sex")
    assert sorted(sex["groups"]) == sorted(frame["sex"].unique())
    assert body["profile"]["protected"]["sex"]["group_sizes"] == frame["sex"].value_counts().to_dict()
    assert AuditEvent.objects.filter(action="dataset.created", object_id=str(queued["id"])).count() == 1
    plan = auditor_client.post(
        "/api/v1/plans/", {"dataset": queued["id"], "model": body["decisions_model"], "n_boot": 100}, format="json"
    )
    assert plan.status_code == 201, plan.content


def test_a_cells_bomb_goes_from_validating_to_refused_with_the_reason_on_the_worker(
    celery_workers, auditor_client, settings, monkeypatch
):
    settings.AUDIT_INGEST_INLINE_MAX_BYTES = 4_000
    monkeypatch.setenv("AUDIT_UPLOAD_MAX_CELLS", "1000")  # the worker's budget: 600 rows x 4 columns is over it
    celery_workers(1)

    response = auditor_client.post(URL, upload_form(csv_upload(credit_frame())), format="multipart")

    assert response.status_code == 202 and response.json()["status"] == "validating"
    body = _decided(auditor_client, response.json()["id"])
    assert body["status"] == "refused"
    assert "2,400 values" in body["status_reason"] and "AUDIT_UPLOAD_MAX_CELLS" in body["status_reason"]
    dataset = Dataset.objects.get(pk=body["id"])
    assert dataset.file.name == "" and not AuditEvent.objects.filter(action="dataset.created").exists()
    assert AuditEvent.objects.get(action="dataset.refused").object_id == str(dataset.pk)


def test_a_large_model_upload_goes_from_validating_to_ready_on_the_worker(
    celery_workers, auditor_client, settings, tmp_path
):
    from tests.audits.flows.test_hf_models_flow import _register, _zip_folder
    from tests.explainers.runners.hf_fixtures import make_text_classifier

    settings.AUDIT_INGEST_INLINE_MAX_BYTES = 1_000  # the tiny classifier's folder is "large" for this web process
    celery_workers(1)

    response = _register(auditor_client, _zip_folder(make_text_classifier(tmp_path / "clf")), favourable=["positive"])

    assert response.status_code == 202 and response.json()["status"] == "validating", response.content
    model_id = response.json()["id"]
    deadline = time.monotonic() + 180
    while (body := auditor_client.get(f"/api/v1/models/{model_id}/").json())["status"] == "validating":
        assert time.monotonic() < deadline, body
        time.sleep(0.5)
    assert body["status"] == "ready", body["status_reason"]
    assert body["config"]["labels"] == ["negative", "positive"] and body["config"]["smoke"]["rows"] > 0
    assert AuditEvent.objects.filter(action="model.registered", object_id=str(model_id)).count() == 1
