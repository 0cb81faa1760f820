"""Deferred ingestion (issue 14): a file above AUDIT_INGEST_INLINE_MAX_BYTES is checked by its head or metadata in the
request, stored as uploaded and `validating`; dataset_ingest (the worker's half, called here) makes it ready or
refused. The real worker is exercised in tests/integration/test_ingest_worker.py."""

import io
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from audits.exceptions import ApplicationError
from audits.models import AuditEvent, Dataset, ModelArtifact, ProtectedAttribute
from audits.selectors import workspace_storage_used
from audits.services.dataset_ingest import dataset_ingest, dataset_ingest_sweep
from audits.services.datasets import dataset_create, dataset_preview
from audits.services.plans import audit_plan_create
from tests.factories import credit_frame, csv_upload

FIELDS = {
    "name": "credit",
    "protected": [("sex", "male"), ("age_band", "")],
    "decision_column": "decision",
    "decision_favourable": ["approve"],
    "outcome_column": "repaid",
    "outcome_favourable": ["1"],
}


@pytest.fixture(autouse=True)
def _small_inline_limit(settings):
    settings.AUDIT_INGEST_INLINE_MAX_BYTES = 4_000  # the 600-row credit file (~15 KB) is "large" here


def _files(media_root: Path) -> list[Path]:
    return [f for f in Path(media_root).rglob("*") if f.is_file()]


def test_a_large_upload_is_stored_validating_without_records_or_event_then_the_worker_makes_it_ready(
    auditor, workspace, settings, django_capture_on_commit_callbacks
):
    frame = credit_frame()

    dataset, model = dataset_create(user=auditor, workspace=workspace, upload=csv_upload(frame), **FIELDS)

    assert model is None and dataset.status == "validating" and dataset.n_rows == 0
    assert not ProtectedAttribute.objects.exists() and not ModelArtifact.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="dataset.").exists()
    (raw,) = _files(settings.MEDIA_ROOT)
    assert raw.name.startswith("incoming-") and raw.read_bytes() == csv_upload(frame).read()

    with django_capture_on_commit_callbacks(execute=True):
        ready = dataset_ingest(dataset_id=dataset.pk)

    ready.refresh_from_db()
    assert ready.status == "ready" and ready.status_reason == "" and ready.n_rows == 600 and ready.n_columns == 4
    assert ready.file.name.endswith(f"{ready.sha256}.parquet") and not raw.exists()
    assert pq.read_table(ready.file.path).num_rows == 600
    sizes = ready.profile["protected"]["sex"]["group_sizes"]
    assert sizes == frame["sex"].value_counts().to_dict()  # counted by the worker, checked against pandas
    assert sorted(ready.protected_attributes.values_list("name", flat=True)) == ["age_band", "sex"]
    event = AuditEvent.objects.get(action="dataset.created")
    assert event.object_id == str(ready.pk) and event.after["rows"] == 600 and event.actor_id == auditor.pk
    decisions = ModelArtifact.objects.get(dataset=ready)
    assert decisions.kind == "dataset_decisions" and decisions.decision_column == "decision"
    assert dataset_ingest(dataset_id=dataset.pk) is None  # a second delivery does nothing twice
    assert AuditEvent.objects.filter(action="dataset.created").count() == 1


def test_a_large_upload_that_fails_validation_is_refused_with_the_reason_its_file_removed_and_an_event(
    auditor, workspace, settings, django_capture_on_commit_callbacks
):
    dataset, _ = dataset_create(
        user=auditor, workspace=workspace, upload=csv_upload(credit_frame()), **{**FIELDS, "decision_column": "decison"}
    )

    with django_capture_on_commit_callbacks(execute=True):
        refused = dataset_ingest(dataset_id=dataset.pk)

    refused.refresh_from_db()
    assert refused.status == "refused" and "Column 'decison' is not in the file" in refused.status_reason
    assert "Did you mean: decision" in refused.status_reason
    assert refused.file.name == "" and _files(settings.MEDIA_ROOT) == []
    assert workspace_storage_used(workspace=workspace) == 0
    event = AuditEvent.objects.get(action="dataset.refused")
    assert event.object_id == str(refused.pk) and "decison" in event.after["reason"]
    assert not AuditEvent.objects.filter(action="dataset.created").exists()
    assert not ProtectedAttribute.objects.exists() and not ModelArtifact.objects.exists()


