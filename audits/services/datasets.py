"""Dataset ingestion: validate, store as Parquet with sha256, register protected attributes and the model."""

import hashlib
import io
import logging
import uuid
from dataclasses import asdict

import pyarrow.parquet as pq
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction

from audits.canonical import sha256_hex
from audits.choices import EventAction, IngestStatus, MissingPolicy, OutcomeType
from audits.exceptions import ApplicationError
from audits.ingestion import (
    AuditColumns,
    IngestionError,
    ParsedTable,
    check_table_head,
    read_table,
    validate_audit_columns,
)
from audits.models import Dataset, ModelArtifact, ProtectedAttribute, Workspace
from explainers.audit_settings import DEFAULT_MIN_GROUP_SIZE
from explainers.pipeline.columns import normalise_values

from .events import event_record
from .models import DecisionColumn, model_register, register_dataset_scores
from .storage import workspace_storage_require
from .versions import next_version, plan_reaudit_new_version
from .workspaces import workspace_require_role

logger = logging.getLogger(__name__)


def _read_upload(upload) -> bytes:
    """Read at most the byte limit plus one, so an oversized file is refused without reading all of it."""
    limit = settings.AUDIT_UPLOAD_MAX_BYTES
    size = getattr(upload, "size", None)
    if size is not None and size > limit:
        raise ApplicationError(
            f"The file is {size / 1e6:.1f} MB; the limit is {limit / 1e6:.1f} MB. Upload a sample or ask an "
            "administrator to raise AUDIT_UPLOAD_MAX_BYTES.",
            field="file",
        )
    if hasattr(upload, "seek"):
        upload.seek(0)
    return upload.read(limit + 1)


def _parse_upload(upload, *, encoding: str | None, delimiter: str | None):
    """The upload read by content within the size, row and column bounds; ApplicationError naming the fault."""
    try:
        return read_table(
            _read_upload(upload),
            encoding=encoding or None,
            delimiter=delimiter or None,
            max_bytes=settings.AUDIT_UPLOAD_MAX_BYTES,
            max_rows=settings.AUDIT_UPLOAD_MAX_ROWS,
            max_columns=settings.AUDIT_UPLOAD_MAX_COLUMNS,
            max_cells=settings.AUDIT_UPLOAD_MAX_CELLS,
            max_uncompressed_bytes=settings.AUDIT_UPLOAD_MAX_UNCOMPRESSED_BYTES,
        )
    except IngestionError as exc:
        raise ApplicationError(exc.message, field=exc.field) from exc


def dataset_create(
    *,
    user,
    workspace: Workspace,
    name: str,
    upload,
    protected: list[tuple[str, str]],
    decision_column: str = "",
    decision_favourable=None,
    outcome_column: str = "",
    outcome_favourable=None,
    text_column: str = "",
    score_column: str = "",
    score_higher_is_favourable: bool = True,
    missing_policy: str = MissingPolicy.DROP_ROWS,
    encoding: str | None = None,
    delimiter: str | None = None,
    request_id: str = "",
    outcome_type: str = OutcomeType.BINARY,
    rank_column: str = "",
    rank_query_column: str = "",
    inline: bool = False,
    proxy_columns: list[str] | tuple[str, ...] = (),
) -> tuple[Dataset, ModelArtifact | None]:
    """Validate an upload and store it as a Dataset with its ProtectedAttributes.

    When a decision column is named, also registers a ModelArtifact of kind `dataset_decisions`; without one, a
    continuous score (`outcome_type` "continuous": the score and outcome columns hold numbers) or a rank column
    (1 = top, with an optional query id column) registers the dataset's scores as that model, with no decision.
    A name the workspace already holds makes the upload that name's next version; plans of older versions that
    asked for it are re-audited on it (audits.services.versions.plan_reaudit_new_version).
    Side effects: a Parquet file in storage; events dataset.created (+ model.registered, + the re-audits').
    `proxy_columns` (surname, ZIP, first name) let a dataset without any protected column be uploaded for a plan
    of estimated attributes; they are only checked to exist.
    Raises ApplicationError (400) naming the column or row at fault; nothing is stored on error.

    A file above AUDIT_INGEST_INLINE_MAX_BYTES is never parsed here: what its head or metadata can refuse is refused
    at once (400), then it is stored as uploaded and returned `validating` (model None); a worker parses, validates
    and profiles it (audits.services.dataset_ingest), and the record becomes `ready` with the side effects above, or
    `refused` with the reason and event dataset.refused. `inline=True` (the CLI, which is no web process) validates
    here whatever the size.
    """
    workspace_require_role(user=user, workspace=workspace)
    if outcome_type not in OutcomeType.values:
        raise ApplicationError(f"outcome_type must be one of {', '.join(OutcomeType.values)}.", field="outcome_type")
    if missing_policy not in MissingPolicy.values:
        raise ApplicationError(
            f"missing_policy must be one of {', '.join(MissingPolicy.values)}.", field="missing_policy"
        )
    columns = AuditColumns(
        decision_column=decision_column.strip(),
        decision_favourable=normalise_values(decision_favourable),
        outcome_column=outcome_column.strip(),
        outcome_favourable=normalise_values(outcome_favourable),
        protected=[(c.strip(), (r or "").strip()) for c, r in protected],
        text_column=text_column.strip(),
        score_column=score_column.strip(),
        outcome_type=outcome_type,
        rank_column=rank_column.strip(),
        rank_query_column=rank_query_column.strip(),
        proxy_columns=[c.strip() for c in proxy_columns if c.strip()],
    )
    if outcome_type == OutcomeType.CONTINUOUS and not columns.score_column:
        raise ApplicationError(
            "A continuous audit needs the score column (the model's continuous score or prediction).",
            field="score_column",
        )
    name = name or getattr(upload, "name", "") or "dataset"
    arguments = {
        "user": user, "workspace": workspace, "name": name, "columns": columns, "missing_policy": missing_policy,
        "source_filename": getattr(upload, "name", "") or "", "score_higher_is_favourable": score_higher_is_favourable,
        "request_id": request_id,
    }  # fmt: skip
    if not inline and _upload_size(upload) > settings.AUDIT_INGEST_INLINE_MAX_BYTES:
        return _dataset_defer(upload=upload, encoding=encoding, delimiter=delimiter, **arguments), None
    parsed = _parse_upload(upload, encoding=encoding, delimiter=delimiter)
    return dataset_store_parsed(parsed=parsed, **arguments)


