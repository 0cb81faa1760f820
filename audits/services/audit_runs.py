"""Audit runs: queue, claim (idempotent), execute, fail, and sweep stalled runs (design.md section 8)."""

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from audits.choices import GPU_MODEL_KINDS, EventAction, RunStatus
from audits.exceptions import ApplicationError
from audits.models import AuditPlan, AuditRun

from .events import event_record
from .ingest_status import dataset_require_ready, model_require_ready
from .webhook_events import webhook_run_failed
from .workspaces import workspace_require_role

logger = logging.getLogger(__name__)


def _queue(run_id: int) -> str | None:
    """The gpu queue for runs that load a transformers model; the default queue otherwise."""
    kind = AuditRun.objects.filter(pk=run_id).values_list("plan__model__kind", flat=True).first()
    return settings.AUDIT_GPU_QUEUE if kind in GPU_MODEL_KINDS else None


def _enqueue(run_id: int) -> bool:
    """Send the run's task to the broker and note when it was handed over; False when the broker refused it.

    The run stays QUEUED either way: a run whose message never reached the broker (or was lost there) is sent
    again by the sweeper, so a broker outage delays runs but loses none. Called after commit, so an exception
    here would reach the client as an error about a run that was in fact created: it is logged instead.
    """
    from audits.tasks import audit_run_execute_task  # tasks import services; import late to avoid a cycle

    try:
        audit_run_execute_task.apply_async(args=[run_id], queue=_queue(run_id))
    except Exception as exc:  # noqa: BLE001 - any broker failure (kombu, redis, socket) leaves the run for the sweeper
        logger.warning(
            "Run %s stays queued: the broker refused its message (%s); the sweeper sends it again.", run_id, exc
        )
        return False
    AuditRun.objects.filter(pk=run_id, status=RunStatus.QUEUED).update(enqueued_at=timezone.now())
    return True


@transaction.atomic
def audit_run_create(*, user, plan: AuditPlan, request_id: str = "", trigger: dict | None = None) -> AuditRun:
    """Queue a run of `plan`. Writes event run.queued; the task is enqueued when the transaction commits.

    `trigger` says what started the run when no person did (a schedule, a new version); the event records it."""
    workspace_require_role(user=user, workspace=plan.workspace)
    if plan.dataset is not None:
        dataset_require_ready(plan.dataset)
    model_require_ready(plan.model)
    run = AuditRun.objects.create(workspace=plan.workspace, plan=plan, requested_by=user, stage="queued")
    event_record(
        action=EventAction.RUN_QUEUED,
        obj=run,
        actor=user,
        workspace=plan.workspace,
        request_id=request_id,
        after={"plan": plan.pk, **({"trigger": trigger} if trigger else {})},
    )
    transaction.on_commit(lambda: _enqueue(run.pk))
    return run


@transaction.atomic
def audit_run_claim(*, run_id: int, worker: str, task_id: str = "", redelivered: bool = False) -> AuditRun | None:
    """Move a run QUEUED -> RUNNING only if it is still queued; None when another delivery got there first.

    A REDELIVERED message whose task id is the one that claimed the running run is that same message coming back
    after its worker process died (Celery requeues it only then, or after the broker's visibility timeout, which
    is longer than the hard time limit): it takes the run over at once instead of waiting for the sweeper. When
    the run has used AUDIT_MAX_ATTEMPTS, it is marked failed with the reason instead. Another message (a sweeper's
    copy) never takes over a running run.

    The claim and its event run.started commit together, so a claimed run always has its trail entry.
    """
    # Only the run's row, and FOR NO KEY UPDATE: a FOR UPDATE of the joined plan and workspace rows would block
    # every trail event of the workspace (its foreign key) while this waits for the chain lock: a deadlock.
    run = (
        AuditRun.objects.select_for_update(no_key=True, of=("self",))
        .select_related("plan", "workspace")
        .filter(pk=run_id)
        .first()
    )
    if run is None:
        return None
    resumed = bool(redelivered and task_id and run.status == RunStatus.RUNNING and run.task_id == task_id)
    if run.status != RunStatus.QUEUED and not resumed:
        return None
    if resumed and run.attempts >= settings.AUDIT_MAX_ATTEMPTS:
        audit_run_fail(
            run_id=run_id,
            error=f"The worker process running this audit was lost {run.attempts} times; giving up.",
            task_id=task_id,
        )
        return None
    now = timezone.now()
    run.status, run.worker, run.task_id = RunStatus.RUNNING, worker[:255], task_id[:255]
    run.attempts += 1
    run.started_at = run.heartbeat_at = now
    run.stage, run.progress = "starting", 0
    run.save(
        update_fields=["status", "worker", "task_id", "attempts", "started_at", "heartbeat_at", "stage", "progress"]
    )
    after = {"worker": worker, "attempt": run.attempts}
    if resumed:
        after["resumed"] = "the previous attempt's worker process was lost"
    event_record(
        action=EventAction.RUN_STARTED,
        obj=run,
        actor_label="system",
        workspace=run.workspace,
        task_id=task_id,
        after=after,
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
    run = AuditRun.objects.select_for_update(no_key=True).get(pk=run_id)
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


def _undelivered_runs(now) -> list[int]:
    """QUEUED runs whose message may be lost: never handed to the broker (after a short grace, so a run being
    created right now is not sent twice), or handed over longer ago than AUDIT_QUEUED_TIMEOUT_SECONDS."""
    grace = now - timedelta(seconds=settings.AUDIT_ENQUEUE_GRACE_SECONDS)
    never_sent = Q(enqueued_at__isnull=True, created_at__lt=grace)
    stale = Q(enqueued_at__lt=now - timedelta(seconds=settings.AUDIT_QUEUED_TIMEOUT_SECONDS))
    return list(AuditRun.objects.filter(never_sent | stale, status=RunStatus.QUEUED).values_list("pk", flat=True))


def audit_runs_sweep(*, now=None) -> dict[str, list[int]]:
    """Requeue RUNNING runs whose heartbeat stopped; fail those that used their attempts; send again the QUEUED
    runs whose message never reached the broker or has waited there too long (the claim is conditional, so a
    message that was only slow, not lost, finds its run taken and does nothing).

    Writes run.requeued or run.failed for each RUNNING run touched and enqueues requeued runs on commit. Returns
    the ids under "requeued", "failed" and "resent" (re-sent QUEUED runs: no event, the run's state is unchanged).
    """
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=settings.AUDIT_HEARTBEAT_TIMEOUT_SECONDS)
    touched: dict[str, list[int]] = {"requeued": [], "failed": [], "resent": []}
    for run_id in _undelivered_runs(now):
        if _enqueue(run_id):
            touched["resent"].append(run_id)
    stalled = AuditRun.objects.filter(status=RunStatus.RUNNING, heartbeat_at__lt=cutoff).values_list("pk", flat=True)
    for run_id in list(stalled):
        with transaction.atomic():
            run = AuditRun.objects.select_for_update(no_key=True).get(pk=run_id)
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
