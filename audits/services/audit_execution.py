"""Executing a claimed run: in one process, or fanned out over workers as a Celery chord of chunks."""

import logging
import time
import traceback
from pathlib import Path

from celery import chord, current_app
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from audits.choices import EventAction, ModelKind, OutcomeType, RunStatus
from audits.exceptions import ApplicationError
from audits.execution.artifacts import ArtifactWriter
from audits.execution.attributions import run_attributions
from audits.execution.checks import run_checks
from audits.execution.global_stage import run_stages
from audits.execution.model_runner import spec_runner
from audits.execution.probes import run_probes
from audits.models import AuditPlan, AuditRun
from audits.reports.builder import build_report_document
from audits.selectors import plan_last_approved_report
from explainers.audit_settings import ProbeSettings
from explainers.pipeline.counting import ChunkCounts, count_row_groups, merge_chunks, row_group_chunks
from explainers.pipeline.finish import EngineOutput, finish, finish_without_decisions
from explainers.pipeline.local import count_chunks
from explainers.pipeline.spec import INTERSECTION_SEPARATOR, AttributeSpec, EngineInput, EstimatedSpec

from .audit_runs import audit_run_claim, audit_run_fail, audit_run_progress
from .events import event_record
from .lexicons import lexicon_resolve
from .reports import report_create
from .signatures import report_sign
from .webhook_events import webhook_run_succeeded

logger = logging.getLogger(__name__)


def _model_fields(plan: AuditPlan) -> dict:
    model = plan.model
    if model.kind == ModelKind.DATASET_DECISIONS:
        return {}
    path = model.file.path if model.kind == ModelKind.SKOPS_PIPELINE else model.path
    return {
        "model_path": path,
        "model_sha256": model.sha256,
        "model_favourable": model.decision_favourable[0] if model.decision_favourable else "",
        "model_kind": model.kind,
    }


def _lexicons(plan: AuditPlan) -> list[dict]:
    if "text_counterfactual" not in plan.probes:
        return []
    names = ProbeSettings.from_dict(plan.probe_settings).lexicons
    return [lexicon_resolve(workspace=plan.workspace, name=name) for name in names]


def engine_input(plan: AuditPlan) -> EngineInput:
    """The engine's view of a plan: columns, favourable values, attributes (and intersections), settings."""
    dataset, model = plan.dataset, plan.model
    common = {
        "metrics": list(plan.metrics),
        "n_boot": plan.n_boot,
        "seed": plan.seed,
        "alpha": plan.alpha,
        "min_group_size": plan.min_group_size,
        "min_denominator": plan.min_denominator,
        "verdict_error_control": plan.verdict_error_control,
        "bands": plan.bands,
        **_model_fields(plan),
    }
    if dataset is None:  # model-only plan: probes on built-in benchmarks
        return EngineInput(
            parquet_path="", decision_column="", decision_favourable=[], outcome_column="", outcome_favourable=[],
            attributes=[], missing_policy="", **common,
        )  # fmt: skip
    scores_only = plan.outcome_type == OutcomeType.CONTINUOUS or bool(plan.rank_column)
    if not model.decision_column and model.kind == ModelKind.DATASET_DECISIONS and not scores_only:
        raise ApplicationError("This model has no decision column to audit.")
    if model.kind in (ModelKind.HF_CAUSAL_LM, ModelKind.HF_ENCODER):
        raise ApplicationError(f"A {model.get_kind_display()} makes no decisions on a dataset; use a plan without one.")
    attributes = [AttributeSpec(a.name, [a.column], a.reference_group) for a in plan.attributes.order_by("id")]
    by_name = {a.name: a for a in attributes}
    for combo in plan.intersections:
        columns = [c for name in combo for c in by_name[name].columns]
        attributes.append(AttributeSpec(INTERSECTION_SEPARATOR.join(combo), columns))
    score = dataset.profile.get("score") or {}
    text_column = dataset.text_column or model.config.get("text_column", "")
    continuous = plan.outcome_type == OutcomeType.CONTINUOUS
    return EngineInput(
        parquet_path=dataset.file.path,
        decision_column=model.decision_column,
        decision_favourable=list(model.decision_favourable),
        # A continuous outcome has no favourable value: the count-table metrics then run without labels.
        outcome_column="" if continuous else dataset.outcome_column,
        outcome_favourable=[] if continuous else list(dataset.outcome_favourable),
        attributes=attributes,
        missing_policy=dataset.missing_policy,
        decision_classes=list(plan.decision_classes),
        outcome_classes=list(plan.outcome_classes),
        score_column=dataset.score_column,
        score_higher_is_favourable=dataset.score_higher_is_favourable,
        score_range=(score["min"], score["max"]) if dataset.score_column and score else None,
        text_column=text_column,
        lexicons=_lexicons(plan),
        outcome_type=plan.outcome_type,
        continuous_outcome_column=dataset.outcome_column if continuous else "",
        rank_column=plan.rank_column,
        rank_query_column=plan.rank_query_column,
        top_k=plan.top_k,
        estimated=[EstimatedSpec(**item) for item in plan.estimated_attributes],
        **common,
    )