def dataset_store_parsed(*, parsed, columns, workspace, dataset=None, **arguments):
    """Validate the declared columns on a parsed table, store it as Parquet and write (or complete: `dataset`) its
    records; (dataset, decisions model or None). ApplicationError naming the fault; nothing new kept on error."""
    try:
        profile = validate_audit_columns(parsed.frame, columns)
    except IngestionError as exc:
        raise ApplicationError(exc.message, field=exc.field) from exc
    profile["renamed_columns"] = parsed.renamed_columns

    buffer = io.BytesIO()
    # Row groups bound the memory of one counting chunk and are the unit a chord fans out.
    parsed.frame.to_parquet(buffer, index=False, engine="pyarrow", row_group_size=settings.AUDIT_PARQUET_ROW_GROUP_ROWS)
    payload = buffer.getvalue()
    sha = sha256_hex(payload)
    # A deferred upload's own file is already counted; its Parquet file replaces it.
    replaced = dataset.file.size if dataset is not None and dataset.file else 0
    workspace_storage_require(workspace=workspace, adding=max(len(payload) - replaced, 0))
    stored_name = default_storage.save(f"datasets/{workspace.pk}/{sha}.parquet", ContentFile(payload))
    try:
        return _dataset_records_create(
            workspace=workspace, stored_name=stored_name, sha=sha, parsed=parsed, profile=profile, columns=columns,
            dataset=dataset, **arguments,
        )  # fmt: skip
    except BaseException:
        default_storage.delete(stored_name)  # never leave a file without its record
        raise


def _upload_size(upload) -> int:
    size = getattr(upload, "size", None)
    if size is None:
        upload.seek(0, io.SEEK_END)
        size = upload.tell()
        upload.seek(0)
    return int(size)


