"""Per-workspace storage quota (issue 14): usage is what the workspace's uploads occupy; an upload that would take
it past AUDIT_WORKSPACE_QUOTA_BYTES is refused with a 400 naming the limit, and nothing is stored."""

import os

from audits.models import Dataset, ModelArtifact
from audits.services.storage import workspace_storage_used
from tests.audits.flows.test_models_and_probes import _applicants, _skops_upload
from tests.factories import credit_frame, csv_upload, upload_form


def _stored_files(media_root) -> list[str]:
    return [os.path.join(d, f) for d, _, files in os.walk(media_root) for f in files]


def test_usage_is_the_bytes_of_the_stored_dataset_and_model_files(auditor_client, workspace, _media_root):
    assert workspace_storage_used(workspace=workspace) == 0
    dataset = auditor_client.post("/api/v1/datasets/", upload_form(csv_upload(credit_frame())), format="multipart")
    assert dataset.status_code == 201

    stored = Dataset.objects.get(pk=dataset.json()["id"]).file
    assert workspace_storage_used(workspace=workspace) == os.path.getsize(stored.path) > 0


def test_an_upload_past_the_quota_is_refused_naming_it_and_nothing_is_stored(
    auditor_client, workspace, settings, _media_root
):
    first = auditor_client.post("/api/v1/datasets/", upload_form(csv_upload(credit_frame())), format="multipart")
    used = workspace_storage_used(workspace=workspace)
    settings.AUDIT_WORKSPACE_QUOTA_BYTES = used + 100  # the next Parquet file will not fit
    files_before = _stored_files(_media_root)

    second = auditor_client.post(
        "/api/v1/datasets/", upload_form(csv_upload(credit_frame(n=800, seed=3))), format="multipart"
    )

    assert first.status_code == 201
    assert second.status_code == 400, second.content
    assert "AUDIT_WORKSPACE_QUOTA_BYTES" in second.content.decode()
    assert Dataset.objects.count() == 1 and _stored_files(_media_root) == files_before


def test_a_model_file_past_the_quota_is_refused(auditor_client, workspace, settings, _media_root):
    frame = _applicants(n=300)
    settings.AUDIT_WORKSPACE_QUOTA_BYTES = 1_000  # smaller than any skops file

    response = auditor_client.post(
        "/api/v1/models/",
        {"file": _skops_upload(frame), "favourable": ["grant"], "workspace": "credit-risk"},
        "multipart",
    )

    assert response.status_code == 400, response.content
    assert "AUDIT_WORKSPACE_QUOTA_BYTES" in response.content.decode()
    assert not ModelArtifact.objects.filter(kind="skops_pipeline").exists() and _stored_files(_media_root) == []


def test_no_quota_when_the_setting_is_zero(auditor_client, settings, _media_root):
    settings.AUDIT_WORKSPACE_QUOTA_BYTES = 0

    response = auditor_client.post("/api/v1/datasets/", upload_form(csv_upload(credit_frame())), format="multipart")

    assert response.status_code == 201
