"""Schedules: each service writes its one event and keeps beat's PeriodicTask in step; schedule_fire queues a run on
behalf of the owner, catches a missed period up once, never doubles a queued run, and records every skip."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from django_celery_beat.models import PeriodicTask
from django_celery_beat.schedulers import ModelEntry

from audits import schedule_rules
from audits.choices import Role, RunStatus
from audits.exceptions import ApplicationError, NotFoundError, PermissionDeniedError
from audits.models import AuditEvent, AuditRun, AuditSchedule
from audits.services.schedules import (
    schedule_create,
    schedule_delete,
    schedule_fire,
    schedule_pause,
    schedule_resume,
    schedule_update,
)
from audits.services.workspaces import membership_set, user_get_or_create
from tests.audits.factories import AuditPlanFactory


@pytest.fixture
def plan(auditor, workspace):
    return AuditPlanFactory(user=auditor, workspace=workspace)


def _hourly(auditor, plan, **kw):
    return schedule_create(actor=auditor, plan=plan, kind="cron", cron="0 * * * *", **kw)


def test_a_cron_schedule_gets_its_periodic_task_in_its_time_zone_and_one_event(auditor, workspace, plan):
    schedule = schedule_create(
        actor=auditor, plan=plan, kind="cron", cron=" 0  6 * * 1 ", timezone="Europe/Berlin", request_id="r1"
    )

    task = PeriodicTask.objects.get(pk=schedule.periodic_task_id)
    assert (task.name, task.task, task.args, task.enabled) == (
        f"audit-schedule-{schedule.pk}",
        "audits.tasks.audit_schedule_fire_task",
        f"[{schedule.pk}]",
        True,
    )
    cron = task.crontab
    assert (cron.minute, cron.hour, cron.day_of_month, cron.month_of_year, cron.day_of_week) == (
        "0",
        "6",
        "*",
        "*",
        "1",
    )
    assert str(cron.timezone) == "Europe/Berlin" and task.interval is None
    assert (schedule.cron, schedule.owner, schedule.workspace) == ("0 6 * * 1", auditor, workspace)
    event = AuditEvent.objects.get(action="schedule.created")
    assert (event.object_type, event.object_id, event.actor, event.request_id) == (
        "AuditSchedule",
        str(schedule.pk),
        auditor,
        "r1",
    )
    assert event.after == {
        "plan": plan.pk, "kind": "cron", "cron": "0 6 * * 1", "every_seconds": None,
        "timezone": "Europe/Berlin", "enabled": True, "owner": auditor.pk,
    }  # fmt: skip


def test_an_interval_schedule_gets_an_interval_in_seconds(auditor, plan):
    schedule = schedule_create(actor=auditor, plan=plan, kind="interval", every_seconds=3600)

    interval = schedule.periodic_task.interval
    assert (interval.every, interval.period) == (3600, "seconds") and schedule.periodic_task.crontab is None


@pytest.mark.parametrize(
    ("fields", "field", "words"),
    [
        ({"kind": "cron", "cron": "61 * * * *"}, "cron", "'61', not in 0-59 for Minutes"),
        ({"kind": "cron", "cron": "0 6 * *"}, "cron", "it has 4 fields"),
        ({"kind": "cron", "cron": "0 6 * * 1", "timezone": "Mars/Olympus"}, "timezone", "not an IANA time zone"),
        ({"kind": "interval", "every_seconds": 30}, "every_seconds", "at least 60 seconds; got 30"),
        ({"kind": "weekly"}, "kind", "kind must be one of: cron, interval"),
    ],
)
def test_bad_rules_are_refused_naming_the_field_and_nothing_is_written(auditor, plan, fields, field, words):
    with pytest.raises(ApplicationError) as refused:
        schedule_create(actor=auditor, plan=plan, **fields)

    assert refused.value.field == field and words in refused.value.message
    assert not AuditSchedule.objects.exists() and not PeriodicTask.objects.filter(name__startswith="audit-").exists()
    assert not AuditEvent.objects.filter(action__startswith="schedule.").exists()


def test_the_minimum_interval_is_a_setting(auditor, plan, settings):
    settings.AUDIT_SCHEDULE_MIN_INTERVAL_SECONDS = 5

    assert schedule_create(actor=auditor, plan=plan, kind="interval", every_seconds=5).every_seconds == 5


def test_viewers_and_outsiders_cannot_schedule(auditor, outsider, workspace, other_workspace, plan, reviewer):
    with pytest.raises(PermissionDeniedError):
        _hourly(reviewer, plan)
    with pytest.raises(NotFoundError):
        _hourly(outsider, plan)
    schedule = _hourly(auditor, plan)
    for refused in (schedule_pause, schedule_delete):
        with pytest.raises(PermissionDeniedError):
            refused(actor=reviewer, schedule=schedule)
    with pytest.raises(NotFoundError):
        schedule_update(actor=outsider, schedule=schedule, kind="cron", cron="5 * * * *")
    assert AuditEvent.objects.filter(action__startswith="schedule.").count() == 1


def test_pause_and_resume_switch_beat_and_write_their_events(auditor, plan):
    schedule = _hourly(auditor, plan)

    schedule_pause(actor=auditor, schedule=schedule)
    assert not PeriodicTask.objects.get(pk=schedule.periodic_task_id).enabled
    with pytest.raises(ApplicationError, match="already paused"):
        schedule_pause(actor=auditor, schedule=schedule)
    schedule = schedule_resume(actor=auditor, schedule=schedule)

    assert schedule.enabled and PeriodicTask.objects.get(pk=schedule.periodic_task_id).enabled
    actions = list(AuditEvent.objects.filter(object_type="AuditSchedule").values_list("action", flat=True))
    assert actions == ["schedule.created", "schedule.paused", "schedule.resumed"]


def test_an_edit_changes_the_rule_and_makes_the_editor_the_owner(auditor, workspace, plan):
    schedule = _hourly(auditor, plan)
    admin = user_get_or_create(username="ada-admin")
    membership_set(workspace=workspace, user=admin, role=Role.ADMIN, actor=auditor)

    schedule = schedule_update(
        actor=admin, schedule=schedule, kind="interval", every_seconds=7200, timezone="America/New_York"
    )

    task = PeriodicTask.objects.get(pk=schedule.periodic_task_id)
    assert task.crontab is None and task.interval.every == 7200 and schedule.owner == admin
    event = AuditEvent.objects.get(action="schedule.updated")
    assert event.before["cron"] == "0 * * * *" and event.after["every_seconds"] == 7200
    assert (event.before["owner"], event.after["owner"]) == (auditor.pk, admin.pk)


def test_delete_removes_the_periodic_task_and_keeps_the_event(auditor, plan):
    schedule = _hourly(auditor, plan)
    task_id, schedule_id = schedule.periodic_task_id, schedule.pk

    schedule_delete(actor=auditor, schedule=schedule)

    assert not PeriodicTask.objects.filter(pk=task_id).exists() and not AuditSchedule.objects.exists()
    event = AuditEvent.objects.get(action="schedule.deleted")
    assert event.object_id == str(schedule_id) and event.before["cron"] == "0 * * * *"


def test_a_firing_queues_a_run_on_behalf_of_the_owner_recording_the_schedule(
    auditor, plan, django_capture_on_commit_callbacks
):
    schedule = _hourly(auditor, plan)

    with django_capture_on_commit_callbacks() as callbacks:
        run = schedule_fire(schedule_id=schedule.pk, task_id="beat-1")

    assert (run.plan, run.requested_by, run.status) == (plan, auditor, RunStatus.QUEUED) and len(callbacks) == 1
    event = AuditEvent.objects.get(action="run.queued", object_id=str(run.pk))
    assert event.after == {"plan": plan.pk, "trigger": {"schedule": schedule.pk, "task_id": "beat-1"}}
    schedule.refresh_from_db()
    assert schedule.last_run == run and schedule.last_fired_at is not None and schedule.last_skip_reason == ""


def _skips(schedule) -> list[str]:
    return list(
        AuditEvent.objects.filter(action="schedule.skipped", object_id=str(schedule.pk)).values_list(
            "after__reason", flat=True
        )
    )


def test_a_missed_period_is_caught_up_once_however_many_messages_arrive(auditor, plan):
    schedule = _hourly(auditor, plan)
    AuditSchedule.objects.filter(pk=schedule.pk).update(last_fired_at=timezone.now() - timedelta(days=3))
    now = timezone.now()

    fired = [schedule_fire(schedule_id=schedule.pk, now=now + timedelta(seconds=s)) for s in (0, 1, 30)]

    assert [r is not None for r in fired] == [True, False, False]
    assert AuditRun.objects.filter(plan=plan).count() == 1
    assert len(_skips(schedule)) == 2 and all("a missed period runs once" in r for r in _skips(schedule))


def test_beat_itself_sends_one_message_for_a_schedule_whose_last_run_is_long_past(auditor, plan):
    from auditplatform.celery import app

    schedule = _hourly(auditor, plan)
    PeriodicTask.objects.filter(pk=schedule.periodic_task_id).update(last_run_at=timezone.now() - timedelta(days=3))
    entry = ModelEntry(PeriodicTask.objects.get(pk=schedule.periodic_task_id), app=app)

    assert entry.is_due().is_due  # due now: the three days of hourly periods are one firing
    assert not next(entry).is_due().is_due  # once sent, the next is the next full hour


def test_a_run_still_queued_or_running_is_not_doubled_and_the_skip_is_recorded(auditor, plan):
    schedule = _hourly(auditor, plan)
    first = schedule_fire(schedule_id=schedule.pk, now=datetime(2026, 12, 7, 10, 5, tzinfo=UTC))

    skipped = schedule_fire(schedule_id=schedule.pk, now=datetime(2026, 12, 7, 11, 0, 1, tzinfo=UTC))
    AuditRun.objects.filter(pk=first.pk).update(status=RunStatus.SUCCEEDED)
    second = schedule_fire(schedule_id=schedule.pk, now=datetime(2026, 12, 7, 12, 0, 1, tzinfo=UTC))

    assert skipped is None and second is not None and second != first
    assert _skips(schedule) == [f"Run {first.pk} of this plan is still queued; no second run is queued."]


def test_a_paused_schedule_or_an_owner_without_the_role_queues_nothing(auditor, workspace, plan):
    schedule = _hourly(auditor, plan)
    schedule_pause(actor=auditor, schedule=schedule)
    assert schedule_fire(schedule_id=schedule.pk) is None
    schedule_resume(actor=auditor, schedule=schedule)
    membership_set(workspace=workspace, user=auditor, role=Role.VIEWER, actor=auditor)

    assert schedule_fire(schedule_id=schedule.pk) is None

    assert not AuditRun.objects.exists()
    reasons = _skips(schedule)
    assert reasons[0] == "The schedule is paused." and "Your role in this workspace is 'viewer'" in reasons[1]
    assert schedule_fire(schedule_id=10**9) is None  # a schedule deleted meanwhile: nothing to do


def test_the_next_run_of_a_cron_rule_follows_its_time_zone_across_daylight_saving():
    # Mondays 09:00 in Berlin: 08:00 UTC in winter (CET, +1), 07:00 UTC after the switch of 29 March 2026 (+2).
    rule = {"kind": "cron", "cron": "0 9 * * 1", "every_seconds": None, "timezone": "Europe/Berlin"}
    winter = datetime(2026, 12, 6, 12, tzinfo=UTC)  # a Sunday
    spring = datetime(2026, 3, 28, 12, tzinfo=UTC)  # the Saturday before the switch

    assert schedule_rules.next_run(**rule, last=winter, now=winter) == datetime(2026, 12, 7, 8, tzinfo=UTC)
    assert schedule_rules.next_run(**rule, last=spring, now=spring) == datetime(2026, 3, 30, 7, tzinfo=UTC)
    late = datetime(2026, 12, 9, tzinfo=UTC)  # the Monday passed unfired: due as soon as beat runs
    assert schedule_rules.next_run(**rule, last=winter, now=late) == late
    assert schedule_rules.next_run(**rule, last=winter, now=winter).tzinfo is not None
    assert str(ZoneInfo(rule["timezone"])) == "Europe/Berlin"


def test_rules_read_as_words():
    cron = {"kind": "cron", "every_seconds": None, "timezone": "Europe/Berlin"}
    assert schedule_rules.describe(**cron, cron="0 6 * * 1") == "At 06:00, only on Monday (Europe/Berlin)"
    assert schedule_rules.describe(kind="interval", cron="", every_seconds=7200, timezone="UTC") == "Every 2 hours"
    assert schedule_rules.interval_words(90) == "Every 90 seconds"