def test_a_csv_over_the_cells_budget_is_refused_by_the_worker_naming_the_limit(auditor, workspace, settings):
    settings.AUDIT_UPLOAD_MAX_CELLS = 1_000  # 600 rows x 4 columns = 2,400 values
    dataset, _ = dataset_create(user=auditor, workspace=workspace, upload=csv_upload(credit_frame()), **FIELDS)
    assert dataset.status == "validating"  # a CSV's rows are counted by the worker, not in the request

    refused = dataset_ingest(dataset_id=dataset.pk)

    assert refused.status == "refused" and "AUDIT_UPLOAD_MAX_CELLS" in refused.status_reason


def test_a_nul_byte_past_the_head_of_a_large_csv_is_refused_by_the_worker(auditor, workspace):
    text = csv_upload(credit_frame(n=8_000)).read()
    assert len(text) > 100_000
    poisoned = text[:-100] + b"\x00" + text[-100:]  # far past the 64 KB the request reads

    dataset, _ = dataset_create(
        user=auditor, workspace=workspace, upload=SimpleUploadedFile("x.csv", poisoned), **FIELDS
    )
    refused = dataset_ingest(dataset_id=dataset.pk)

    assert refused.status == "refused" and "NUL byte" in refused.status_reason


def test_what_the_head_or_metadata_shows_is_refused_in_the_request_and_nothing_is_stored(auditor, workspace, settings):
    settings.AUDIT_UPLOAD_MAX_CELLS = 1_000_000
    zeros = pa.table({f"c{i}": pa.array([0] * 200_000, type=pa.int8()) for i in range(23)})  # a small file
    buffer = io.BytesIO()
    pq.write_table(zeros, buffer, compression="zstd")
    assert len(buffer.getvalue()) > settings.AUDIT_INGEST_INLINE_MAX_BYTES
    header = ("a" * 5_000 + "\n").encode()

    with pytest.raises(ApplicationError, match="AUDIT_UPLOAD_MAX_CELLS"):
        dataset_create(
            user=auditor, workspace=workspace, upload=SimpleUploadedFile("z.parquet", buffer.getvalue()), **FIELDS
        )
    with pytest.raises(ApplicationError, match="delimiter must be one ASCII character"):
        dataset_create(user=auditor, workspace=workspace, upload=csv_upload(credit_frame()), delimiter="é", **FIELDS)
    with pytest.raises(ApplicationError, match="ZIP archive"):
        dataset_create(
            user=auditor, workspace=workspace, upload=SimpleUploadedFile("x.csv", b"PK\x03\x04" + header), **FIELDS
        )
    assert not Dataset.objects.exists() and _files(settings.MEDIA_ROOT) == []


def test_the_storage_quota_counts_a_large_upload_before_it_is_stored(auditor, workspace, settings):
    settings.AUDIT_WORKSPACE_QUOTA_BYTES = 5_000  # below the uploaded file

    with pytest.raises(ApplicationError, match="AUDIT_WORKSPACE_QUOTA_BYTES"):
        dataset_create(user=auditor, workspace=workspace, upload=csv_upload(credit_frame()), **FIELDS)

    assert not Dataset.objects.exists() and _files(settings.MEDIA_ROOT) == []


