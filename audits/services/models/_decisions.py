"""Registering decisions held in a dataset column (internal: callers use model_register)."""

from django.db import transaction

from audits.canonical import canonical_dumps, sha256_hex
from audits.choices import EventAction, ModelKind
from audits.exceptions import ApplicationError
from audits.models import Dataset, ModelArtifact

from ..events import event_record
from ..versions import next_version


@transaction.atomic
def register_dataset_decisions(
    *, user, dataset: Dataset, decision_column: str, favourable: list[str], name: str = "", request_id: str = ""
) -> ModelArtifact:
    """Register a model whose decisions are a column of `dataset`. Writes event model.registered.

    Its sha256 fingerprints what defines it: the dataset's sha256, the column and the favourable values.
    """
    if decision_column not in {c["name"] for c in dataset.schema}:
        raise ApplicationError(
            f"Column '{decision_column}' is not in dataset '{dataset.name}'.", field="decision_column"
        )
    definition = {
        "kind": ModelKind.DATASET_DECISIONS.value,
        "dataset_sha256": dataset.sha256,
        "decision_column": decision_column,
        "favourable": favourable,
    }
    name = (name or f"{decision_column} in {dataset.name}")[:200]
    model = ModelArtifact.objects.create(
        workspace=dataset.workspace,
        name=name,
        version=next_version(model_class=ModelArtifact, workspace=dataset.workspace, name=name),
        kind=ModelKind.DATASET_DECISIONS,
        dataset=dataset,
        decision_column=decision_column,
        decision_favourable=favourable,
        sha256=sha256_hex(canonical_dumps(definition)),
        config=definition,
        created_by=user,
    )
    event_record(
        action=EventAction.MODEL_REGISTERED,
        obj=model,
        actor=user,
        workspace=dataset.workspace,
        request_id=request_id,
        after={"kind": model.kind, "sha256": model.sha256, "version": model.version},
    )
    return model


@transaction.atomic
def register_dataset_scores(*, user, dataset: Dataset, request_id: str = "") -> ModelArtifact:
    """Register the scores or ranks held in `dataset` as the model of a plan without binary decisions (a
    continuous-score or ranking audit): kind dataset_decisions with no decision column. Writes event
    model.registered. Its sha256 fingerprints the dataset's sha256 and the score, outcome and rank columns.
    """
    profile = dataset.profile
    definition = {
        "kind": ModelKind.DATASET_DECISIONS.value,
        "dataset_sha256": dataset.sha256,
        "decision_column": "",
        "score_column": dataset.score_column,
        "outcome_type": (profile.get("outcome") or {}).get("type", "binary"),
        "rank_column": (profile.get("rank") or {}).get("column", ""),
    }
    name = f"scores in {dataset.name}"[:200]
    model = ModelArtifact.objects.create(
        workspace=dataset.workspace,
        name=name,
        version=next_version(model_class=ModelArtifact, workspace=dataset.workspace, name=name),
        kind=ModelKind.DATASET_DECISIONS,
        dataset=dataset,
        decision_column="",
        decision_favourable=[],
        sha256=sha256_hex(canonical_dumps(definition)),
        config=definition,
        created_by=user,
    )
    event_record(
        action=EventAction.MODEL_REGISTERED,
        obj=model,
        actor=user,
        workspace=dataset.workspace,
        request_id=request_id,
        after={"kind": model.kind, "sha256": model.sha256, "version": model.version},
    )
    return model
