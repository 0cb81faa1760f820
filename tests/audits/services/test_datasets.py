"""dataset_create: the upload is stored as Parquet with its sha256, its protected attributes and dataset.created;
a refused upload leaves no row, no file and no event."""

import io
from pathlib import Path

import pandas as pd
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from audits.canonical import sha256_hex
from audits.exceptions import ApplicationError, NotFoundError, PermissionDeniedError
from audits.models import AuditEvent, Dataset, ModelArtifact, ProtectedAttribute
from audits.services.datasets import dataset_create, dataset_preview
from tests.audits.factories import ProtectedAttributeFactory
from tests.factories import credit_frame, csv_upload

FIELDS = {
    "name": "credit",
    "protected": [("sex", "male"), ("age_band", "")],
    "decision_column": "decision",
    "decision_favourable": ["approve"],
    "outcome_column": "repaid",
    "outcome_favourable": ["1"],
}


def _nothing_stored(media_root: Path) -> bool:
    rows = Dataset.objects.exists() or ProtectedAttribute.objects.exists() or ModelArtifact.objects.exists()
    return (
        not rows
        and not AuditEvent.objects.filter(action="dataset.created").exists()
        and not [f for f in media_root.rglob("*") if f.is_file()]
    )


def test_an_upload_is_stored_as_parquet_with_its_attributes_and_event(auditor, workspace):
    frame = credit_frame()

    dataset, model = dataset_create(
        user=auditor, workspace=workspace, upload=csv_upload(frame), request_id="req-1", **FIELDS
    )

    with dataset.file.open("rb") as stored:
        payload = stored.read()
    assert dataset.sha256 == sha256_hex(payload) and dataset.file.name.endswith(f"{dataset.sha256}.parquet")
    assert pd.read_parquet(io.BytesIO(payload))["sex"].tolist() == frame["sex"].tolist()
    assert (dataset.n_rows, dataset.n_columns, dataset.workspace, dataset.created_by) == (600, 4, workspace, auditor)
    assert (dataset.outcome_column, dataset.outcome_favourable) == ("repaid", ["1"])
    attributes = {a.name: (a.column, a.groups, a.reference_group) for a in dataset.protected_attributes.all()}
    assert attributes == {
        "sex": ("sex", ["female", "male"], "male"),
        "age_band": ("age_band", sorted(frame["age_band"].unique()), ""),
    }
    event = AuditEvent.objects.get(action="dataset.created")
    assert (event.object_type, event.object_id) == ("Dataset", str(dataset.pk))
    assert (event.actor_id, event.workspace_id, event.request_id) == (auditor.pk, workspace.pk, "req-1")
    assert event.after == {
        "name": "credit", "version": 1, "sha256": dataset.sha256, "rows": 600, "protected": ["sex", "age_band"]
    }
    assert model is not None and model.dataset == dataset  # the decision column is the model under audit


def test_without_a_decision_column_no_model_is_registered(auditor, workspace):
    fields = {**FIELDS, "decision_column": "", "decision_favourable": []}

    dataset, model = dataset_create(user=auditor, workspace=workspace, upload=csv_upload(credit_frame()), **fields)

    assert model is None and not ModelArtifact.objects.exists()
    assert AuditEvent.objects.get(action="dataset.created").object_id == str(dataset.pk)


def test_a_declared_reference_group_is_kept(auditor, workspace):
    attribute = ProtectedAttributeFactory(user=auditor, workspace=workspace, name="age_band", reference_group="<25")

    assert (attribute.column, attribute.reference_group) == ("age_band", "<25")
    assert set(attribute.groups) == {"<25", "25-60", ">60"}
    assert attribute.dataset.protected_attributes.count() == 1


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"protected": [("gender", "")]}, "protected", "gender"),
        ({"protected": [("sex", "other")]}, "reference", "Reference group 'other'"),
        ({"outcome_column": "repaid", "outcome_favourable": ["yes"]}, "outcome_column", "yes"),
        ({"missing_policy": "guess"}, "missing_policy", "missing_policy"),
    ],
)
def test_a_refused_upload_leaves_no_row_no_file_and_no_event(auditor, workspace, _media_root, fields, field, message):
    with pytest.raises(ApplicationError, match=message) as error:
        dataset_create(user=auditor, workspace=workspace, upload=csv_upload(credit_frame()), **{**FIELDS, **fields})

    assert error.value.field == field
    assert _nothing_stored(Path(_media_root))


def test_a_failing_trail_write_takes_the_dataset_and_its_file_with_it(auditor, workspace, _media_root, monkeypatch):
    def trail_down(**kwargs):
        raise RuntimeError("trail unavailable")

    monkeypatch.setattr("audits.services.datasets.event_record", trail_down)

    with pytest.raises(RuntimeError, match="trail unavailable"):
        dataset_create(user=auditor, workspace=workspace, upload=csv_upload(credit_frame()), **FIELDS)

    assert _nothing_stored(Path(_media_root))


def test_reviewers_and_outsiders_cannot_upload(reviewer, outsider, workspace, _media_root):
    with pytest.raises(PermissionDeniedError):
        dataset_create(user=reviewer, workspace=workspace, upload=csv_upload(credit_frame()), **FIELDS)
    with pytest.raises(NotFoundError):
        dataset_create(user=outsider, workspace=workspace, upload=csv_upload(credit_frame()), **FIELDS)

    assert _nothing_stored(Path(_media_root))


def test_a_preview_reads_the_file_with_the_same_checks_and_stores_nothing(auditor, workspace, outsider):
    events = AuditEvent.objects.count()

    preview = dataset_preview(user=auditor, workspace=workspace, upload=csv_upload(credit_frame()))

    columns = {c["name"]: c for c in preview["columns"]}
    frame = credit_frame()
    assert preview["rows"] == len(frame) and preview["min_group_size"] == 30
    assert dict(columns["sex"]["groups"]) == frame["sex"].value_counts().to_dict()
    assert columns["sex"]["small"] == [] and columns["repaid"]["missing"] == 0
    small = dataset_preview(user=auditor, workspace=workspace, upload=csv_upload(frame.head(40)))
    assert {c["name"]: c["small"] for c in small["columns"]}["sex"]  # 40 rows: some sex group is under 30
    assert AuditEvent.objects.count() == events and not Dataset.objects.exists()
    with pytest.raises(ApplicationError, match="pickle"):
        dataset_preview(
            user=auditor, workspace=workspace, upload=SimpleUploadedFile("x.csv", b"\x80\x04\x95 not a table")
        )
    with pytest.raises(NotFoundError):
        dataset_preview(user=outsider, workspace=workspace, upload=csv_upload(credit_frame()))