def _dataset_defer(*, user, workspace, name, upload, columns, encoding, delimiter, missing_policy, source_filename,
                   score_higher_is_favourable, request_id) -> Dataset:  # fmt: skip
    """A file above AUDIT_INGEST_INLINE_MAX_BYTES: checked here by its head or metadata only (check_table_head),
    streamed to storage as uploaded, recorded as `validating`; dataset_ingest_task parses and profiles it.

    Side effects: the uploaded file in storage, the record, the task enqueued after commit. No event yet: the
    trail records dataset.created or dataset.refused when the worker has decided. Raises ApplicationError (400)
    naming the limit or fault; nothing is stored then."""
    size = _upload_size(upload)
    if size > settings.AUDIT_UPLOAD_MAX_BYTES:
        _read_upload(upload)  # raises the size refusal
    source = getattr(upload, "file", upload)
    try:
        source_format = check_table_head(
            source, encoding=encoding, delimiter=delimiter, max_rows=settings.AUDIT_UPLOAD_MAX_ROWS,
            max_columns=settings.AUDIT_UPLOAD_MAX_COLUMNS, max_cells=settings.AUDIT_UPLOAD_MAX_CELLS,
            max_uncompressed_bytes=settings.AUDIT_UPLOAD_MAX_UNCOMPRESSED_BYTES,
        )  # fmt: skip
    except IngestionError as exc:
        raise ApplicationError(exc.message, field=exc.field) from exc
    workspace_storage_require(workspace=workspace, adding=size)
    digest = hashlib.sha256()
    upload.seek(0)
    for chunk in upload.chunks() if hasattr(upload, "chunks") else iter(lambda: upload.read(1 << 20), b""):
        digest.update(chunk)
    upload.seek(0)
    stored_name = default_storage.save(f"datasets/{workspace.pk}/incoming-{uuid.uuid4().hex}.{source_format}", upload)
    try:
        with transaction.atomic():
            dataset = Dataset.objects.create(
                workspace=workspace, name=name[:200],
                version=next_version(model_class=Dataset, workspace=workspace, name=name[:200]),
                file=stored_name, sha256="", source_sha256=digest.hexdigest(), source_filename=source_filename[:255],
                source_format=source_format, n_rows=0, n_columns=0, missing_policy=missing_policy,
                outcome_column=columns.outcome_column, outcome_favourable=columns.outcome_favourable,
                text_column=columns.text_column, score_column=columns.score_column,
                score_higher_is_favourable=score_higher_is_favourable, status=IngestStatus.VALIDATING,
                ingest_request={
                    "columns": asdict(columns), "encoding": encoding or "", "delimiter": delimiter or "",
                    "request_id": request_id,
                },
                created_by=user,
            )  # fmt: skip
            transaction.on_commit(lambda: _enqueue_ingest(dataset.pk))
    except BaseException:
        default_storage.delete(stored_name)
        raise
    logger.info("dataset %s queued for validation: %s bytes", dataset.pk, size)
    return dataset


def _enqueue_ingest(dataset_id: int) -> None:
    from audits.tasks import dataset_ingest_task  # tasks import the services: imported when enqueuing

    try:
        dataset_ingest_task.delay(dataset_id)
    except Exception:  # the broker is down: the record stays `validating`; dataset_ingest_sweep_task resends it
        logger.warning("dataset %s: the validation task could not be sent; the sweeper resends it", dataset_id)


PREVIEW_SAMPLE_ROWS = 50_000  # rows of a large Parquet file the upload form's preview reads
PREVIEW_MAX_GROUPS = 20  # a column with more distinct values is shown by its count only (not a group column)


def dataset_preview(
    *, user, workspace: Workspace, upload, encoding: str | None = None, delimiter: str | None = None
) -> dict:
    """What an upload holds, before anything is stored: rows, and per column its type, missing values and, for a
    column of at most PREVIEW_MAX_GROUPS distinct values, each group's size and the groups under the minimum size.

    Reads the file with the same checks as dataset_create (size, rows, columns, content) and stores nothing: no
    file, no record, no event. Only aggregates are returned, never a row. Raises ApplicationError (400) for a file
    dataset_create would refuse, PermissionDeniedError / NotFoundError when the user may not upload here.
    """
    workspace_require_role(user=user, workspace=workspace)
    sample = _upload_size(upload) > settings.AUDIT_INGEST_INLINE_MAX_BYTES
    if sample:
        parsed = _parse_sample(upload, encoding=encoding, delimiter=delimiter)
    else:
        parsed = _parse_upload(upload, encoding=encoding, delimiter=delimiter)
    frame, minimum = parsed.frame, DEFAULT_MIN_GROUP_SIZE
    columns = []
    for name in frame.columns:
        series = frame[name]
        counts = series.dropna().astype(str).value_counts()
        groups = [(str(v), int(n)) for v, n in counts.items()] if len(counts) <= PREVIEW_MAX_GROUPS else None
        columns.append(
            {
                "name": str(name),
                "dtype": str(series.dtype),
                "missing": int(series.isna().sum()),
                "distinct": int(len(counts)),
                "groups": groups,
                "small": [g for g, n in groups if n < minimum] if groups else [],
            }
        )
    return {
        "rows": len(frame),
        "format": parsed.source_format,
        "encoding": parsed.encoding,
        "delimiter": parsed.delimiter,
        "min_group_size": minimum,
        "columns": columns,
        "renamed_columns": parsed.renamed_columns,
        "sample": sample,
    }


