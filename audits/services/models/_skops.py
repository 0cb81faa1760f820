"""Registering skops files (internal: callers use model_register): loaded only when safe, smoke-tested first.

A pipeline fitted on a DataFrame reads the columns it was fitted on; one fitted on a list of strings (a bare
TF-IDF pipeline) reads one text column, whose strings it is handed as a 1-D sequence.
"""

import logging
from importlib import metadata

import pandas as pd
import pyarrow.parquet as pq
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction

from audits.canonical import sha256_hex
from audits.choices import EventAction, ModelKind
from audits.exceptions import ApplicationError
from audits.ingestion.artifacts import load_skops_model
from audits.ingestion.reader import IngestionError
from audits.models import Dataset, ModelArtifact, Workspace
from explainers.runners.tabular import TabularRunner, reads_documents

from ..events import event_record
from ..storage import workspace_storage_require
from ..versions import next_version, plan_reaudit_new_version

logger = logging.getLogger(__name__)
SMOKE_ROWS = 50
SMOKE_TEXTS = ["The application was reviewed on Monday.", "She paid the invoice on time.", "He moved to a new city."]


def framework_versions(*names: str) -> dict[str, str]:
    versions = {}
    for name in names:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return versions


def _smoke(runner: TabularRunner, dataset: Dataset | None) -> dict | None:
    if dataset is None:
        if not runner.text_column:
            return None  # a tabular model's columns can only be tried on a dataset
        frame = pd.DataFrame({runner.text_column: SMOKE_TEXTS})
        try:
            return runner.smoke(frame, n=len(frame))
        except ValueError as exc:
            raise ApplicationError(f"The model could not predict on sample texts: {exc}", field="file") from exc
    parquet = pq.ParquetFile(dataset.file.path)
    frame = parquet.read_row_group(0).slice(0, SMOKE_ROWS).to_pandas()
    missing = [c for c in runner.feature_columns if c not in frame.columns]
    if missing:
        field = "text_column" if runner.text_column else "dataset"
        raise ApplicationError(
            f"The model needs columns that dataset '{dataset.name}' lacks: {', '.join(missing[:10])}.", field=field
        )
    try:
        return runner.smoke(frame, n=min(SMOKE_ROWS, len(frame)))
    except ValueError as exc:
        raise ApplicationError(f"The model could not predict on '{dataset.name}': {exc}", field="dataset") from exc


def _text_column(model, text_column: str, dataset: Dataset | None) -> str | None:
    """The column a document model reads (None for a tabular model); ApplicationError when none is known."""
    if not reads_documents(model):
        if getattr(model, "feature_names_in_", None) is None:
            raise ApplicationError(
                f"The model was fitted on an array of {model.n_features_in_} unnamed features, so its columns cannot "
                "be matched to a dataset; fit it on a DataFrame (or a text pipeline on a list of strings).",
                field="file",
            )
        return None
    column = text_column or (dataset.text_column if dataset is not None else "")
    if not column:
        raise ApplicationError(
            "The model reads raw text (it was fitted on a list of strings): name the text column it reads "
            "(text_column), or give a dataset that declares one.",
            field="text_column",
        )
    return column


def register_skops(
    *,
    user,
    workspace: Workspace,
    upload,
    favourable_class: str,
    dataset: Dataset | None = None,
    name: str = "",
    text_column: str = "",
    request_id: str = "",
) -> ModelArtifact:
    """Register a scikit-learn model saved with skops, after a smoke prediction.

    The smoke prediction runs on `dataset` when given; a text model without one predicts on sample texts.

    Refuses (ApplicationError 400, nothing stored) pickles under any name, skops files with untrusted
    types, models without the favourable class, text models without a text column, and models that cannot
    predict on the dataset. Side effects: the file in storage; event model.registered.
    """
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
        runner = TabularRunner(
            artifact.model,
            favourable_class=favourable_class,
            text_column=_text_column(artifact.model, text_column, dataset),
        )
    except ValueError as exc:
        raise ApplicationError(str(exc), field="favourable") from exc
    smoke = _smoke(runner, dataset)
    sha = sha256_hex(data)
    workspace_storage_require(workspace=workspace, adding=len(data))
    stored = default_storage.save(f"models/{workspace.pk}/{sha}.skops", ContentFile(data))
    try:
        with transaction.atomic():
            name = (name or getattr(upload, "name", "") or "model")[:200]
            model = ModelArtifact.objects.create(
                workspace=workspace,
                name=name,
                version=next_version(model_class=ModelArtifact, workspace=workspace, name=name),
                kind=ModelKind.SKOPS_PIPELINE,
                dataset=None,
                decision_favourable=[str(favourable_class)],
                file=stored,
                sha256=sha,
                config={
                    "estimator": type(artifact.model).__name__,
                    "classes": [str(c) for c in getattr(artifact.model, "classes_", [])],
                    "feature_columns": list(runner.feature_columns),
                    "text_column": runner.text_column or "",
                    "untrusted_types": artifact.untrusted_types,
                    "smoke": smoke,
                    "smoke_dataset": dataset.pk if dataset else None,
                },
                framework_versions=framework_versions("scikit-learn", "skops", "numpy"),
                created_by=user,
            )
            event_record(
                action=EventAction.MODEL_REGISTERED,
                obj=model,
                actor=user,
                workspace=workspace,
                request_id=request_id,
                after={
                    "kind": model.kind, "sha256": sha, "estimator": model.config["estimator"], "version": model.version,
                },  # fmt: skip
            )
            plan_reaudit_new_version(actor=user, model=model, request_id=request_id)
    except BaseException:
        default_storage.delete(stored)
        raise
    logger.info("model %s registered: %s, sha256 %s", model.pk, model.config["estimator"], sha[:12])
    return model