def test_a_plan_on_a_dataset_that_is_not_ready_is_refused_saying_why(auditor, workspace):
    validating, _ = dataset_create(user=auditor, workspace=workspace, upload=csv_upload(credit_frame()), **FIELDS)
    other, _ = dataset_create(
        user=auditor, workspace=workspace, upload=csv_upload(credit_frame()), **{**FIELDS, "name": "bad",
        "protected": [("nope", "")]},
    )  # fmt: skip
    dataset_ingest(dataset_id=other.pk)
    model = ModelArtifact(workspace=workspace, kind="dataset_decisions", name="m")

    with pytest.raises(ApplicationError, match="still being validated"):
        audit_plan_create(user=auditor, dataset=validating, model=model)
    with pytest.raises(ApplicationError, match="was refused .*nope"):
        audit_plan_create(user=auditor, dataset=Dataset.objects.get(pk=other.pk), model=model)


def test_the_sweeper_finds_only_datasets_validating_for_longer_than_the_bound(auditor, workspace):
    from datetime import timedelta

    dataset, _ = dataset_create(user=auditor, workspace=workspace, upload=csv_upload(credit_frame()), **FIELDS)

    assert dataset_ingest_sweep(older_than=timedelta(minutes=5)) == []
    assert dataset_ingest_sweep(older_than=timedelta(seconds=-1)) == [dataset.pk]
    dataset_ingest(dataset_id=dataset.pk)
    assert dataset_ingest_sweep(older_than=timedelta(seconds=-1)) == []


def test_the_preview_of_a_large_file_reads_a_sample_of_its_first_rows(auditor, workspace):
    frame = credit_frame(n=3_000)

    preview = dataset_preview(user=auditor, workspace=workspace, upload=csv_upload(frame))

    assert preview["sample"] is True and 0 < preview["rows"] < 3_000
    sex = next(c for c in preview["columns"] if c["name"] == "sex")
    sample = frame.head(preview["rows"])["sex"].value_counts().to_dict()
    assert dict(sex["groups"]) == sample  # the first rows, exactly
    assert not Dataset.objects.exists()


def test_the_preview_of_a_large_parquet_file_reads_its_first_batch(auditor, workspace, settings):
    settings.AUDIT_INGEST_INLINE_MAX_BYTES = 1_000
    frame = pd.concat([credit_frame()] * 5, ignore_index=True)
    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=False)

    preview = dataset_preview(
        user=auditor, workspace=workspace, upload=SimpleUploadedFile("c.parquet", buffer.getvalue())
    )

    assert preview["format"] == "parquet" and preview["rows"] == 3_000 and preview["sample"] is True


def test_a_model_cannot_be_registered_on_a_dataset_still_validating(auditor, workspace):
    from audits.services.models import DecisionColumn, model_register

    dataset, _ = dataset_create(user=auditor, workspace=workspace, upload=csv_upload(credit_frame()), **FIELDS)

    with pytest.raises(ApplicationError, match="still being validated"):
        model_register(actor=auditor, source=DecisionColumn("decision"), dataset=dataset, favourable=["approve"])
    assert not ModelArtifact.objects.exists()


def test_an_upload_whose_stored_file_is_gone_is_refused_saying_it_could_not_be_processed(auditor, workspace):
    dataset, _ = dataset_create(user=auditor, workspace=workspace, upload=csv_upload(credit_frame()), **FIELDS)
    Path(dataset.file.path).unlink()  # removed behind the platform's back before the worker reads it

    refused = dataset_ingest(dataset_id=dataset.pk)

    assert refused.status == "refused" and "could not be processed (FileNotFoundError)" in refused.status_reason
    assert AuditEvent.objects.filter(action="dataset.refused", object_id=str(dataset.pk)).exists()


def test_the_cli_validates_a_large_file_at_once(auditor, workspace):
    dataset, model = dataset_create(
        user=auditor, workspace=workspace, upload=csv_upload(credit_frame()), inline=True, **FIELDS
    )

    assert dataset.status == "ready" and dataset.n_rows == 600 and model is not None
