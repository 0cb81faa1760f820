"""POST /api/v1/models/: the view validates and calls model_register; refusals are 400s naming the input."""

from django.core.files.uploadedfile import SimpleUploadedFile

from audits.models import AuditEvent, ModelArtifact
from tests.api_errors import error_attr, error_detail
from tests.audits.services.test_models import _sentences, bare_tfidf_upload
from tests.factories import csv_upload, upload_form


def _text_dataset(client, frame, **fields) -> dict:
    form = upload_form(
        csv_upload(frame), decision_column="", favourable_decision=[], outcome_column="label",
        favourable_outcome=["ok"], protected=["group"], **fields,
    )  # fmt: skip
    response = client.post("/api/v1/datasets/", form, format="multipart")
    assert response.status_code == 201, response.json()
    return response.json()


def test_a_bare_tfidf_pipeline_is_registered_and_reads_the_text_column(auditor_client):
    frame = _sentences(n=300)
    dataset = _text_dataset(auditor_client, frame, text_column="text")

    response = auditor_client.post(
        "/api/v1/models/",
        {"file": bare_tfidf_upload(frame), "favourable": ["ok"], "dataset": dataset["id"]},
        format="multipart",
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["kind"] == "skops_pipeline" and body["config"]["feature_columns"] == ["text"]
    assert AuditEvent.objects.filter(action="model.registered", object_id=str(body["id"])).count() == 1


def test_a_bare_tfidf_pipeline_without_a_text_column_answers_400_naming_it(auditor_client):
    frame = _sentences(n=300)
    dataset = _text_dataset(auditor_client, frame)  # no text_column declared

    response = auditor_client.post(
        "/api/v1/models/",
        {"file": bare_tfidf_upload(frame), "favourable": ["ok"], "dataset": dataset["id"]},
        format="multipart",
    )

    assert response.status_code == 400 and error_attr(response) == "text_column"
    assert "text_column" in error_detail(response)
    assert not ModelArtifact.objects.filter(kind="skops_pipeline").exists()


def test_a_skops_file_without_its_favourable_class_answers_400_naming_it(auditor_client):
    frame = _sentences(n=300)
    dataset = _text_dataset(auditor_client, frame, text_column="text")

    response = auditor_client.post(
        "/api/v1/models/", {"file": bare_tfidf_upload(frame), "dataset": dataset["id"]}, format="multipart"
    )

    assert response.status_code == 400 and error_attr(response) == "favourable"
    assert not ModelArtifact.objects.filter(kind="skops_pipeline").exists()


def test_a_workspace_that_is_not_the_dataset_s_answers_400(auditor_client, auditor):
    from audits.services.workspaces import workspace_create

    workspace_create(name="Second", slug="second", owner=auditor)
    frame = _sentences(n=300)
    dataset = _text_dataset(auditor_client, frame, text_column="text")

    response = auditor_client.post(
        "/api/v1/models/",
        {"file": bare_tfidf_upload(frame), "favourable": ["ok"], "dataset": dataset["id"], "workspace": "second"},
        format="multipart",
    )

    assert response.status_code == 400 and error_attr(response) == "dataset"


def test_anonymous_cannot_register_a_model(anonymous_client):
    response = anonymous_client.post(
        "/api/v1/models/", {"file": SimpleUploadedFile("m.skops", b"x"), "workspace": "credit-risk"}, "multipart"
    )

    assert response.status_code in (401, 403)


def test_an_outsider_cannot_register_into_a_foreign_workspace(outsider_client, workspace):
    frame = _sentences(n=100)

    response = outsider_client.post(
        "/api/v1/models/",
        {"file": bare_tfidf_upload(frame), "favourable": ["ok"], "workspace": "credit-risk", "text_column": "text"},
        format="multipart",
    )

    assert response.status_code == 400 and error_attr(response) == "workspace"
    assert not ModelArtifact.objects.exists()
