"""Audit plans: what to run and with which statistical settings."""

import pyarrow.parquet as pq
from django.db import transaction

from audits.choices import EventAction, ModelKind
from audits.exceptions import ApplicationError
from audits.execution.probes import DATASET_PROBES, PROBES
from audits.models import AuditPlan, Dataset, ModelArtifact, ProtectedAttribute
from explainers.audit_settings import (
    DEFAULT_ALPHA,
    DEFAULT_MIN_DENOMINATOR,
    DEFAULT_MIN_GROUP_SIZE,
    DEFAULT_N_BOOT,
    DEFAULT_REGRESSION_TOLERANCE,
    DEFAULT_SEED,
    DEFAULT_VERDICT_ERROR_CONTROL,
    PlanSettings,
    ProbeSettings,
    SettingsError,
)
from explainers.metrics.definitions import METRIC_DEFINITIONS
from explainers.metrics.ranking import DEFAULT_TOP_K
from explainers.pipeline.columns import group_labels

from .events import event_record
from .ingest_status import dataset_require_ready, model_require_ready
from .lexicons import lexicon_resolve
from .plan_checks import plan_checks_parse
from .plan_continuous import SCORE_AND_RANK_METRIC_IDS, plan_score_rank_options
from .plan_estimates import check_estimated_attributes
from .workspaces import workspace_require_role

# The metric ids of design.md section 4, in report order.
METRIC_IDS = tuple(METRIC_DEFINITIONS)


def _check_bands(bands: dict) -> dict:
    clean = {}
    for metric, band in (bands or {}).items():
        if metric not in METRIC_IDS and metric not in SCORE_AND_RANK_METRIC_IDS:
            known = ", ".join((*METRIC_IDS, *SCORE_AND_RANK_METRIC_IDS))
            raise ApplicationError(f"Unknown metric '{metric}' in bands; known: {known}.", field="bands")
        try:
            low, high = (float(band[0]), float(band[1]))
        except (TypeError, ValueError, IndexError, KeyError) as exc:
            raise ApplicationError(
                f"Band of '{metric}' must be [low, high] numbers.", field="bands", extra={"metric": metric}
            ) from exc
        if not low < high:
            raise ApplicationError(
                f"Band of '{metric}': low must be below high.", field="bands", extra={"metric": metric}
            )
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
    if model.kind == ModelKind.DATASET_DECISIONS:
        return
    if model.kind in (ModelKind.HF_CAUSAL_LM, ModelKind.HF_ENCODER):
        raise ApplicationError(
            f"A {model.get_kind_display()} makes no decisions on a dataset; create its plan without a dataset.",
            field="dataset",
        )
    if multiclass:
        raise ApplicationError("One-vs-rest audits need the decisions in a dataset column.", field="multiclass")
    columns = {c["name"] for c in dataset.schema}
    missing = [c for c in model.config.get("feature_columns", []) if c not in columns]
    if missing:
        raise ApplicationError(
            f"Model '{model.name}' needs columns that dataset '{dataset.name}' lacks: {', '.join(missing[:10])}.",
            field="model",
        )


# Which probes each kind of model can take.
PROBES_BY_KIND = {
    ModelKind.SKOPS_PIPELINE: ("tabular_counterfactual", "text_counterfactual"),
    ModelKind.HF_CLASSIFIER: ("text_counterfactual",),
    ModelKind.BUILTIN_TEXT: ("text_counterfactual",),
    ModelKind.HF_CAUSAL_LM: ("crows_pairs", "bbq", "discrim_eval"),
    ModelKind.HF_ENCODER: ("weat",),
    ModelKind.DATASET_DECISIONS: (),
}


def _check_probe_settings(settings: dict | None) -> ProbeSettings:
    try:
        return ProbeSettings.from_dict(settings or {})
    except SettingsError as exc:
        raise ApplicationError(exc.message, field="probe_settings", extra={"setting": exc.field}) from exc


