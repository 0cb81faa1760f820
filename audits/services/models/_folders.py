"""Registering runnable models beyond skops (internal: callers use model_register): HF folders and built-ins.

A folder comes as a ZIP upload (extracted safely under MEDIA_ROOT), as a path inside an allowed server
root, or as a built-in name. Its content is checked before anything loads it, it is loaded with
trust_remote_code=False from local files only, and a smoke prediction must succeed before a record is
stored: a model that fails gets a clear error and leaves nothing behind.
"""

import logging
import tempfile
import uuid
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
from django.conf import settings
from django.db import transaction

from audits.choices import EventAction, IngestStatus, ModelKind
from audits.exceptions import ApplicationError
from audits.execution.builtins import builtin_model, builtin_path
from audits.execution.model_runner import model_runner
from audits.ingestion.model_folders import allowed_server_path, extract_model_zip, remove_tree
from audits.ingestion.reader import IngestionError
from audits.models import Dataset, ModelArtifact, Workspace
from explainers.builtin.profanity import ProfanityRunner
from explainers.runners.hf_files import ModelFileError, inspect_hf_directory
from explainers.runners.isolated import IsolatedLoadError, smoke_in_child

from ..events import event_record
from ..storage import workspace_storage_require
from ..versions import next_version, plan_reaudit_new_version
from ._skops import SMOKE_TEXTS, framework_versions

logger = logging.getLogger(__name__)
HF_KINDS = {"classifier": ModelKind.HF_CLASSIFIER, "causal_lm": ModelKind.HF_CAUSAL_LM, "encoder": ModelKind.HF_ENCODER}
SMOKE_ROWS = 20


def _smoke_columns_check(dataset: Dataset, text_column: str) -> None:
    if text_column not in {c["name"] for c in dataset.schema}:
        raise ApplicationError(f"Dataset '{dataset.name}' has no column '{text_column}'.", field="text_column")


def _smoke_frame(dataset: Dataset | None, text_column: str):
    if dataset is None:
        return pd.DataFrame({text_column: SMOKE_TEXTS})
    _smoke_columns_check(dataset, text_column)
    table = pq.ParquetFile(dataset.file.path).read_row_group(0, columns=[text_column])
    return table.slice(0, SMOKE_ROWS).to_pandas()


_ROLES = {ModelKind.HF_CLASSIFIER: "classifier", ModelKind.HF_CAUSAL_LM: "causal_lm", ModelKind.HF_ENCODER: "encoder"}


def _load_and_smoke(kind: str, path: Path, sha: str, favourable: str, text_column: str, dataset):
    """Load and predict a little; (labels, smoke, package description); ApplicationError if anything fails.

    A transformers folder loads in a child process under AUDIT_MODEL_LOAD_MAX_ADDRESS_BYTES of address space
    (explainers.runners.isolated): the web process never imports torch nor commits the folder's memory. The
    built-in text model ships with the platform and loads here, through the code the workers use."""
    if kind == ModelKind.BUILTIN_TEXT:
        try:
            runner = model_runner(kind, str(path), sha, favourable, text_column)
            return runner.labels, runner.smoke(_smoke_frame(dataset, text_column), n=SMOKE_ROWS), runner.describe()
        except ValueError as exc:
            field = "favourable" if "favourable" in str(exc) else "file"
            raise ApplicationError(f"The model could not be used: {exc}", field=field) from exc
    texts = list(SMOKE_TEXTS)
    if kind == ModelKind.HF_CLASSIFIER:
        frame = _smoke_frame(dataset, text_column)
        texts = [None if pd.isna(v) else str(v) for v in frame[text_column].tolist()]
    try:
        done = smoke_in_child(
            role=_ROLES[kind], path=str(path), favourable=favourable, text_column=text_column, texts=texts,
            max_address_bytes=settings.AUDIT_MODEL_LOAD_MAX_ADDRESS_BYTES,
            timeout_s=settings.AUDIT_MODEL_LOAD_TIMEOUT_S, limit_name="AUDIT_MODEL_LOAD_MAX_ADDRESS_BYTES",
        )  # fmt: skip
    except IsolatedLoadError as exc:
        raise ApplicationError(exc.message, field=exc.field) from exc
    if done.sha256 != sha:  # the folder changed between the inspection here and the load there
        raise ApplicationError("The model folder changed while it was being registered; upload it again.")
    return done.labels, done.smoke, None


def _inspect(path: Path, kind: str):
    wanted = {v: k for k, v in HF_KINDS.items()}.get(kind) if kind else None
    try:
        return inspect_hf_directory(path, kind=wanted)
    except ModelFileError as exc:
        raise ApplicationError(str(exc), field="file") from exc