def counting_runner(spec: EngineInput):
    """The registered model that makes the plan's decisions, loaded and checked in this process; None when the
    decisions are a column of the dataset."""
    return spec_runner(spec) if spec.model_path else None


def _describe_error(exc: Exception) -> str:
    message = getattr(exc, "message", None) or str(exc) or type(exc).__name__
    tail = "".join(traceback.format_exception_only(type(exc), exc)).strip()
    return f"{message}\n\n{tail}"[:4000]


def _fan_out_enabled() -> bool:
    return settings.AUDIT_FANOUT and not current_app.conf.task_always_eager and bool(current_app.conf.result_backend)


def audit_run_execute(*, run_id: int, worker: str, task_id: str = "", redelivered: bool = False) -> AuditRun | None:
    """Claim and execute a run, ending in a stored report (SUCCEEDED) or a kept error (FAILED).

    A duplicate message finds the run no longer queued and does nothing; the same message redelivered after its
    worker process died resumes the run at once (audit_run_claim). A dataset of several chunks
    is fanned out as a chord (chunk counts on any worker, then audit_run_finish). Writes events
    run.started, then (here or in audit_run_finish) report.created and run.succeeded, or run.failed; the
    matching webhooks (run.succeeded, regression.found, run.failed) are enqueued on commit.
    """
    run = audit_run_claim(run_id=run_id, worker=worker, task_id=task_id, redelivered=redelivered)
    if run is None:
        logger.info("run %s is not queued any more; nothing to do", run_id)
        return None
    try:
        spec = engine_input(run.plan)
        if spec.model_only or spec.without_decisions:
            return _complete(run_id=run_id, spec=spec, counts=None, timings={}, task_id=task_id)
        chunks = row_group_chunks(spec.parquet_path, chunk_row_groups=settings.AUDIT_CHUNK_ROW_GROUPS)
        if len(chunks) > 1 and _fan_out_enabled():
            _dispatch_chord(run_id, spec, chunks)
            return run
        started = time.perf_counter()
        counts = count_chunks(
            spec,
            chunks,
            progress=lambda f, stage: audit_run_progress(run_id=run_id, fraction=f, stage=stage),
            runner=counting_runner(spec),
        )
        timings = {"counting_seconds": round(time.perf_counter() - started, 4), "chunks": len(chunks)}
        return _complete(run_id=run_id, spec=spec, counts=counts, timings=timings, task_id=task_id)
    except Exception as exc:  # the error is kept on the run for the user; the worker stays healthy
        logger.exception("run %s failed", run_id)
        return audit_run_fail(run_id=run_id, error=_describe_error(exc), task_id=task_id)


def _dispatch_chord(run_id: int, spec: EngineInput, chunks: list[list[int]]) -> None:
    # tasks import services; import late to avoid a cycle
    from audits.tasks import audit_count_chunk_task, audit_run_finish_task

    audit_run_progress(run_id=run_id, fraction=0.01, stage=f"counting {len(chunks)} chunks on the workers")
    header = [audit_count_chunk_task.s(run_id, spec.to_dict(), rows) for rows in chunks]
    transaction.on_commit(lambda: chord(header)(audit_run_finish_task.s(run_id, spec.to_dict(), time.time())))


def audit_chunk_count(*, run_id: int, spec: dict, row_groups: list[int]) -> dict:
    """Count one chunk for a fanned-out run (pure apart from the heartbeat). Errors fail the run."""
    try:
        engine_spec = EngineInput.from_dict(spec)
        counts = count_row_groups(engine_spec, row_groups, runner=counting_runner(engine_spec)).to_dict()
    except Exception as exc:
        logger.exception("chunk %s of run %s failed", row_groups, run_id)
        audit_run_fail(run_id=run_id, error=f"Counting row groups {row_groups} failed: {_describe_error(exc)}")
        return {"error": str(exc)}
    audit_run_progress(run_id=run_id, fraction=0.3, stage="counting on the workers")
    return counts


def audit_run_finish(*, run_id: int, spec: dict, chunks: list[dict], started: float, task_id: str = ""):
    """Merge the chunk counts of a fanned-out run and complete it (idempotent: only a RUNNING run)."""
    run = AuditRun.objects.get(pk=run_id)
    if run.status != RunStatus.RUNNING or any("error" in c for c in chunks):
        return run
    try:
        counts = merge_chunks([ChunkCounts.from_dict(c) for c in chunks])
        timings = {"counting_seconds": round(time.time() - started, 4), "chunks": len(chunks), "fan_out": True}
        return _complete(
            run_id=run_id, spec=EngineInput.from_dict(spec), counts=counts, timings=timings, task_id=task_id
        )
    except Exception as exc:
        logger.exception("run %s failed while finishing", run_id)
        return audit_run_fail(run_id=run_id, error=_describe_error(exc), task_id=task_id)