def _check_probes(dataset: Dataset | None, model: ModelArtifact, probes: list[str], settings: dict | None):
    """The probes (in order, once each) and the JSON of their resolved settings ({} for a plan without probes)."""
    unknown = [p for p in probes if p not in PROBES]
    if unknown:
        raise ApplicationError(f"Unknown probes {unknown}; available: {', '.join(PROBES)}.", field="probes")
    allowed = PROBES_BY_KIND.get(model.kind, ())
    refused = [p for p in probes if p not in allowed]
    if refused:
        raise ApplicationError(
            f"A {model.get_kind_display()} cannot take probes {refused}; it can take: {', '.join(allowed) or 'none'}.",
            field="probes",
        )
    settings = _check_probe_settings(settings)
    if dataset is None and any(p in DATASET_PROBES for p in probes):
        raise ApplicationError("The tabular and text probes read a dataset; choose one.", field="dataset")
    if "text_counterfactual" in probes:
        text_column = dataset.text_column or model.config.get("text_column", "")
        if not text_column or text_column not in {c["name"] for c in dataset.schema}:
            raise ApplicationError("The text probe needs the dataset's text column (text_column).", field="probes")
        if text_column not in model.config.get("feature_columns", [text_column]):
            raise ApplicationError(f"The model does not read the text column '{text_column}'.", field="probes")
        for name in settings.lexicons:
            lexicon_resolve(workspace=model.workspace, name=name)
    stages = settings.global_explanations or settings.explanation_quality
    if stages and (dataset is None or model.kind == ModelKind.DATASET_DECISIONS):
        raise ApplicationError(
            "Global explanations and explanation quality explain a model on a dataset: choose both.",
            field="probe_settings",
            extra={"setting": "global_explanations" if settings.global_explanations else "explanation_quality"},
        )
    return list(dict.fromkeys(probes)), settings.to_dict() if probes or stages else {}


def _check_model_only(model: ModelArtifact, probes: list[str], multiclass: bool, intersections) -> None:
    if model.kind not in (ModelKind.HF_CAUSAL_LM, ModelKind.HF_ENCODER):
        raise ApplicationError(f"Auditing a {model.get_kind_display()} needs a dataset.", field="dataset")
    if not probes:
        raise ApplicationError(
            f"A plan without a dataset runs probes only; choose from {', '.join(PROBES_BY_KIND[model.kind])}.",
            field="probes",
        )
    if multiclass or intersections:
        raise ApplicationError("Intersections and one-vs-rest need a dataset.", field="dataset")


