"""Registering uploaded models: skops pipelines, loaded only when safe, smoke-tested before storing."""

import logging
from importlib import metadata

import pyarrow.parquet as pq
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction

from audits.canonical import sha256_hex
from audits.choices import ModelKind
from audits.exceptions import ApplicationError
from audits.ingestion.artifacts import load_skops_model
from audits.ingestion.reader import IngestionError
from audits.models import Dataset, ModelArtifact, Workspace
from explainers.runners.tabular import TabularRunner

from .events import event_record
from .workspaces import workspace_require_role

logger = logging.getLogger(__name__)
SMOKE_ROWS = 50


def _versions(*names: str) -> dict[str, str]:
    versions = {}
    for name in names:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return versions


def _smoke(runner: TabularRunner, dataset: Dataset) -> dict:
    parquet = pq.ParquetFile(dataset.file.path)
    frame = parquet.read_row_group(0).slice(0, SMOKE_ROWS).to_pandas()
    missing = [c for c in runner.feature_columns if c not in frame.columns]
    if missing:
        raise ApplicationError(
            f"The model needs columns that dataset '{dataset.name}' lacks: {', '.join(missing[:10])}.", field="dataset"
        )
    try:
        return runner.smoke(frame, n=min(SMOKE_ROWS, len(frame)))
    except ValueError as exc:
        raise ApplicationError(f"The model could not predict on '{dataset.name}': {exc}", field="dataset") from exc


def model_register_skops(
    *,
    user,
    workspace: Workspace,
    upload,
    favourable_class: str,
    dataset: Dataset | None = None,
    name: str = "",
    request_id: str = "",
) -> ModelArtifact:
    """Register a scikit-learn model saved with skops, after a smoke prediction on `dataset` when given.

    Refuses (ApplicationError 400, nothing stored) pickles under any name, skops files with untrusted
    types, models without the favourable class, and models that cannot predict on the dataset.
    Side effects: the file in storage; event model.registered.
    """
    workspace_require_role(user=user, workspace=workspace)
    if dataset is not None and dataset.workspace_id != workspace.pk:
        raise ApplicationError("The dataset belongs to another workspace.", field="dataset")
    upload.seek(0)
    data = upload.read(settings.AUDIT_MODEL_MAX_BYTES + 1)
    if len(data) > settings.AUDIT_MODEL_MAX_BYTES:
        raise ApplicationError(
            f"The model file is larger than {settings.AUDIT_MODEL_MAX_BYTES / 1e6:.0f} MB.", field="file"
        )
    try:
        artifact = load_skops_model(data)
    except IngestionError as exc:
        raise ApplicationError(exc.message, field=exc.field) from exc
    try:
        runner = TabularRunner(artifact.model, favourable_class=favourable_class)
    except ValueError as exc:
        raise ApplicationError(str(exc), field="favourable_class") from exc
    smoke = _smoke(runner, dataset) if dataset is not None else None
    sha = sha256_hex(data)
    stored = default_storage.save(f"models/{workspace.pk}/{sha}.skops", ContentFile(data))
    try:
        with transaction.atomic():
            model = ModelArtifact.objects.create(
                workspace=workspace,
                name=(name or getattr(upload, "name", "") or "model")[:200],
                kind=ModelKind.SKOPS_PIPELINE,
                dataset=None,
                decision_favourable=[str(favourable_class)],
                file=stored,
                sha256=sha,
                config={
                    "estimator": type(artifact.model).__name__,
                    "classes": [str(c) for c in getattr(artifact.model, "classes_", [])],
                    "feature_columns": list(runner.feature_columns),
                    "untrusted_types": artifact.untrusted_types,
                    "smoke": smoke,
                    "smoke_dataset": dataset.pk if dataset else None,
                },
                framework_versions=_versions("scikit-learn", "skops", "numpy"),
                created_by=user,
            )
            event_record(
                action="model.registered",
                obj=model,
                actor=user,
                workspace=workspace,
                request_id=request_id,
                after={"kind": model.kind, "sha256": sha, "estimator": model.config["estimator"]},
            )
    except BaseException:
        default_storage.delete(stored)
        raise
    logger.info("model %s registered: %s, sha256 %s", model.pk, model.config["estimator"], sha[:12])
    return model
