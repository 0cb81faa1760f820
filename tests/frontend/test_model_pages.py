"""Models pages: the list, the registration form calling model_register with its source, and a model's record."""

import pickle

from django.core.files.uploadedfile import SimpleUploadedFile

from audits.models import AuditEvent, ModelArtifact
from tests.audits.factories import DatasetFactory, decisions_model


def _field_block(html: str, field: str) -> str:
    """The markup of the form field `field`: its label, help text, errors and control."""
    return html.split(f'id="id_{field}"')[0].rsplit('<div class="field', 1)[1]


def test_registering_a_decisions_column_stores_the_model_and_its_event(auditor_page, auditor, workspace):
    dataset = DatasetFactory(user=auditor, workspace=workspace, decision_column="")
    before = ModelArtifact.objects.count()

    response = auditor_page.post(
        "/models/register/",
        {"source": "decisions", "dataset": dataset.pk, "decision_column": "decision", "favourable": "approve"},
    )

    model = ModelArtifact.objects.latest("pk")
    assert ModelArtifact.objects.count() == before + 1
    assert response.status_code == 302 and response["Location"] == f"/models/{model.pk}/"
    assert (model.kind, model.dataset, model.decision_favourable) == ("dataset_decisions", dataset, ["approve"])
    event = AuditEvent.objects.filter(action="model.registered").latest("pk")
    assert event.object_id == str(model.pk) and event.actor == auditor


def test_a_pickle_is_refused_with_the_services_message_next_to_the_file_field(auditor_page, auditor, workspace):
    dataset = DatasetFactory(user=auditor, workspace=workspace)
    before = ModelArtifact.objects.count()
    upload = SimpleUploadedFile("model.skops", pickle.dumps({"weights": [1, 2]}))

    response = auditor_page.post(
        "/models/register/", {"source": "file", "file": upload, "dataset": dataset.pk, "favourable": "approve"}
    )

    assert response.status_code == 200
    block = _field_block(response.content.decode(), "file")
    assert 'class="errorlist' in block and "skops" in block.lower()
    assert ModelArtifact.objects.count() == before


def test_a_source_without_its_input_is_asked_for_it(auditor_page):
    response = auditor_page.post("/models/register/", {"source": "path", "path": ""})

    assert response.status_code == 200
    assert "This source needs this field." in _field_block(response.content.decode(), "path")


def test_the_detail_page_shows_kind_sha256_and_favourable_values(auditor_page, auditor, workspace):
    model = decisions_model(DatasetFactory(user=auditor, workspace=workspace))

    html = auditor_page.get(f"/models/{model.pk}/").content.decode()

    assert "Decisions already in the dataset" in html and model.sha256 in html
    assert "<dt>Favourable values</dt><dd>approve</dd>" in html


def test_a_viewer_sees_no_register_button_and_is_refused(viewer_page, auditor, workspace):
    dataset = DatasetFactory(user=auditor, workspace=workspace, decision_column="")
    before = ModelArtifact.objects.count()

    listing = viewer_page.get("/models/").content.decode()
    refused = viewer_page.post(
        "/models/register/",
        {"source": "decisions", "dataset": dataset.pk, "decision_column": "decision", "favourable": "approve"},
    )

    assert "Register model" not in listing
    assert refused.status_code == 403 and "this action needs one of" in refused.content.decode()
    assert ModelArtifact.objects.count() == before


def test_outsiders_get_404_on_another_workspaces_model(outsider_page, auditor, workspace):
    model = decisions_model(DatasetFactory(user=auditor, workspace=workspace))

    assert outsider_page.get(f"/models/{model.pk}/").status_code == 404
    assert model.name not in outsider_page.get("/models/").content.decode()
