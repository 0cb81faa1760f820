"""Audit runs: queue, claim (idempotent), execute, fail, and sweep stalled runs (design.md section 8)."""

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from audits.choices import GPU_MODEL_KINDS, EventAction, RunStatus
from audits.exceptions import ApplicationError
from audits.models import AuditPlan, AuditRun

from .events import event_record
from .webhook_events import webhook_run_failed
from .workspaces import workspace_require_role

logger = logging.getLogger(__name__)


def _queue(run_id: int) -> str | None:
    """The gpu queue for runs that load a transformers model; the default queue otherwise."""
    kind = AuditRun.objects.filter(pk=run_id).values_list("plan__model__kind", flat=True).first()
    return settings.AUDIT_GPU_QUEUE if kind in GPU_MODEL_KINDS else None


def _enqueue(run_id: int) -> None:
    from audits.tasks import audit_run_execute_task  # tasks import services; import late to avoid a cycle

    queue = _queue(run_id)
    if queue:
        audit_run_execute_task.apply_async(args=[run_id], queue=queue)
    else:
        audit_run_execute_task.delay(run_id)


@transaction.atomic
def audit_run_create(*, user, plan: AuditPlan, request_id: str = "") -> AuditRun:
    """Queue a run of `plan`. Writes event run.queued; the task is enqueued when the transaction commits."""
    workspace_require_role(user=user, workspace=plan.workspace)
    run = AuditRun.objects.create(workspace=plan.workspace, plan=plan, requested_by=user, stage="queued")
    event_record(
        action=EventAction.RUN_QUEUED,
        obj=run,
        actor=user,
        workspace=plan.workspace,
        request_id=request_id,
        after={"plan": plan.pk},
    )
    transaction.on_commit(lambda: _enqueue(run.pk))
    return run


@transaction.atomic
def audit_run_claim(*, run_id: int, worker: str, task_id: str = "") -> AuditRun | None:
    """Move a run QUEUED -> RUNNING only if it is still queued; None when another delivery got there first.

    The claim and its event run.started commit together, so a claimed run always has its trail entry.
    """
    now = timezone.now()
    claimed = AuditRun.objects.filter(pk=run_id, status=RunStatus.QUEUED).update(
        status=RunStatus.RUNNING,
        attempts=F("attempts") + 1,
        worker=worker[:255],
        started_at=now,
        heartbeat_at=now,
        stage="starting",
        progress=0,
    )
    if not claimed:
        return None
    run = AuditRun.objects.select_related("plan", "workspace").get(pk=run_id)
    event_record(
        action=EventAction.RUN_STARTED,
        obj=run,
        actor_label="system",
        workspace=run.workspace,
        task_id=task_id,
        after={"worker": worker, "attempt": run.attempts},
    )
    return run


def audit_run_progress(*, run_id: int, fraction: float, stage: str) -> None:
    """Record progress and a heartbeat (a plain update: progress is not a compliance event)."""
    AuditRun.objects.filter(pk=run_id, status=RunStatus.RUNNING).update(
        progress=max(0, min(100, int(round(100 * fraction)))), stage=stage[:100], heartbeat_at=timezone.now()
    )


@transaction.atomic
def audit_run_fail(*, run_id: int, error: str, task_id: str = "") -> AuditRun:
    """Mark a run FAILED with its error kept. Writes event run.failed; run.failed webhooks go out on commit."""
    run = AuditRun.objects.select_for_update().get(pk=run_id)
    if run.status == RunStatus.SUCCEEDED:
        raise ApplicationError(f"Run {run_id} already succeeded.")
    run.status = RunStatus.FAILED
    run.error = error
    run.stage = "failed"
    run.finished_at = timezone.now()
    run.save(update_fields=["status", "error", "stage", "finished_at"])
    event_record(
        action=EventAction.RUN_FAILED,
        obj=run,
        actor_label="system",
        workspace=run.workspace,
        task_id=task_id,
        after={"error": error.splitlines()[0][:500] if error else ""},
    )
    webhook_run_failed(run=run)
    return run


def audit_runs_sweep(*, now=None) -> dict[str, list[int]]:
    """Requeue RUNNING runs whose heartbeat stopped; fail those that used their attempts.

    Writes run.requeued or run.failed for each run touched; enqueues requeued runs on commit.
    """
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=settings.AUDIT_HEARTBEAT_TIMEOUT_SECONDS)
    touched: dict[str, list[int]] = {"requeued": [], "failed": []}
    stalled = AuditRun.objects.filter(status=RunStatus.RUNNING, heartbeat_at__lt=cutoff).values_list("pk", flat=True)
    for run_id in list(stalled):
        with transaction.atomic():
            run = AuditRun.objects.select_for_update().get(pk=run_id)
            if run.status != RunStatus.RUNNING or run.heartbeat_at >= cutoff:
                continue
            if run.attempts >= settings.AUDIT_MAX_ATTEMPTS:
                audit_run_fail(run_id=run_id, error=f"The worker stopped responding {run.attempts} times; giving up.")
                touched["failed"].append(run_id)
                continue
            run.status, run.stage = RunStatus.QUEUED, "requeued after a lost worker"
            run.save(update_fields=["status", "stage"])
            event_record(
                action=EventAction.RUN_REQUEUED,
                obj=run,
                actor_label="system",
                workspace=run.workspace,
                after={"attempts": run.attempts},
            )
            transaction.on_commit(lambda rid=run_id: _enqueue(rid))
            touched["requeued"].append(run_id)
    return touched