def _complete(*, run_id: int, spec: EngineInput, counts: ChunkCounts | None, timings: dict, task_id: str):
    started = time.perf_counter()
    if spec.without_decisions:  # continuous scores or ranks only: no count tables
        audit_run_progress(run_id=run_id, fraction=0.3, stage="continuous scores and rankings")
        output = finish_without_decisions(spec)
        timings["metrics_seconds"] = round(time.perf_counter() - started, 4)
    elif counts is None:  # model-only plan
        output = EngineOutput(slices=[], rows_total=0, rows_missing_decision_or_outcome=0, rows_missing_attribute={})
    else:
        output = finish(
            spec, counts, progress=lambda f, stage: audit_run_progress(run_id=run_id, fraction=f, stage=stage)
        )
        timings["metrics_seconds"] = round(time.perf_counter() - started, 4)
    run = AuditRun.objects.select_related("plan", "workspace", "requested_by").get(pk=run_id)
    started = time.perf_counter()
    options = ProbeSettings.from_dict(run.plan.probe_settings).to_dict()
    # Per-pair tables are row-level content: written to disk only when the plan allows example pairs.
    artifacts = ArtifactWriter(run_artifact_folder(run_id) if options["include_examples"] else None)
    output.probes = run_probes(
        spec,
        list(run.plan.probes),
        run.plan.probe_settings,
        progress=lambda f, stage: audit_run_progress(run_id=run_id, fraction=f, stage=stage),
        artifacts=artifacts,
    )
    if run.plan.probes:
        timings["probes_seconds"] = round(time.perf_counter() - started, 4)
    if options["attributions"] and output.probes:
        started = time.perf_counter()
        output.attributions = run_attributions(
            spec,
            output.probes,
            options,
            artifacts.frames,
            progress=lambda f, stage: audit_run_progress(run_id=run_id, fraction=0.96 + 0.03 * f, stage=stage),
        )
        timings["attributions_seconds"] = round(time.perf_counter() - started, 4)
    if counts is not None:  # global explanations and explanation quality (issue 16): optional, on the dataset
        output.global_explanations, output.explanation_quality = run_stages(
            spec,
            options,
            timings,
            progress=lambda f, stage: audit_run_progress(run_id=run_id, fraction=0.97 + 0.02 * f, stage=stage),
        )
    if run.plan.checks:
        started = time.perf_counter()
        audit_run_progress(run_id=run_id, fraction=0.99, stage="user-stated checks")
        output.checks = run_checks(spec, run.plan.checks, output, run.plan.probe_settings)
        timings["checks_seconds"] = round(time.perf_counter() - started, 4)
    finished = timezone.now()
    document = build_report_document(
        run=run,
        spec=spec,
        output=output,
        timings=timings,
        started_at=run.started_at,
        finished_at=finished,
        device=_device(spec),
        baseline=plan_last_approved_report(plan=run.plan),
    )
    return _audit_run_succeed(run=run, document=document, finished=finished, timings=timings, task_id=task_id)


def run_artifact_folder(run_id: int) -> Path:
    """Where a run's per-pair probe artifacts live (MEDIA_ROOT, shared by web and workers)."""
    return Path(settings.MEDIA_ROOT) / "runs" / str(run_id)


def _device(spec: EngineInput) -> str:
    """Where the model ran (cpu, cuda:0), for the report's fingerprints."""
    if not spec.model_kind or spec.model_kind in (ModelKind.SKOPS_PIPELINE, ModelKind.BUILTIN_TEXT):
        return "cpu"
    return str(getattr(spec_runner(spec), "device", "cpu"))


@transaction.atomic
def _audit_run_succeed(*, run: AuditRun, document: dict, finished, timings: dict, task_id: str) -> AuditRun:
    report = report_create(run=run, document=document, task_id=task_id)
    report_sign(report=report)
    AuditRun.objects.filter(pk=run.pk).update(
        status=RunStatus.SUCCEEDED, progress=100, stage="done", finished_at=finished, timings=timings, error=""
    )
    run.refresh_from_db()
    event_record(
        action=EventAction.RUN_SUCCEEDED,
        obj=run,
        actor_label="system",
        workspace=run.workspace,
        task_id=task_id,
        after={"report": report.pk, "sha256": report.sha256},
    )
    # Deliveries are rows now and messages on the io queue after the commit: a receiver never holds up the run.
    webhook_run_succeeded(run=run, report=report)
    return run
