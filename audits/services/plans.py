"""Audit plans: what to run and with which statistical settings."""

import pyarrow.parquet as pq
from django.db import transaction

from audits.choices import ModelKind
from audits.engine.probes import DEFAULT_PROBE_SETTINGS, PROBES
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


MAX_DECISION_CLASSES = 20


def _check_intersections(intersections, attributes) -> list[list[str]]:
    names = {a.name for a in attributes}
    clean = []
    for combo in intersections or []:
        combo = [str(n) for n in combo]
        if len(set(combo)) < 2:
            raise ApplicationError("An intersection needs at least two different attributes.", field="intersections")
        unknown = [n for n in combo if n not in names]
        if unknown:
            raise ApplicationError(
                f"Intersection names {unknown}, which are not attributes of this plan ({', '.join(sorted(names))}).",
                field="intersections",
            )
        clean.append(combo)
    return clean


def _distinct_values(dataset: Dataset, column: str) -> list[str]:
    from audits.ingestion.columns import group_labels

    series = pq.read_table(dataset.file.path, columns=[column]).to_pandas()[column]
    return sorted(str(v) for v in group_labels(series).dropna().unique())


def _decision_classes(dataset: Dataset, model: ModelArtifact) -> tuple[list[str], list[str]]:
    """The decision column's classes (one-vs-rest) and those the outcome column shares."""
    classes = _distinct_values(dataset, model.decision_column)
    if len(classes) < 3:
        raise ApplicationError(
            f"Decision column '{model.decision_column}' has {len(classes)} values; one-vs-rest needs 3 or more.",
            field="multiclass",
        )
    if len(classes) > MAX_DECISION_CLASSES:
        raise ApplicationError(
            f"Decision column '{model.decision_column}' has {len(classes)} values, more than {MAX_DECISION_CLASSES}.",
            field="multiclass",
        )
    outcome = set(_distinct_values(dataset, dataset.outcome_column)) if dataset.outcome_column else set()
    return classes, [c for c in classes if c in outcome]


def _check_model_fits(dataset: Dataset, model: ModelArtifact, multiclass: bool) -> None:
    if model.kind != ModelKind.SKOPS_PIPELINE:
        return
    if multiclass:
        raise ApplicationError("One-vs-rest audits need the decisions in a dataset column.", field="multiclass")
    columns = {c["name"] for c in dataset.schema}
    missing = [c for c in model.config.get("feature_columns", []) if c not in columns]
    if missing:
        raise ApplicationError(
            f"Model '{model.name}' needs columns that dataset '{dataset.name}' lacks: {', '.join(missing[:10])}.",
            field="model",
        )


def _check_probes(dataset: Dataset, model: ModelArtifact, probes: list[str], settings: dict) -> tuple[list[str], dict]:
    unknown = [p for p in probes if p not in PROBES]
    if unknown:
        raise ApplicationError(f"Unknown probes {unknown}; available: {', '.join(PROBES)}.", field="probes")
    if probes and model.kind != ModelKind.SKOPS_PIPELINE:
        raise ApplicationError(
            "Counterfactual probes need a model that can be run (e.g. a skops pipeline), not decisions in a column.",
            field="probes",
        )
    allowed = set(DEFAULT_PROBE_SETTINGS)
    if set(settings) - allowed:
        raise ApplicationError(f"Unknown probe settings {sorted(set(settings) - allowed)}.", field="probe_settings")
    if "text_counterfactual" in probes:
        if not dataset.text_column:
            raise ApplicationError("The text probe needs the dataset's text column (text_column).", field="probes")
        if dataset.text_column not in model.config.get("feature_columns", []):
            raise ApplicationError(f"The model does not read the text column '{dataset.text_column}'.", field="probes")
        from explainers.lexicons import available_lexicons

        unknown = [n for n in settings.get("lexicons", ["gender"]) if n not in available_lexicons()]
        if unknown:
            raise ApplicationError(
                f"Unknown lexicons {unknown}; available: {', '.join(available_lexicons())}.", field="probe_settings"
            )
    if not 100 <= int(settings.get("max_rows", 20_000)) <= 1_000_000:
        raise ApplicationError("probe_settings.max_rows must be between 100 and 1000000.", field="probe_settings")
    return list(dict.fromkeys(probes)), settings


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
    intersections: list[list[str]] | None = None,
    multiclass: bool = False,
    probes: list[str] | None = None,
    probe_settings: dict | None = None,
    request_id: str = "",
) -> AuditPlan:
    """Create a plan auditing `model` on `dataset` across `attributes` (all of the dataset's by default).

    `intersections` adds attributes made of several protected columns (e.g. [["race", "sex"]]);
    `multiclass` adds a one-vs-rest audit for every class of the decision column.

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
    intersections = _check_intersections(intersections, attributes)
    _check_model_fits(dataset, model, multiclass)
    probes, probe_settings = _check_probes(dataset, model, probes or [], probe_settings or {})
    decision_classes, outcome_classes = _decision_classes(dataset, model) if multiclass else ([], [])
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
        intersections=intersections,
        decision_classes=decision_classes,
        outcome_classes=outcome_classes,
        probes=probes,
        probe_settings=probe_settings,
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
            "intersections": intersections,
            "decision_classes": decision_classes,
            "probes": probes,
            "metrics": metrics,
        },
    )
    return plan