def _parse_sample(upload, *, encoding: str | None, delimiter: str | None) -> ParsedTable:
    """The first rows of a file too large to parse here (at most AUDIT_INGEST_INLINE_MAX_BYTES of a CSV file's
    whole lines, or the first PREVIEW_SAMPLE_ROWS of a Parquet file), after the checks of its head or metadata."""
    source = getattr(upload, "file", upload)
    limits = {
        "max_rows": settings.AUDIT_UPLOAD_MAX_ROWS, "max_columns": settings.AUDIT_UPLOAD_MAX_COLUMNS,
        "max_cells": settings.AUDIT_UPLOAD_MAX_CELLS,
    }  # fmt: skip
    try:
        found = check_table_head(
            source, encoding=encoding, delimiter=delimiter,
            max_uncompressed_bytes=settings.AUDIT_UPLOAD_MAX_UNCOMPRESSED_BYTES, **limits,
        )  # fmt: skip
        if found == "parquet":
            batch = next(pq.ParquetFile(source).iter_batches(batch_size=PREVIEW_SAMPLE_ROWS), None)
            frame = batch.to_pandas() if batch is not None else None
            source.seek(0)
            if frame is None or frame.empty:
                raise IngestionError("The Parquet file holds no rows.")
            return ParsedTable(frame=frame, source_format="parquet", source_sha256="")
        head = source.read(settings.AUDIT_INGEST_INLINE_MAX_BYTES)
        source.seek(0)
        head = head[: head.rfind(b"\n") + 1] or head
        return read_table(head, encoding=encoding, delimiter=delimiter, max_bytes=len(head), **limits)
    except IngestionError as exc:
        raise ApplicationError(exc.message, field=exc.field) from exc


@transaction.atomic
def _dataset_records_create(
    *,
    user,
    workspace,
    name,
    stored_name,
    sha,
    parsed,
    profile,
    columns,
    missing_policy,
    source_filename,
    score_higher_is_favourable,
    request_id,
    dataset=None,
):
    frame = parsed.frame
    fields = {
        "file": stored_name,
        "sha256": sha,
        "source_sha256": parsed.source_sha256,
        "source_format": parsed.source_format,
        "source_encoding": parsed.encoding,
        "source_delimiter": parsed.delimiter,
        "n_rows": len(frame),
        "n_columns": len(frame.columns),
        "schema": [{"name": str(c), "dtype": str(frame[c].dtype)} for c in frame.columns],
        "profile": profile,
        "status": IngestStatus.READY,
        "status_reason": "",
    }
    if dataset is None:
        dataset = Dataset.objects.create(
            workspace=workspace,
            name=name[:200],
            version=next_version(model_class=Dataset, workspace=workspace, name=name[:200]),
            source_filename=source_filename[:255],
            outcome_column=columns.outcome_column,
            outcome_favourable=columns.outcome_favourable,
            text_column=columns.text_column,
            score_column=columns.score_column,
            score_higher_is_favourable=score_higher_is_favourable,
            missing_policy=missing_policy,
            created_by=user,
            **fields,
        )
    else:  # a deferred upload, validated by the worker: its record becomes ready
        for key, value in fields.items():
            setattr(dataset, key, value)
        dataset.ingest_request = {}
        dataset.save(update_fields=[*fields, "ingest_request"])
    for column, reference in columns.protected:
        ProtectedAttribute.objects.create(
            dataset=dataset,
            name=column,
            column=column,
            groups=profile["protected"][column]["groups"],
            reference_group=reference,
        )
    event_record(
        action=EventAction.DATASET_CREATED,
        obj=dataset,
        actor=user,
        workspace=workspace,
        request_id=request_id,
        after={
            "name": dataset.name,
            "version": dataset.version,
            "sha256": sha,
            "rows": dataset.n_rows,
            "protected": [c for c, _ in columns.protected],
        },
    )
    model = None
    if columns.decision_column:
        model = model_register(
            actor=user,
            source=DecisionColumn(columns.decision_column),
            dataset=dataset,
            favourable=columns.decision_favourable,
            reaudit=False,  # the dataset and its decisions are one new version: re-audited together below
            request_id=request_id,
        )
    elif (columns.outcome_type == OutcomeType.CONTINUOUS and columns.score_column) or columns.rank_column:
        model = register_dataset_scores(user=user, dataset=dataset, request_id=request_id)
    plan_reaudit_new_version(actor=user, dataset=dataset, model=model, request_id=request_id)
    logger.info("dataset %s stored: %s rows, sha256 %s", dataset.pk, dataset.n_rows, sha[:12])
    return dataset, model