@transaction.atomic
def audit_plan_create(
    *,
    user,
    dataset: Dataset | None,
    model: ModelArtifact,
    attributes: list[ProtectedAttribute] | None = None,
    name: str = "",
    metrics: list[str] | None = None,
    n_boot: int = DEFAULT_N_BOOT,
    seed: int = DEFAULT_SEED,
    alpha: float = DEFAULT_ALPHA,
    min_group_size: int = DEFAULT_MIN_GROUP_SIZE,
    min_denominator: int = DEFAULT_MIN_DENOMINATOR,
    regression_tolerance: float = DEFAULT_REGRESSION_TOLERANCE,
    verdict_error_control: str = DEFAULT_VERDICT_ERROR_CONTROL,
    bands: dict | None = None,
    intersections: list[list[str]] | None = None,
    estimated_attributes: list[dict] | None = None,
    multiclass: bool = False,
    probes: list[str] | None = None,
    probe_settings: dict | None = None,
    reaudit_on_new_version: bool = False,
    previous: AuditPlan | None = None,
    checks: list[str] | None = None,
    request_id: str = "",
    outcome_type: str = "",
    rank_column: str = "",
    rank_query_column: str = "",
    top_k: int = DEFAULT_TOP_K,
) -> AuditPlan:
    """Create a plan auditing `model` on `dataset` across `attributes` (all of the dataset's by default).

    `intersections` adds attributes made of several protected columns (e.g. [["race", "sex"]]);
    `multiclass` adds a one-vs-rest audit for every class of the decision column.
    `estimated_attributes` adds attributes that were never recorded, estimated from proxies (BISG / BIFSG:
    [{"estimate": "race", "surname_column", "zip_column", "first_name_column", "name", "reference_group"}],
    checked by plan_estimates); a plan of estimated attributes alone needs no recorded one.

    Without a dataset, a language model or encoder is probed on built-in benchmarks (CrowS-Pairs, BBQ,
    WEAT, discrim-eval) and no group metric is computed.

    `regression_tolerance`: how far a metric must move since the plan's last approved report to be a regression.
    `verdict_error_control`: per_comparison, familywise (default) or fdr: the error rate verdicts hold at over the
    whole audit (design.md section 4, explainers.metrics.family).

    The statistics are checked by PlanSettings, `probe_settings` by ProbeSettings (explainers.audit_settings);
    a plan with probes stores every probe setting resolved (defaults filled in), so its reports state them all.

    `reaudit_on_new_version`: a new version of the model or dataset re-audits the plan (audits.services.versions);
    `previous`: the plan this one succeeds (set by that re-audit; a plan has one successor at most).

    `checks`: user-stated checks (grammar: explainers.metrics.checks), each judged in every run of the plan.

    `outcome_type` ("binary" | "continuous"; empty: the dataset's), `rank_column` (1 = top), `rank_query_column`
    and `top_k` add the continuous-score and ranking metrics (audits.services.plan_continuous). A model without
    decisions (the dataset's scores) audits only those; the count-table metrics are then not computable.

    Writes event plan.created. Raises ApplicationError for objects of another workspace, a dataset that is not
    ready (still validating, or refused) or bad settings.
    """
    workspace = dataset.workspace if dataset is not None else model.workspace
    workspace_require_role(user=user, workspace=workspace)
    if dataset is not None:
        dataset_require_ready(dataset)
    model_require_ready(model)
    lineage = _check_lineage(workspace, previous, reaudit_on_new_version)
    try:
        statistics = PlanSettings(
            n_boot=n_boot,
            seed=seed,
            alpha=alpha,
            min_group_size=min_group_size,
            min_denominator=min_denominator,
            regression_tolerance=regression_tolerance,
            verdict_error_control=verdict_error_control,
        )
    except SettingsError as exc:
        raise ApplicationError(exc.message, field=exc.field) from exc
    if dataset is None:
        _check_model_only(model, probes or [], multiclass, intersections)
        if checks:
            plan_checks_parse(checks=checks, dataset=None, model=model, attributes=[])
        return _create(
            user=user, workspace=workspace, dataset=None, model=model, attributes=[], name=name or model.name,
            metrics=[], statistics=statistics, bands={}, intersections=[], decision_classes=[], outcome_classes=[],
            probes=_check_probes(None, model, probes or [], probe_settings), lineage=lineage, request_id=request_id,
            checks=[],
        )  # fmt: skip
    if model.workspace_id != workspace.pk:
        raise ApplicationError("The model belongs to another workspace than the dataset.", field="model")
    if model.dataset_id is not None and model.dataset_id != dataset.pk:
        raise ApplicationError("This model's decisions are a column of another dataset.", field="model")
    attributes = list(attributes) if attributes else list(dataset.protected_attributes.all())
    if any(a.dataset_id != dataset.pk for a in attributes):
        raise ApplicationError("Every protected attribute must belong to the plan's dataset.", field="attributes")
    estimated = check_estimated_attributes(dataset, estimated_attributes, [a.name for a in attributes])
    if not attributes and not estimated:
        raise ApplicationError("The plan needs at least one protected attribute.", field="attributes")
    metrics = list(metrics or METRIC_IDS)
    unknown = [m for m in metrics if m not in METRIC_IDS]
    if unknown:
        raise ApplicationError(f"Unknown metrics {unknown}; known: {', '.join(METRIC_IDS)}.", field="metrics")
    intersections = _check_intersections(intersections, attributes)
    _check_model_fits(dataset, model, multiclass)
    probes, probe_settings = _check_probes(dataset, model, probes or [], probe_settings)
    if multiclass and model.kind == ModelKind.DATASET_DECISIONS and not model.decision_column:
        raise ApplicationError("One-vs-rest audits need the decisions in a dataset column.", field="multiclass")
    decision_classes, outcome_classes = _decision_classes(dataset, model) if multiclass else ([], [])
    stated = plan_checks_parse(checks=checks, dataset=dataset, model=model, attributes=attributes)
    scores_and_ranks = plan_score_rank_options(
        dataset=dataset, model=model, outcome_type=outcome_type, rank_column=rank_column,
        rank_query_column=rank_query_column, top_k=top_k,
    )  # fmt: skip
    return _create(
        user=user, workspace=workspace, dataset=dataset, model=model, attributes=attributes,
        name=name or f"{model.name} on {dataset.name}", metrics=metrics, statistics=statistics,
        bands=_check_bands(bands or {}),
        intersections=intersections, decision_classes=decision_classes, outcome_classes=outcome_classes,
        probes=(probes, probe_settings), lineage=lineage, request_id=request_id, checks=stated,
        scores_and_ranks=scores_and_ranks,
        estimated=estimated,
    )  # fmt: skip


