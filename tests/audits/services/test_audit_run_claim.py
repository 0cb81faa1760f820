"""Claiming makes redelivery harmless; the sweeper requeues stalled runs and gives up after 3 attempts."""

from datetime import timedelta

import pytest
from django.utils import timezone

from audits.choices import RunStatus
from audits.models import AuditEvent, AuditReport, AuditRun
from audits.services.audit_execution import audit_run_execute
from audits.services.audit_runs import audit_run_claim, audit_runs_sweep
from tests.audits.services.helpers import make_run


def test_claim_moves_queued_run_to_running_once(auditor, workspace):
    run = make_run(auditor, workspace)

    first = audit_run_claim(run_id=run.pk, worker="w1")
    second = audit_run_claim(run_id=run.pk, worker="w2")

    assert first.status == RunStatus.RUNNING and first.worker == "w1" and first.attempts == 1
    assert second is None
    assert AuditRun.objects.get(pk=run.pk).worker == "w1"
    started = AuditEvent.objects.get(action="run.started", object_id=str(run.pk))
    assert (started.object_type, started.actor_label, started.after) == (
        "AuditRun",
        "system",
        {"worker": "w1", "attempt": 1},
    )


def test_a_claim_whose_event_cannot_be_written_leaves_the_run_queued(auditor, workspace, monkeypatch):
    run = make_run(auditor, workspace)

    def broken(**kwargs):
        raise RuntimeError("the trail is unavailable")

    monkeypatch.setattr("audits.services.audit_runs.event_record", broken)
    with pytest.raises(RuntimeError):
        audit_run_claim(run_id=run.pk, worker="w1")

    assert AuditRun.objects.get(pk=run.pk).status == RunStatus.QUEUED


def test_redelivered_message_does_not_run_the_audit_twice(auditor, workspace):
    run = make_run(auditor, workspace)

    audit_run_execute(run_id=run.pk, worker="w1")
    again = audit_run_execute(run_id=run.pk, worker="w2")

    assert again is None
    assert AuditReport.objects.filter(run=run).count() == 1
    assert AuditEvent.objects.filter(action="run.started", object_id=str(run.pk)).count() == 1


def test_failed_audit_keeps_its_error(auditor, workspace):
    run = make_run(auditor, workspace)
    run.plan.dataset.file.storage.delete(run.plan.dataset.file.name)  # the stored file vanished

    result = audit_run_execute(run_id=run.pk, worker="w1")

    assert result.status == RunStatus.FAILED and result.error
    assert not AuditReport.objects.filter(run=run).exists()
    assert AuditEvent.objects.filter(action="run.failed", object_id=str(run.pk)).exists()


def test_sweeper_requeues_a_run_whose_heartbeat_stopped(auditor, workspace, django_capture_on_commit_callbacks):
    run = make_run(auditor, workspace)
    audit_run_claim(run_id=run.pk, worker="lost-worker")
    AuditRun.objects.filter(pk=run.pk).update(heartbeat_at=timezone.now() - timedelta(hours=1))

    with django_capture_on_commit_callbacks() as callbacks:
        touched = audit_runs_sweep()

    assert touched == {"requeued": [run.pk], "failed": [], "resent": []}
    assert AuditRun.objects.get(pk=run.pk).status == RunStatus.QUEUED
    assert len(callbacks) == 1  # the task is enqueued again on commit


def test_sweeper_fails_a_run_after_three_lost_deliveries(auditor, workspace):
    run = make_run(auditor, workspace)
    audit_run_claim(run_id=run.pk, worker="lost-worker")
    AuditRun.objects.filter(pk=run.pk).update(attempts=3, heartbeat_at=timezone.now() - timedelta(hours=1))

    touched = audit_runs_sweep()

    assert touched == {"requeued": [], "failed": [run.pk], "resent": []}
    run.refresh_from_db()
    assert run.status == RunStatus.FAILED and "3 times" in run.error


def test_sweeper_leaves_a_live_run_alone(auditor, workspace):
    run = make_run(auditor, workspace)
    audit_run_claim(run_id=run.pk, worker="alive")

    assert audit_runs_sweep() == {"requeued": [], "failed": [], "resent": []}
    assert AuditRun.objects.get(pk=run.pk).status == RunStatus.RUNNING


def test_the_same_message_redelivered_after_a_lost_child_resumes_the_run_at_once(auditor, workspace):
    run = make_run(auditor, workspace)
    assert audit_run_claim(run_id=run.pk, worker="w1", task_id="task-1") is not None

    assert audit_run_claim(run_id=run.pk, worker="w2", task_id="task-2", redelivered=True) is None  # another copy
    assert audit_run_claim(run_id=run.pk, worker="w2", task_id="task-1") is None  # not flagged as redelivered
    resumed = audit_run_claim(run_id=run.pk, worker="w2", task_id="task-1", redelivered=True)

    assert (resumed.status, resumed.worker, resumed.attempts) == (RunStatus.RUNNING, "w2", 2)
    started = AuditEvent.objects.filter(action="run.started", object_id=str(run.pk)).order_by("id")
    assert [e.after.get("resumed") for e in started] == [None, "the previous attempt's worker process was lost"]


def test_a_run_whose_worker_process_was_lost_three_times_is_failed_with_the_reason(auditor, workspace):
    run = make_run(auditor, workspace)
    audit_run_claim(run_id=run.pk, worker="w1", task_id="task-1")
    AuditRun.objects.filter(pk=run.pk).update(attempts=3)

    assert audit_run_claim(run_id=run.pk, worker="w2", task_id="task-1", redelivered=True) is None

    run.refresh_from_db()
    assert run.status == RunStatus.FAILED and "lost 3 times" in run.error
    assert AuditEvent.objects.get(action="run.failed", object_id=str(run.pk)).after["error"].endswith("giving up.")
