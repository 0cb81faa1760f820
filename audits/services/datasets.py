"""Dataset ingestion: validate, store as Parquet with sha256, register protected attributes and the model."""

import io
import logging

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction

from audits.canonical import sha256_hex
from audits.choices import EventAction, MissingPolicy
from audits.exceptions import ApplicationError
from audits.ingestion import AuditColumns, IngestionError, read_table, validate_audit_columns
from audits.models import Dataset, ModelArtifact, ProtectedAttribute, Workspace
from explainers.audit_settings import DEFAULT_MIN_GROUP_SIZE
from explainers.pipeline.columns import normalise_values

from .events import event_record
from .models import DecisionColumn, model_register
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
    proxy_columns: list[str] | tuple[str, ...] = (),
) -> tuple[Dataset, ModelArtifact | None]:
    """Validate an upload and store it as a Dataset with its ProtectedAttributes.

    When a decision column is named, also registers a ModelArtifact of kind `dataset_decisions`.
    A name the workspace already holds makes the upload that name's next version; plans of older versions that
    asked for it are re-audited on it (audits.services.versions.plan_reaudit_new_version).
    Side effects: a Parquet file in storage; events dataset.created (+ model.registered, + the re-audits').
    `proxy_columns` (surname, ZIP, first name) let a dataset without any protected column be uploaded for a plan
    of estimated attributes; they are only checked to exist.
    Raises ApplicationError (400) naming the column or row at fault; nothing is stored on error.
    """
    workspace_require_role(user=user, workspace=workspace)
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
        proxy_columns=[c.strip() for c in proxy_columns if c.strip()],
    )
    parsed = _parse_upload(upload, encoding=encoding, delimiter=delimiter)
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
    workspace_storage_require(workspace=workspace, adding=len(payload))
    stored_name = default_storage.save(f"datasets/{workspace.pk}/{sha}.parquet", ContentFile(payload))
    try:
        return _dataset_records_create(
            user=user,
            workspace=workspace,
            name=name or getattr(upload, "name", "") or "dataset",
            stored_name=stored_name,
            sha=sha,
            parsed=parsed,
            profile=profile,
            columns=columns,
            missing_policy=missing_policy,
            source_filename=getattr(upload, "name", "") or "",
            score_higher_is_favourable=score_higher_is_favourable,
            request_id=request_id,
        )
    except BaseException:
        default_storage.delete(stored_name)  # never leave a file without its record
        raise


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
    }


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
):
    frame = parsed.frame
    dataset = Dataset.objects.create(
        workspace=workspace,
        name=name[:200],
        version=next_version(model_class=Dataset, workspace=workspace, name=name[:200]),
        file=stored_name,
        sha256=sha,
        source_sha256=parsed.source_sha256,
        source_filename=source_filename[:255],
        source_format=parsed.source_format,
        source_encoding=parsed.encoding,
        source_delimiter=parsed.delimiter,
        n_rows=len(frame),
        n_columns=len(frame.columns),
        schema=[{"name": str(c), "dtype": str(frame[c].dtype)} for c in frame.columns],
        profile=profile,
        outcome_column=columns.outcome_column,
        outcome_favourable=columns.outcome_favourable,
        text_column=columns.text_column,
        score_column=columns.score_column,
        score_higher_is_favourable=score_higher_is_favourable,
        missing_policy=missing_policy,
        created_by=user,
    )
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
    plan_reaudit_new_version(actor=user, dataset=dataset, model=model, request_id=request_id)
    logger.info("dataset %s stored: %s rows, sha256 %s", dataset.pk, dataset.n_rows, sha[:12])
    return dataset, model
