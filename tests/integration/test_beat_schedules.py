"""Schedules on real processes: `celery beat` with the DatabaseScheduler reads the schedules from PostgreSQL and a
real worker runs what they queue. An every-minute cron rule and a short interval (allowed by lowering the setting
for this test) both produce runs, recorded in the trail as started by their schedule; the sweeper's entry of
CELERY_BEAT_SCHEDULE is still installed beside them."""

import time

import pytest
from django_celery_beat.models import PeriodicTask

from audits.choices import RunStatus
from audits.models import AuditEvent, AuditRun
from audits.services.schedules import schedule_create
from tests.audits.factories import AuditPlanFactory

pytestmark = pytest.mark.integration


def _runs_by_schedule(schedule) -> list[int]:
    events = AuditEvent.objects.filter(action="run.queued", after__trigger__schedule=schedule.pk)
    return [int(e.object_id) for e in events]


def test_beat_fires_an_every_minute_cron_rule_and_an_interval_and_the_worker_runs_them(
    celery_workers, celery_beat, auditor, workspace, settings
):
    settings.AUDIT_SCHEDULE_MIN_INTERVAL_SECONDS = 5  # in this test only: a period of seconds, not minutes
    every_minute = AuditPlanFactory(user=auditor, workspace=workspace, name="every minute")
    every_15s = AuditPlanFactory(user=auditor, workspace=workspace, name="every 15 s")
    cron = schedule_create(actor=auditor, plan=every_minute, kind="cron", cron="* * * * *", timezone="Europe/Paris")
    interval = schedule_create(actor=auditor, plan=every_15s, kind="interval", every_seconds=15)
    (worker,) = celery_workers(1)
    beat = celery_beat()

    deadline = time.monotonic() + 150
    while True:
        done = AuditRun.objects.filter(status=RunStatus.SUCCEEDED)
        if done.filter(plan=every_minute).count() >= 1 and done.filter(plan=every_15s).count() >= 2:
            break
        assert beat.poll() is None, beat.log_path.read_text()
        assert time.monotonic() < deadline, (
            f"beat log:\n{beat.log_path.read_text()}\nworker log:\n" + (worker.log_path.read_text()[-4000:])
        )
        time.sleep(1)

    minute_runs, interval_runs = _runs_by_schedule(cron), _runs_by_schedule(interval)
    assert len(minute_runs) >= 1 and len(interval_runs) >= 2
    assert set(AuditRun.objects.filter(plan=every_15s).values_list("pk", flat=True)) == set(interval_runs)
    assert all(
        r.requested_by == auditor and r.worker == worker.name for r in AuditRun.objects.filter(status="succeeded")
    )
    # Never two runs of one plan queued or running at once: each firing found the previous run finished or skipped.
    for plan in (every_minute, every_15s):
        assert AuditRun.objects.filter(plan=plan, status__in=("queued", "running")).count() <= 1
    assert "audits.tasks.audit_schedule_fire_task" in beat.log_path.read_text()
    assert PeriodicTask.objects.filter(name="sweep-stalled-audit-runs", enabled=True).exists()
