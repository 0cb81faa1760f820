"""model_register: the one way to register a model, whatever its source, for the API, the CLI and the pages.

Callers say what they were given (a source) and this module decides which registration runs; the rules that
decide it (content, not file names; favourable class required for a classifier; the workspace of the dataset)
live here only.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from audits.exceptions import ApplicationError
from audits.ingestion.model_folders import is_model_folder_zip
from audits.models import Dataset, ModelArtifact, Workspace
from explainers.pipeline.columns import normalise_values

from ..ingest_status import dataset_require_ready
from ..versions import plan_reaudit_new_version
from ..workspaces import workspace_require_role
from ._decisions import register_dataset_decisions
from ._folders import register_folder
from ._skops import register_skops


@dataclass(frozen=True)
class ModelFile:
    """An uploaded file (a Django File): a ZIP of a transformers folder, else a skops file, told apart by content."""

    upload: Any


@dataclass(frozen=True)
class ModelServerPath:
    """A transformers folder on the server, inside AUDIT_MODEL_PATH_ROOTS."""

    path: str


@dataclass(frozen=True)
class ModelBuiltin:
    """A model that ships with the platform, by name (audits.execution.builtins)."""

    name: str


@dataclass(frozen=True)
class DecisionColumn:
    """Decisions already made, held in a column of the dataset passed to model_register."""

    column: str


ModelSource = ModelFile | ModelServerPath | ModelBuiltin | DecisionColumn


def _workspace(workspace: Workspace | None, dataset: Dataset | None) -> Workspace:
    if workspace is None and dataset is None:
        raise ApplicationError("Name the workspace of the model.", field="workspace")
    if workspace is None:
        return dataset.workspace
    if dataset is not None and dataset.workspace_id != workspace.pk:
        raise ApplicationError("The dataset belongs to another workspace.", field="dataset")
    return workspace


def model_register(
    *,
    actor,
    source: ModelSource,
    workspace: Workspace | None = None,
    dataset: Dataset | None = None,
    favourable: str | Sequence[str] = (),
    name: str = "",
    text_column: str = "",
    kind: str = "",
    reaudit: bool = True,
    request_id: str = "",
    inline: bool = False,
) -> ModelArtifact:
    """Register a model in `workspace` (default: the dataset's) from `source`; the dataset smoke-tests it.

    - DecisionColumn: the decisions in a column of `dataset` (required); `favourable` lists its favourable values.
    - ModelFile: a ZIP holding config.json is a transformers folder, anything else must be a safe skops file
      (pickles are refused under any name); a skops model needs its favourable class. A skops pipeline fitted on
      a list of strings (e.g. TF-IDF + logistic regression) reads one text column: `text_column`, else the
      dataset's declared text column.
    - ModelServerPath, ModelBuiltin: a transformers folder on the server, or a built-in model.

    `favourable` holds one class for a runnable model. `kind` optionally names a transformers folder's kind.
    A name the workspace already holds makes the model that name's next version; plans of older versions that asked
    for it are re-audited on it (audits.services.versions), unless `reaudit` is False (dataset_create does it for a
    new dataset version and its decisions together).
    An uploaded transformers folder above AUDIT_INGEST_INLINE_MAX_BYTES is returned `validating` and loaded by a
    worker (audits.services.models._deferred), unless `inline` (the CLI, which is no web process).
    Side effects: the file or folder in storage (runnable models); the record and its event model.registered in
    one transaction (loading and smoke-testing a model happen before it, so no transaction waits on them).
    Raises ApplicationError (400, nothing stored, no event) naming the input at fault (a dataset not `ready` among
    them), or PermissionDeniedError
    when the actor may not register models in the workspace.
    """
    workspace = _workspace(workspace, dataset)
    workspace_require_role(user=actor, workspace=workspace)
    if dataset is not None:
        dataset_require_ready(dataset)
    values = normalise_values(favourable)
    if isinstance(source, DecisionColumn):
        if dataset is None:
            raise ApplicationError("Decisions in a column need the dataset that holds them.", field="dataset")
        if not values:
            raise ApplicationError("Name the favourable decision value(s).", field="favourable")
        with transaction.atomic():
            model = register_dataset_decisions(
                user=actor, dataset=dataset, decision_column=source.column, favourable=values, name=name,
                request_id=request_id,
            )  # fmt: skip
            if reaudit:
                plan_reaudit_new_version(actor=actor, model=model, request_id=request_id)
        return model
    if len(values) > 1:
        raise ApplicationError(
            f"A model has one favourable class; got {len(values)}: {', '.join(values)}.", field="favourable"
        )
    favourable_class = values[0] if values else ""
    common = {"user": actor, "workspace": workspace, "dataset": dataset, "name": name, "request_id": request_id}
    if isinstance(source, ModelFile) and not is_model_folder_zip(source.upload):
        if not favourable_class:
            raise ApplicationError("Name the favourable class of the model.", field="favourable")
        return register_skops(
            **common, upload=source.upload, favourable_class=favourable_class, text_column=text_column
        )
    if isinstance(source, ModelFile):
        where = {"upload": source.upload}
    elif isinstance(source, ModelServerPath):
        where = {"server_path": source.path}
    elif isinstance(source, ModelBuiltin):
        where = {"builtin": source.name}
    else:
        raise ApplicationError(f"Unknown model source {type(source).__name__}.", field="file")
    return register_folder(
        **common, **where, kind=kind, favourable_class=favourable_class, text_column=text_column, inline=inline
    )
