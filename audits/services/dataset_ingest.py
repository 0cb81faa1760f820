"""The worker's half of a deferred upload (issue 14): parse, validate and profile a `validating` dataset.

dataset_create stores a file above AUDIT_INGEST_INLINE_MAX_BYTES as uploaded and records it `validating`, so the web
process never parses a large file. dataset_ingest, run by dataset_ingest_task, reads it with every check of an
inline upload; the record becomes `ready` (Parquet stored, profile, protected attributes, event dataset.created,
the decisions model) or `refused` (the reason kept on the record for the uploader, the file removed, event
dataset.refused). A refused record is kept, not deleted, so the page and the API can say why.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from audits.choices import EventAction, IngestStatus
from audits.exceptions import ApplicationError
from audits.ingestion import AuditColumns, IngestionError, read_table
from audits.models import Dataset

from .datasets import dataset_store_parsed
from .events import event_record

logger = logging.getLogger(__name__)


def dataset_ingest(*, dataset_id: int) -> Dataset | None:
    """Parse, validate and profile deferred dataset `dataset_id`; None when it is no longer `validating` (another
    delivery of the task got there first: a redelivered message does nothing twice).

    Side effects: ready -> the Parquet file, protected attributes, events dataset.created (+ model.registered, +
    re-audits), the uploaded file removed; refused -> status_reason, the uploaded file removed, event
    dataset.refused. Raises nothing for a bad file (it is refused, also when a parser fails with MemoryError,
    ValueError or OSError); other errors propagate for the task to log, and the sweeper sends it again."""
    dataset = Dataset.objects.select_related("workspace", "created_by").filter(pk=dataset_id).first()
    if dataset is None or dataset.status != IngestStatus.VALIDATING:
        return None
    request = dataset.ingest_request or {}
    raw_name = dataset.file.name
    try:
        with default_storage.open(raw_name, "rb") as handle:
            data = handle.read(settings.AUDIT_UPLOAD_MAX_BYTES + 1)
        parsed = read_table(
            data,
            encoding=request.get("encoding") or None,
            delimiter=request.get("delimiter") or None,
            max_bytes=settings.AUDIT_UPLOAD_MAX_BYTES,
            max_rows=settings.AUDIT_UPLOAD_MAX_ROWS,
            max_columns=settings.AUDIT_UPLOAD_MAX_COLUMNS,
            max_cells=settings.AUDIT_UPLOAD_MAX_CELLS,
            max_uncompressed_bytes=settings.AUDIT_UPLOAD_MAX_UNCOMPRESSED_BYTES,
        )
        del data
        with transaction.atomic():
            locked = Dataset.objects.select_for_update(no_key=True).get(pk=dataset.pk)
            if locked.status != IngestStatus.VALIDATING:
                return None
            dataset, _ = dataset_store_parsed(
                parsed=parsed, columns=_columns(request), workspace=dataset.workspace, dataset=locked,
                user=dataset.created_by, name=dataset.name, missing_policy=dataset.missing_policy,
                source_filename=dataset.source_filename, request_id=request.get("request_id", ""),
                score_higher_is_favourable=dataset.score_higher_is_favourable,
            )  # fmt: skip
    except IngestionError as exc:
        return _refuse(dataset.pk, exc.message, raw_name)
    except ApplicationError as exc:
        return _refuse(dataset.pk, exc.message, raw_name)
    except (MemoryError, ValueError, OSError) as exc:  # a file the checks let through but the parsers choke on
        # Only the type is logged: a parser's message may quote the file's values (protected groups among them).
        logger.warning("dataset %s could not be processed: %s", dataset.pk, type(exc).__name__)
        return _refuse(dataset.pk, f"The file could not be processed ({type(exc).__name__}). Re-save it as UTF-8 "
                       "CSV or Parquet, or upload a sample.", raw_name)  # fmt: skip
    transaction.on_commit(lambda: default_storage.delete(raw_name))
    logger.info("dataset %s validated by the worker: %s rows", dataset.pk, dataset.n_rows)
    return dataset


def _columns(request: dict) -> AuditColumns:
    declared = dict(request.get("columns") or {})
    declared["protected"] = [(column, reference) for column, reference in declared.get("protected", [])]
    return AuditColumns(**declared)


@transaction.atomic
def _refuse(dataset_id: int, reason: str, raw_name: str) -> Dataset | None:
    dataset = Dataset.objects.select_for_update(no_key=True).select_related("workspace").get(pk=dataset_id)
    if dataset.status != IngestStatus.VALIDATING:
        return None
    request_id = (dataset.ingest_request or {}).get("request_id", "")
    dataset.status, dataset.status_reason, dataset.file, dataset.ingest_request = IngestStatus.REFUSED, reason, "", {}
    dataset.save(update_fields=["status", "status_reason", "file", "ingest_request"])
    event_record(
        action=EventAction.DATASET_REFUSED,
        obj=dataset,
        actor=dataset.created_by,
        workspace=dataset.workspace,
        request_id=request_id,
        after={"name": dataset.name, "version": dataset.version, "source_sha256": dataset.source_sha256,
               "reason": reason},
    )  # fmt: skip
    transaction.on_commit(lambda: default_storage.delete(raw_name))
    logger.info("dataset %s refused by the worker", dataset.pk)
    return dataset


def dataset_ingest_sweep(*, older_than: timedelta = timedelta(minutes=2)) -> list[int]:
    """Ids of datasets `validating` for longer than `older_than`, for the periodic task to send again (their
    message was lost, e.g. the broker was down when the upload committed). dataset_ingest ignores a second
    delivery of a dataset already decided. No side effect here."""
    cutoff = timezone.now() - older_than
    return list(
        Dataset.objects.filter(status=IngestStatus.VALIDATING, created_at__lt=cutoff).values_list("pk", flat=True)
    )
