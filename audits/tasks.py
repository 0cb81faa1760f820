"""Celery tasks: thin shells that load an id and call one service."""

import socket
from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from audits.choices import DeliveryStatus
from audits.constants import WHATIF_SOFT_TIME_LIMIT, WHATIF_TIME_LIMIT
from audits.services.audit_execution import audit_chunk_count, audit_run_execute, audit_run_finish
from audits.services.audit_runs import audit_runs_sweep
from audits.services.checkpoints import checkpoint_latest, trail_checkpoint_create
from audits.services.dataset_ingest import dataset_ingest, dataset_ingest_sweep
from audits.services.models import model_register_complete, model_register_sweep
from audits.services.report_access import report_views_fold
from audits.services.schedules import schedule_fire
from audits.services.webhook_delivery import webhook_deliveries_sweep, webhook_delivery_attempt
from audits.services.whatif import what_if_compute


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


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def dataset_ingest_task(dataset_id: int) -> str | None:
    """Parse, validate and profile a deferred upload (dataset_ingest): the dataset becomes ready or refused.
    A redelivered message finds it decided and does nothing."""
    dataset = dataset_ingest(dataset_id=dataset_id)
    return dataset.status if dataset is not None else None


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def model_register_complete_task(model_id: int) -> str | None:
    """Load and smoke-test a deferred model upload in a capped child process (model_register_complete): the model
    becomes ready or refused. A redelivered message finds it decided and does nothing."""
    model = model_register_complete(model_id=model_id)
    return model.status if model is not None else None


@shared_task(acks_late=True)
def dataset_ingest_sweep_task() -> dict:
    """Periodic: send again the validation of dataset and model uploads left `validating` (their message was lost)."""
    bound = timedelta(seconds=settings.AUDIT_INGEST_SWEEP_AFTER_SECONDS)
    datasets, models = dataset_ingest_sweep(older_than=bound), model_register_sweep(older_than=bound)
    for dataset_id in datasets:
        dataset_ingest_task.delay(dataset_id)
    for model_id in models:
        model_register_complete_task.delay(model_id)
    return {"datasets": datasets, "models": models}


@shared_task(bind=True, acks_late=True)
def trail_checkpoint_task(self) -> int | None:
    """Periodic: fold the access log's new rows (report views) into the trail, one report.views_recorded event per
    workspace (each checkpointed as it commits), then sign the head if events came after the last checkpoint.
    Returns the id of the checkpoint that now names the head, or None when nothing new was recorded."""
    folded = report_views_fold(task_id=self.request.id or "")
    checkpoint = trail_checkpoint_create()
    if checkpoint is None and folded:
        checkpoint = checkpoint_latest()
    return checkpoint.pk if checkpoint is not None else None


@shared_task(bind=True, acks_late=True, ignore_result=True)
def audit_schedule_fire_task(self, schedule_id: int) -> int | None:
    """Sent by beat (DatabaseScheduler) for audit schedule `schedule_id`: queue a run of its plan, or record why
    not (schedule_fire decides; a redelivered or repeated message queues no second run for one period)."""
    run = schedule_fire(schedule_id=schedule_id, task_id=self.request.id or "")
    return run.pk if run is not None else None


@shared_task(
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=None,  # bounded by AUDIT_WEBHOOK_MAX_ATTEMPTS, counted in the delivery log
    soft_time_limit=120,
    time_limit=150,
)
def webhook_delivery_send_task(self, delivery_id: int) -> str:
    """Make one attempt of webhook delivery `delivery_id` (routed to the `io` queue by CELERY_TASK_ROUTES).

    While the delivery stays pending the task retries itself after the delay the service set (exponential
    backoff); a delivered, failed or deleted delivery ends the task.
    """
    delivery = webhook_delivery_attempt(delivery_id=delivery_id)
    if delivery is None:
        return "gone"
    # Eager mode (no broker: local CLI) would retry at once, ignoring the delay: leave it to the sweeper instead.
    if delivery.status == DeliveryStatus.PENDING and delivery.next_attempt_at is not None and not self.request.is_eager:
        countdown = max(0.0, (delivery.next_attempt_at - timezone.now()).total_seconds())
        raise self.retry(countdown=countdown)
    return delivery.status


@shared_task(acks_late=True)
def webhook_deliveries_sweep_task() -> list[int]:
    """Periodic: re-enqueue pending webhook deliveries whose message was lost (e.g. the broker was down)."""
    return webhook_deliveries_sweep()


@shared_task(
    acks_late=True,
    reject_on_worker_lost=True,
    soft_time_limit=WHATIF_SOFT_TIME_LIMIT,
    time_limit=WHATIF_TIME_LIMIT,
    ignore_result=True,
)
def what_if_compute_task(job: dict) -> str:
    """Compute one what-if (audits.services.whatif.what_if_compute): its numbers, or its error, go to the cache the
    request and the page read. Short time limits: a what-if is interactive (the soft limit ends it as an error)."""
    return what_if_compute(job=job)