def _extract_upload(upload, workspace: Workspace) -> Path:
    upload.seek(0)
    head = upload.read(4)
    if head != b"PK\x03\x04":
        raise ApplicationError(
            "A model folder must be uploaded as a ZIP archive of the folder (config.json, *.safetensors, tokenizer "
            "files). Pickled or torch.save files are refused because loading them runs arbitrary code.",
            field="file",
        )
    upload.seek(0)
    incoming = Path(settings.MEDIA_ROOT) / "models" / str(workspace.pk) / f"incoming-{uuid.uuid4().hex}"
    with tempfile.NamedTemporaryFile(suffix=".zip") as spool:
        size = 0
        for chunk in upload.chunks() if hasattr(upload, "chunks") else iter(lambda: upload.read(1 << 20), b""):
            size += len(chunk)
            if size > settings.AUDIT_MODEL_MAX_BYTES:
                raise ApplicationError(
                    f"The model archive is larger than {settings.AUDIT_MODEL_MAX_BYTES / 1e6:.0f} MB.", field="file"
                )
            spool.write(chunk)
        spool.flush()
        try:
            return extract_model_zip(Path(spool.name), incoming, max_bytes=settings.AUDIT_MODEL_MAX_EXPANDED_BYTES)
        except IngestionError as exc:
            remove_tree(incoming)
            raise ApplicationError(exc.message, field=exc.field) from exc


def _resolve_source(*, workspace, upload, server_path: str, builtin: str, kind: str):
    """(kind, folder, sha256, inspected folder or None, extracted temp root or None, builtin record or None)."""
    if sum(bool(x) for x in (upload, server_path, builtin)) != 1:
        raise ApplicationError("Give exactly one of: a file upload, a server path, a built-in model.", field="file")
    if builtin:
        record = builtin_model(builtin)
        path = builtin_path(builtin)
        if record.kind == ModelKind.BUILTIN_TEXT:
            return record.kind, path, ProfanityRunner().model_key, None, None, record
        directory = _inspect(path, record.kind)
        return record.kind, path, directory.sha256, directory, None, record
    if server_path:
        try:
            path = allowed_server_path(server_path, settings.AUDIT_MODEL_PATH_ROOTS)
        except IngestionError as exc:
            raise ApplicationError(exc.message, field=exc.field) from exc
        directory = _inspect(path, kind)
        return HF_KINDS[directory.kind], path, directory.sha256, directory, None, None
    folder = _extract_upload(upload, workspace)
    root = folder if folder.name.startswith("incoming-") else folder.parent
    try:
        directory = _inspect(folder, kind)
    except ApplicationError:
        remove_tree(root)
        raise
    final = Path(settings.MEDIA_ROOT) / "models" / str(workspace.pk) / directory.sha256
    if final.exists():
        remove_tree(root)  # the same folder was uploaded before: its content is identical by hash
    else:
        folder.rename(final)
        remove_tree(root)
    return HF_KINDS[directory.kind], final, directory.sha256, directory, final, None


