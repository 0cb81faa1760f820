"""Celery tasks: thin shells that load an id and call one service."""

import socket

from celery import shared_task

from audits.services.audit_execution import audit_chunk_count, audit_run_execute, audit_run_finish
from audits.services.audit_runs import audit_runs_sweep
from audits.services.checkpoints import trail_checkpoint_create
from audits.services.schedules import schedule_fire


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=0)
def audit_run_execute_task(self, run_id: int) -> str:
    """Execute audit run `run_id`. Idempotent: the service claims the run before doing anything.

    Not retried by Celery: a failed audit keeps its error. When the worker process running it dies, the message
    comes back (reject_on_worker_lost) flagged as redelivered and resumes the run at once; a whole worker host
    that vanished is handled by the sweeper.
    """
    worker = f"{self.request.hostname or socket.gethostname()}"
    redelivered = bool((self.request.delivery_info or {}).get("redelivered"))
    run = audit_run_execute(run_id=run_id, worker=worker, task_id=self.request.id or "", redelivered=redelivered)
    return run.status if run is not None else "skipped"


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=False)
def audit_count_chunk_task(run_id: int, spec: dict, row_groups: list[int]) -> dict:
    """Chord header: count one chunk of row groups of a fanned-out run; returns JSON counts."""
    return audit_chunk_count(run_id=run_id, spec=spec, row_groups=row_groups)


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True)
def audit_run_finish_task(self, chunks: list[dict], run_id: int, spec: dict, started: float) -> str:
    """Chord body: merge the chunk counts, compute the metrics, store the report."""
    run = audit_run_finish(run_id=run_id, spec=spec, chunks=chunks, started=started, task_id=self.request.id or "")
    return run.status


@shared_task(acks_late=True)
def audit_runs_sweep_task() -> dict:
    """Periodic: requeue runs whose heartbeat stopped; fail those that used up their attempts."""
    return audit_runs_sweep()


@shared_task(acks_late=True)
def trail_checkpoint_task() -> int | None:
    """Periodic: sign the trail's head if events came after the last checkpoint (report views, which do not get
    one each; compliance events are checkpointed as they commit). Returns the new checkpoint's id, or None."""
    checkpoint = trail_checkpoint_create()
    return checkpoint.pk if checkpoint is not None else None


@shared_task(bind=True, acks_late=True, ignore_result=True)
def audit_schedule_fire_task(self, schedule_id: int) -> int | None:
    """Sent by beat (DatabaseScheduler) for audit schedule `schedule_id`: queue a run of its plan, or record why
    not (schedule_fire decides; a redelivered or repeated message queues no second run for one period)."""
    run = schedule_fire(schedule_id=schedule_id, task_id=self.request.id or "")
    return run.pk if run is not None else None
