"""No run is lost between the web process and the broker (design.md section 8): a run whose message never reached
the broker, or waited there longer than a bound, is sent again by the sweeper; a broker outage at "Run" time
answers a clean 202 and loses nothing."""

from datetime import timedelta

from django.utils import timezone

from audits.choices import RunStatus
from audits.models import AuditEvent, AuditRun
from audits.services import audit_runs
from audits.services.audit_runs import audit_run_create, audit_runs_sweep
from tests.audits.factories import AuditPlanFactory, AuditRunFactory
from tests.broker import broker_down


def test_a_run_handed_to_the_broker_records_when(auditor, workspace, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        run = AuditRunFactory(user=auditor, workspace=workspace)

    assert AuditRun.objects.get(pk=run.pk).enqueued_at is not None


def test_a_broker_outage_keeps_the_run_queued_with_no_error(auditor, workspace, django_capture_on_commit_callbacks):
    with broker_down(), django_capture_on_commit_callbacks(execute=True):
        run = AuditRunFactory(user=auditor, workspace=workspace)

    run.refresh_from_db()
    assert (run.status, run.enqueued_at) == (RunStatus.QUEUED, None)
    assert AuditEvent.objects.filter(action="run.queued", object_id=str(run.pk)).count() == 1


def test_the_sweeper_sends_again_a_run_that_never_reached_the_broker(auditor, workspace):
    run = AuditRunFactory(user=auditor, workspace=workspace)  # on_commit never ran: no message was sent
    AuditRun.objects.filter(pk=run.pk).update(created_at=timezone.now() - timedelta(minutes=5))
    events = AuditEvent.objects.count()

    assert audit_runs_sweep() == {"requeued": [], "failed": [], "resent": [run.pk]}
    run.refresh_from_db()
    assert run.status == RunStatus.QUEUED and run.enqueued_at is not None
    assert AuditEvent.objects.count() == events  # the run's state did not change: nothing to record
    assert audit_runs_sweep()["resent"] == []  # handed over now: not sent again on the next sweep


def test_the_sweeper_sends_again_a_message_lost_in_the_broker(auditor, workspace):
    run = AuditRunFactory(user=auditor, workspace=workspace)
    long_ago = timezone.now() - timedelta(hours=2)
    AuditRun.objects.filter(pk=run.pk).update(created_at=long_ago, enqueued_at=long_ago)

    assert audit_runs_sweep()["resent"] == [run.pk]


def test_the_sweeper_leaves_fresh_queued_runs_alone(auditor, workspace):
    just_created = AuditRunFactory(user=auditor, workspace=workspace)
    handed_over = AuditRunFactory(user=auditor, workspace=workspace)
    AuditRun.objects.filter(pk=handed_over.pk).update(
        created_at=timezone.now() - timedelta(minutes=5), enqueued_at=timezone.now() - timedelta(minutes=1)
    )

    assert audit_runs_sweep()["resent"] == []
    assert AuditRun.objects.filter(pk__in=[just_created.pk, handed_over.pk], status=RunStatus.QUEUED).count() == 2


def test_the_sweeper_keeps_a_run_for_later_while_the_broker_is_down(auditor, workspace):
    run = AuditRunFactory(user=auditor, workspace=workspace)
    AuditRun.objects.filter(pk=run.pk).update(created_at=timezone.now() - timedelta(minutes=5))

    with broker_down():
        assert audit_runs_sweep()["resent"] == []

    assert AuditRun.objects.get(pk=run.pk).enqueued_at is None
    assert audit_runs_sweep()["resent"] == [run.pk]


def test_run_now_over_the_api_answers_202_json_while_the_broker_is_down(
    auditor, workspace, auditor_client, django_capture_on_commit_callbacks
):
    plan = AuditPlanFactory(user=auditor, workspace=workspace)
    with broker_down(), django_capture_on_commit_callbacks(execute=True):
        response = auditor_client.post(f"/api/v1/plans/{plan.pk}/run/")

    assert response.status_code == 202 and response["Content-Type"].startswith("application/json")
    run = AuditRun.objects.get(pk=response.json()["id"])
    assert (run.status, run.enqueued_at) == (RunStatus.QUEUED, None)
    assert audit_runs._undelivered_runs(timezone.now() + timedelta(minutes=1)) == [run.pk]


def test_creating_a_run_does_not_depend_on_the_broker(auditor, workspace):
    plan = AuditPlanFactory(user=auditor, workspace=workspace)
    with broker_down():
        run = audit_run_create(user=auditor, plan=plan)
    assert run.status == RunStatus.QUEUED