def register_folder(
    *,
    user,
    workspace: Workspace,
    upload=None,
    server_path: str = "",
    builtin: str = "",
    kind: str = "",
    favourable_class: str = "",
    text_column: str = "",
    dataset: Dataset | None = None,
    name: str = "",
    request_id: str = "",
    inline: bool = False,
) -> ModelArtifact:
    """Register a transformers folder (upload, allowed server path) or a built-in model, after a smoke test.

    Refuses (ApplicationError 400, nothing kept) folders with pickles, torch zips, custom code or
    invalid safetensors, paths outside AUDIT_MODEL_PATH_ROOTS, classifiers without the favourable class,
    and models that fail to load or predict. Side effects: the extracted folder under MEDIA_ROOT
    (uploads); event model.registered.
    """
    if kind and kind not in HF_KINDS.values():
        raise ApplicationError(f"Unknown model kind '{kind}'; known: {', '.join(HF_KINDS.values())}.", field="kind")
    resolved_kind, path, sha, directory, created, record = _resolve_source(
        workspace=workspace, upload=upload, server_path=server_path, builtin=builtin, kind=kind
    )
    classifier = resolved_kind in (ModelKind.HF_CLASSIFIER, ModelKind.BUILTIN_TEXT)
    favourable = str(favourable_class or (record.favourable if record else ""))
    text_column = text_column or (dataset.text_column if dataset is not None and dataset.text_column else "text")
    try:
        if created is not None:  # an uploaded folder is stored here: it counts against the workspace's quota
            workspace_storage_require(workspace=workspace, adding=sum(f["bytes"] for f in directory.files))
        if classifier and not favourable:  # inside the try: an extracted upload is removed on refusal
            labels = ", ".join(directory.labels or ()) if directory else "not_offensive, offensive"
            message = f"Name the favourable class of this classifier (labels: {labels})."
            raise ApplicationError(message, field="favourable")
        # An uploaded folder above AUDIT_INGEST_INLINE_MAX_BYTES is loaded and smoke-tested by a worker.
        limit = settings.AUDIT_INGEST_INLINE_MAX_BYTES
        deferred = not inline and created is not None and sum(f["bytes"] for f in directory.files) > limit
        if deferred:
            labels, smoke, package = None, None, None
            if resolved_kind == ModelKind.HF_CLASSIFIER and dataset is not None:
                _smoke_columns_check(dataset, text_column)
        else:
            labels, smoke, package = _load_and_smoke(resolved_kind, path, sha, favourable, text_column, dataset)
        model = _store(
            user=user, workspace=workspace, kind=resolved_kind, path=path, sha=sha, directory=directory, record=record,
            labels=labels, package=package, smoke=smoke, favourable=favourable if classifier else "",
            text_column=text_column, dataset=dataset,
            name=name or builtin or (server_path and Path(server_path).name) or _upload_stem(upload),
            request_id=request_id, deferred=deferred,
        )  # fmt: skip
    except BaseException:
        if created is not None and not ModelArtifact.objects.filter(path=str(created)).exists():
            remove_tree(created)
        raise
    logger.info("model %s %s: %s, sha256 %s", model.pk, model.status, resolved_kind, sha[:12])
    return model


def _upload_stem(upload) -> str:
    return Path(getattr(upload, "name", "") or "model").stem or "model"


@transaction.atomic
def _store(*, user, workspace, kind, path, sha, directory, record, labels, package, smoke, favourable, text_column,
           dataset, name, request_id, deferred=False) -> ModelArtifact:  # fmt: skip
    """The record (ready, with event model.registered and the re-audits), or for a `deferred` upload the record
    `validating`, its worker task enqueued after commit and no event yet (audits.services.models._deferred)."""
    labels = list(labels or (directory.labels if directory else None) or [])
    config = {
        "architecture": directory.architecture if directory else "sklearn (alt-profanity-check)",
        "labels": labels,
        "text_column": text_column if labels else "",
        "feature_columns": [text_column] if labels else [],
        "files": len(directory.files) if directory else None,
        "bytes": sum(f["bytes"] for f in directory.files) if directory else None,
        "builtin": record.name if record else "",
        "description": record.description if record else "",
        "smoke": smoke,
        "smoke_dataset": dataset.pk if dataset else None,
    }
    if package is not None:
        config["package"] = package
    name = str(name)[:200]
    model = ModelArtifact.objects.create(
        workspace=workspace,
        name=name,
        version=next_version(model_class=ModelArtifact, workspace=workspace, name=name),
        kind=kind,
        decision_favourable=[favourable] if favourable else [],
        path=str(path),
        sha256=sha,
        config=config,
        framework_versions=framework_versions("torch", "transformers", "tokenizers", "safetensors", "scikit-learn"),
        created_by=user,
        status=IngestStatus.VALIDATING if deferred else IngestStatus.READY,
        ingest_request={
            "favourable": favourable, "text_column": text_column, "dataset": dataset.pk if dataset else None,
            "request_id": request_id,
        } if deferred else {},
    )  # fmt: skip
    if deferred:
        transaction.on_commit(lambda: _enqueue_smoke(model.pk))
        return model
    model_registered_record(model=model, actor=user, request_id=request_id)
    return model


def _enqueue_smoke(model_id: int) -> None:
    from audits.tasks import model_register_complete_task  # tasks import the services: imported when enqueuing

    try:
        model_register_complete_task.delay(model_id)
    except Exception:  # the broker is down: the record stays `validating`; the sweeper resends it
        logger.warning("model %s: the smoke-test task could not be sent; the sweeper resends it", model_id)


def model_registered_record(*, model: ModelArtifact, actor, request_id: str) -> None:
    """Event model.registered and the re-audits of the plans of older versions, for a model now ready."""
    config = model.config
    event_record(
        action=EventAction.MODEL_REGISTERED,
        obj=model,
        actor=actor,
        workspace=model.workspace,
        request_id=request_id,
        after={
            "kind": model.kind, "sha256": model.sha256, "architecture": config["architecture"],
            "builtin": config["builtin"], "version": model.version,
        },
    )  # fmt: skip
    plan_reaudit_new_version(actor=actor, model=model, request_id=request_id)
