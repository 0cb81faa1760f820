"""Run services and their trail: run.queued (enqueued on commit), run.failed with the error's first line,
run.requeued by the sweeper; a refused run leaves no row, no event and nothing enqueued."""

from datetime import timedelta

import pytest
from django.utils import timezone

from audits.choices import RunStatus
from audits.exceptions import ApplicationError, NotFoundError, PermissionDeniedError
from audits.models import AuditEvent, AuditRun
from audits.services.audit_runs import audit_run_claim, audit_run_create, audit_run_fail, audit_runs_sweep
from tests.audits.factories import AuditPlanFactory, AuditRunFactory


def test_a_run_is_queued_with_its_event_and_enqueued_on_commit(auditor, workspace, django_capture_on_commit_callbacks):
    plan = AuditPlanFactory(user=auditor, workspace=workspace)

    with django_capture_on_commit_callbacks() as callbacks:
        run = audit_run_create(user=auditor, plan=plan, request_id="req-1")

    assert (run.status, run.requested_by, run.workspace, run.plan) == (RunStatus.QUEUED, auditor, workspace, plan)
    assert len(callbacks) == 1
    event = AuditEvent.objects.get(action="run.queued", object_id=str(run.pk))
    assert (event.object_type, event.actor_id, event.workspace_id) == ("AuditRun", auditor.pk, workspace.pk)
    assert (event.request_id, event.after) == ("req-1", {"plan": plan.pk})


def test_reviewers_and_outsiders_cannot_queue_a_run(
    auditor, reviewer, outsider, workspace, django_capture_on_commit_callbacks
):
    plan = AuditPlanFactory(user=auditor, workspace=workspace)
    events = AuditEvent.objects.count()

    with django_capture_on_commit_callbacks() as callbacks:
        with pytest.raises(PermissionDeniedError):
            audit_run_create(user=reviewer, plan=plan)
        with pytest.raises(NotFoundError):
            audit_run_create(user=outsider, plan=plan)

    assert callbacks == [] and not AuditRun.objects.exists()
    assert AuditEvent.objects.count() == events


def test_a_failed_run_keeps_its_error_and_the_trail_its_first_line(auditor, workspace):
    run = AuditRunFactory(user=auditor, workspace=workspace)

    failed = audit_run_fail(
        run_id=run.pk, error="ValueError: no column 'sex'\nTraceback (most recent call last)", task_id="t-1"
    )

    assert (failed.status, failed.stage) == (RunStatus.FAILED, "failed") and failed.finished_at
    assert AuditRun.objects.get(pk=run.pk).error.startswith("ValueError: no column 'sex'\nTraceback")
    event = AuditEvent.objects.get(action="run.failed", object_id=str(run.pk))
    assert (event.object_type, event.actor_id, event.actor_label) == ("AuditRun", None, "system")
    assert (event.workspace_id, event.task_id) == (workspace.pk, "t-1")
    assert event.after == {"error": "ValueError: no column 'sex'"}


def test_a_succeeded_run_cannot_be_failed(report):
    events = AuditEvent.objects.count()

    with pytest.raises(ApplicationError, match="already succeeded"):
        audit_run_fail(run_id=report.run_id, error="too late")

    run = AuditRun.objects.get(pk=report.run_id)
    assert (run.status, run.error) == (RunStatus.SUCCEEDED, "")
    assert AuditEvent.objects.count() == events


def test_the_sweeper_records_a_requeue_with_the_attempts_so_far(auditor, workspace):
    run = AuditRunFactory(user=auditor, workspace=workspace)
    audit_run_claim(run_id=run.pk, worker="lost-worker")
    AuditRun.objects.filter(pk=run.pk).update(heartbeat_at=timezone.now() - timedelta(hours=1))

    audit_runs_sweep()

    event = AuditEvent.objects.get(action="run.requeued")
    assert (event.object_type, event.object_id, event.actor_label) == ("AuditRun", str(run.pk), "system")
    assert (event.workspace_id, event.after) == (workspace.pk, {"attempts": 1})


def test_the_sweeper_records_why_it_gave_up(auditor, workspace):
    run = AuditRunFactory(user=auditor, workspace=workspace)
    audit_run_claim(run_id=run.pk, worker="lost-worker")
    AuditRun.objects.filter(pk=run.pk).update(attempts=3, heartbeat_at=timezone.now() - timedelta(hours=1))

    audit_runs_sweep()

    event = AuditEvent.objects.get(action="run.failed", object_id=str(run.pk))
    assert event.after == {"error": "The worker stopped responding 3 times; giving up."}
    assert not AuditEvent.objects.filter(action="run.requeued").exists()
