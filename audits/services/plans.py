"""Audit plans: what to run and with which statistical settings."""

from django.db import transaction

from audits.exceptions import ApplicationError
from audits.models import AuditPlan, Dataset, ModelArtifact, ProtectedAttribute

from .events import event_record
from .workspaces import workspace_require_role

# The metric ids of design.md section 4, in report order.
METRIC_IDS = (
    "disparate_impact",
    "statistical_parity_difference",
    "equal_opportunity_difference",
    "equal_opportunity_ratio",
    "equalized_odds_difference",
    "predictive_parity_difference",
)


def _check_bands(bands: dict) -> dict:
    clean = {}
    for metric, band in (bands or {}).items():
        if metric not in METRIC_IDS:
            raise ApplicationError(
                f"Unknown metric '{metric}' in bands; known: {', '.join(METRIC_IDS)}.", field="bands"
            )
        try:
            low, high = (float(band[0]), float(band[1]))
        except (TypeError, ValueError, IndexError, KeyError) as exc:
            raise ApplicationError(f"Band of '{metric}' must be [low, high] numbers.", field="bands") from exc
        if not low < high:
            raise ApplicationError(f"Band of '{metric}': low must be below high.", field="bands")
        clean[metric] = [low, high]
    return clean


@transaction.atomic
def audit_plan_create(
    *,
    user,
    dataset: Dataset,
    model: ModelArtifact,
    attributes: list[ProtectedAttribute] | None = None,
    name: str = "",
    metrics: list[str] | None = None,
    n_boot: int = 2000,
    seed: int = 0,
    alpha: float = 0.05,
    min_group_size: int = 30,
    min_denominator: int = 10,
    bands: dict | None = None,
    request_id: str = "",
) -> AuditPlan:
    """Create a plan auditing `model` on `dataset` across `attributes` (all of the dataset's by default).

    Writes event plan.created. Raises ApplicationError for objects of another workspace or bad settings.
    """
    workspace = dataset.workspace
    workspace_require_role(user=user, workspace=workspace)
    if model.workspace_id != workspace.pk:
        raise ApplicationError("The model belongs to another workspace than the dataset.", field="model")
    if model.dataset_id is not None and model.dataset_id != dataset.pk:
        raise ApplicationError("This model's decisions are a column of another dataset.", field="model")
    attributes = list(attributes) if attributes else list(dataset.protected_attributes.all())
    if any(a.dataset_id != dataset.pk for a in attributes):
        raise ApplicationError("Every protected attribute must belong to the plan's dataset.", field="attributes")
    if not attributes:
        raise ApplicationError("The plan needs at least one protected attribute.", field="attributes")
    metrics = list(metrics or METRIC_IDS)
    unknown = [m for m in metrics if m not in METRIC_IDS]
    if unknown:
        raise ApplicationError(f"Unknown metrics {unknown}; known: {', '.join(METRIC_IDS)}.", field="metrics")
    if not 100 <= n_boot <= 100_000:
        raise ApplicationError("n_boot must be between 100 and 100000.", field="n_boot")
    if not 0 < alpha < 0.5:
        raise ApplicationError("alpha must be between 0 and 0.5.", field="alpha")
    if min_group_size < 1 or min_denominator < 1:
        raise ApplicationError("Minimum sizes must be at least 1.", field="min_group_size")
    plan = AuditPlan.objects.create(
        workspace=workspace,
        name=(name or f"{model.name} on {dataset.name}")[:200],
        dataset=dataset,
        model=model,
        metrics=metrics,
        n_boot=n_boot,
        seed=seed,
        alpha=alpha,
        min_group_size=min_group_size,
        min_denominator=min_denominator,
        bands=_check_bands(bands or {}),
        created_by=user,
    )
    plan.attributes.set(attributes)
    event_record(
        action="plan.created",
        obj=plan,
        actor=user,
        workspace=workspace,
        request_id=request_id,
        after={
            "dataset": dataset.pk,
            "model": model.pk,
            "attributes": [a.name for a in attributes],
            "metrics": metrics,
        },
    )
    return plan
