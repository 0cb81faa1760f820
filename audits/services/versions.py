"""Versions of models and datasets, and the re-audit a new version triggers (plan option reaudit_on_new_version).

A model or dataset registered under a name the workspace already holds is that name's next version (1, 2, ...).
When a new version arrives, every plan that audits an older version of that name, has `reaudit_on_new_version` and
no successor yet gets a successor plan: the same settings on the new version, `previous` = the old plan; a run of
it is queued, and the old plan's schedules move to the successor. Old plans and their reports stay as they were.
"""

import logging

from django.db import transaction
from django.db.models import Max, Q

from audits.choices import EventAction, ModelKind
from audits.exceptions import ApplicationError
from audits.models import AuditPlan, Dataset, ModelArtifact, Workspace

from .audit_runs import audit_run_create
from .events import event_record
from .plans import audit_plan_create
from .schedules import schedules_follow_successor

logger = logging.getLogger(__name__)


def next_version(*, model_class: type[Dataset] | type[ModelArtifact], workspace: Workspace, name: str) -> int:
    """The version a new `model_class` record named `name` gets in `workspace`: one more than the highest so far.

    Call it inside the transaction that creates the record: it locks the workspace row (FOR NO KEY UPDATE, which
    leaves inserts referring to the workspace alone) so two concurrent uploads of one name never share a number."""
    list(Workspace.objects.select_for_update(no_key=True).filter(pk=workspace.pk).values_list("pk", flat=True))
    highest = model_class.objects.filter(workspace=workspace, name=name).aggregate(top=Max("version"))["top"]
    return (highest or 0) + 1


def _skip(plan: AuditPlan, *, actor, reason: str, request_id: str, new: dict) -> None:
    event_record(
        action=EventAction.PLAN_REAUDIT_SKIPPED,
        obj=plan,
        actor=actor,
        workspace=plan.workspace,
        request_id=request_id,
        after={"reason": reason, **new},
    )


def _successor_inputs(plan: AuditPlan, dataset: Dataset | None, model: ModelArtifact | None):
    """(dataset, model, attributes) of the successor of `plan`, or a string saying why there can be none."""
    new_dataset = plan.dataset
    if dataset is not None and plan.dataset is not None and plan.dataset.name == dataset.name:
        new_dataset = dataset
    new_model = model if model is not None and plan.model.name == model.name else plan.model
    if new_model.kind == ModelKind.DATASET_DECISIONS and new_model.dataset_id != getattr(new_dataset, "pk", None):
        # Decisions held in a column of the old dataset: take the same column of the new version.
        new_model = (
            ModelArtifact.objects.filter(
                dataset=new_dataset, kind=ModelKind.DATASET_DECISIONS, decision_column=plan.model.decision_column
            )
            .order_by("-version", "-id")
            .first()
        )
        if new_model is None:
            return f"Version {new_dataset.version} of '{new_dataset.name}' has no decisions in column " \
                   f"'{plan.model.decision_column}' registered."  # fmt: skip
    same_dataset = getattr(new_dataset, "sha256", None) == getattr(plan.dataset, "sha256", None)
    if same_dataset and new_model.sha256 == plan.model.sha256:
        return "The new version has the same content (sha256) as the audited one."
    attributes = list(plan.attributes.all())
    if new_dataset is not None and new_dataset.pk != plan.dataset_id:
        names = [a.name for a in attributes]
        attributes = list(new_dataset.protected_attributes.filter(name__in=names))
        missing = sorted(set(names) - {a.name for a in attributes})
        if missing:
            return f"Version {new_dataset.version} of '{new_dataset.name}' lacks the protected attributes {missing}."
    return new_dataset, new_model, attributes


@transaction.atomic
def plan_reaudit_new_version(
    *, actor, dataset: Dataset | None = None, model: ModelArtifact | None = None, request_id: str = ""
) -> list[AuditPlan]:
    """Re-audit the plans of older versions of `dataset`'s and/or `model`'s names that asked for it.

    For each such plan (reaudit_on_new_version, no successor yet): a successor plan through audit_plan_create (event
    plan.created naming `previous`), a run through audit_run_create (event run.queued with the trigger), and the
    plan's schedules moved to the successor (schedule.updated). A plan that cannot follow (same content, a missing
    attribute, settings the new version refuses) gets event plan.reaudit_skipped with the reason instead.
    Returns the successor plans. Raises nothing for a plan that cannot follow; the registration stands.
    """
    if dataset is None and model is None:
        return []
    workspace = (dataset or model).workspace
    about = Q()
    if dataset is not None:
        about |= Q(dataset__name=dataset.name, dataset__version__lt=dataset.version)
    if model is not None:
        about |= Q(model__name=model.name, model__version__lt=model.version)
    plans = (
        AuditPlan.objects.select_for_update(of=("self",))
        .filter(about, workspace=workspace, reaudit_on_new_version=True, successor__isnull=True)
        .select_related("dataset", "model", "workspace")
        .order_by("id")
    )
    successors = []
    for plan in plans:
        inputs = _successor_inputs(plan, dataset, model)
        new = {"dataset": dataset.pk if dataset else None, "model": model.pk if model else None}
        if isinstance(inputs, str):
            _skip(plan, actor=actor, reason=inputs, request_id=request_id, new=new)
            continue
        new_dataset, new_model, attributes = inputs
        try:
            with transaction.atomic():
                successor = _successor_create(plan, actor, new_dataset, new_model, attributes, request_id)
                audit_run_create(
                    user=actor, plan=successor, request_id=request_id,
                    trigger={"new_version": new, "previous_plan": plan.pk},
                )  # fmt: skip
                schedules_follow_successor(plan=plan, successor=successor, actor=actor, request_id=request_id)
        except ApplicationError as exc:
            _skip(plan, actor=actor, reason=exc.message, request_id=request_id, new=new)
            continue
        logger.info("plan %s re-audits plan %s on a new version", successor.pk, plan.pk)
        successors.append(successor)
    return successors


def _successor_create(plan, actor, dataset, model, attributes, request_id) -> AuditPlan:
    return audit_plan_create(
        user=actor,
        dataset=dataset,
        model=model,
        attributes=attributes or None,
        name=plan.name,
        metrics=plan.metrics or None,
        n_boot=plan.n_boot,
        seed=plan.seed,
        alpha=plan.alpha,
        min_group_size=plan.min_group_size,
        min_denominator=plan.min_denominator,
        verdict_error_control=plan.verdict_error_control,
        bands=plan.bands,
        intersections=plan.intersections,
        estimated_attributes=plan.estimated_attributes,
        multiclass=bool(plan.decision_classes),
        probes=plan.probes,
        probe_settings=plan.probe_settings or None,
        reaudit_on_new_version=True,
        previous=plan,
        checks=[c["text"] for c in plan.checks or []],
        request_id=request_id,
        outcome_type=plan.outcome_type if dataset is not None else "",
        rank_column=plan.rank_column,
        rank_query_column=plan.rank_query_column,
        top_k=plan.top_k,
    )