def _check_lineage(workspace, previous: AuditPlan | None, reaudit: bool) -> dict:
    if previous is not None:
        if previous.workspace_id != workspace.pk:
            raise ApplicationError("The previous plan belongs to another workspace.", field="previous")
        if AuditPlan.objects.filter(previous=previous).exists():
            raise ApplicationError(f"Plan {previous.pk} already has a successor.", field="previous")
    return {"reaudit_on_new_version": bool(reaudit), "previous": previous}


def _create(*, user, workspace, dataset, model, attributes, name, metrics, statistics: PlanSettings, bands,
            intersections, decision_classes, outcome_classes, probes, lineage, request_id, checks,
            scores_and_ranks=None, estimated=()):  # fmt: skip
    probes, probe_settings = probes
    scores_and_ranks = scores_and_ranks or {}
    plan = AuditPlan.objects.create(
        workspace=workspace,
        name=name[:200],
        dataset=dataset,
        model=model,
        metrics=metrics,
        **statistics.to_dict(),
        bands=bands,
        intersections=intersections,
        estimated_attributes=list(estimated),
        decision_classes=decision_classes,
        outcome_classes=outcome_classes,
        probes=probes,
        probe_settings=probe_settings,
        checks=checks,
        **lineage,
        **scores_and_ranks,
        created_by=user,
    )
    plan.attributes.set(attributes)
    event_record(
        action=EventAction.PLAN_CREATED,
        obj=plan,
        actor=user,
        workspace=workspace,
        request_id=request_id,
        after={
            "dataset": dataset.pk if dataset else None,
            "model": model.pk,
            "attributes": [a.name for a in attributes],
            "intersections": intersections,
            # Which proxies estimate which attribute (column names only: no individual's values).
            **({"estimated_attributes": list(estimated)} if estimated else {}),
            "decision_classes": decision_classes,
            "probes": probes,
            "metrics": metrics,
            **({"checks": [c["text"] for c in checks]} if checks else {}),
            "reaudit_on_new_version": lineage["reaudit_on_new_version"],
            **{k: v for k, v in scores_and_ranks.items() if v and v != "binary" and k != "top_k"},
            **({"top_k": scores_and_ranks["top_k"]} if scores_and_ranks.get("rank_column") else {}),
            **({"previous": lineage["previous"].pk} if lineage["previous"] else {}),
        },
    )
    return plan
