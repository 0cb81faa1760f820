"""Audit schedules (design.md section 1: "schedule re-audits"): create, change, pause, resume, delete, and fire.

Each schedule owns one django-celery-beat PeriodicTask (task audits.tasks.audit_schedule_fire_task, argument the
schedule id) that these services keep in step; beat's DatabaseScheduler reads it. A firing calls schedule_fire,
which queues a run of the plan through audit_run_create, or records why it skipped:
- a missed period (beat or the workers were down) is caught up once: a firing counts only when the rule named a
  time after the previous firing, so a backlog of messages for one period yields one run;
- a run of the plan still queued or running is never doubled: the firing is skipped and recorded.
"""

import json
import logging
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone
from django_celery_beat.models import CrontabSchedule, IntervalSchedule, PeriodicTask

from audits import schedule_rules
from audits.choices import EventAction, RunStatus, ScheduleKind
from audits.exceptions import ApplicationError
from audits.models import AuditPlan, AuditRun, AuditSchedule

from .audit_runs import audit_run_create
from .events import event_record
from .workspaces import workspace_require_role

logger = logging.getLogger(__name__)

FIRE_TASK = "audits.tasks.audit_schedule_fire_task"
# Beat's clock and a worker's may differ a little: a cron firing this close before its time still counts.
CLOCK_SLACK = timedelta(seconds=2)


def _rule(schedule: AuditSchedule) -> dict:
    return {
        "kind": schedule.kind,
        "cron": schedule.cron,
        "every_seconds": schedule.every_seconds,
        "timezone": schedule.timezone,
    }


def _state(schedule: AuditSchedule) -> dict:
    return {"plan": schedule.plan_id, **_rule(schedule), "enabled": schedule.enabled, "owner": schedule.owner_id}


def _sync_periodic_task(schedule: AuditSchedule) -> None:
    """Create or change the PeriodicTask beat reads for `schedule` (one per schedule; crontab rows are shared)."""
    crontab = interval = None
    if schedule.kind == ScheduleKind.CRON:
        crontab, _ = CrontabSchedule.objects.get_or_create(
            **schedule_rules.cron_fields(schedule.cron), timezone=ZoneInfo(schedule.timezone)
        )
    else:
        interval, _ = IntervalSchedule.objects.get_or_create(
            every=schedule.every_seconds, period=IntervalSchedule.SECONDS
        )
    task = schedule.periodic_task or PeriodicTask(name=f"audit-schedule-{schedule.pk}", task=FIRE_TASK)
    task.args = json.dumps([schedule.pk])
    task.crontab, task.interval = crontab, interval
    task.enabled = schedule.enabled
    task.description = f"Audit schedule {schedule.pk}: plan {schedule.plan_id} ({schedule.plan.name})"[:500]
    task.save()  # also tells beat (PeriodicTasks.last_update) to reload its schedule
    if schedule.periodic_task_id != task.pk:
        schedule.periodic_task = task
        schedule.save(update_fields=["periodic_task"])


def _check_plan(plan: AuditPlan) -> None:
    successor = AuditPlan.objects.filter(previous=plan).values_list("pk", flat=True).first()
    if successor is not None:
        raise ApplicationError(
            f"Plan {plan.pk} was re-audited on a newer version as plan {successor}; schedule that one.", field="plan"
        )


@transaction.atomic
def schedule_create(
    *,
    actor,
    plan: AuditPlan,
    kind: str,
    cron: str = "",
    every_seconds: int | None = None,
    timezone: str = "UTC",
    enabled: bool = True,
    request_id: str = "",
) -> AuditSchedule:
    """Schedule runs of `plan` on a cron rule or every N seconds, in an IANA time zone.

    The runs are requested on behalf of `actor` (the schedule's owner). Writes event schedule.created and the
    PeriodicTask beat reads. Raises NotFoundError / PermissionDeniedError (the actor may not run audits in the
    plan's workspace), ApplicationError naming the field at fault (cron, every_seconds, timezone, kind, plan)."""
    workspace_require_role(user=actor, workspace=plan.workspace)
    rule = schedule_rules.check_rule(kind=kind, cron=cron, every_seconds=every_seconds, timezone=timezone)
    _check_plan(plan)
    schedule = AuditSchedule.objects.create(
        workspace=plan.workspace, plan=plan, **rule, enabled=bool(enabled), created_by=actor, owner=actor
    )
    _sync_periodic_task(schedule)
    event_record(
        action=EventAction.SCHEDULE_CREATED,
        obj=schedule,
        actor=actor,
        workspace=schedule.workspace,
        request_id=request_id,
        after=_state(schedule),
    )
    return schedule


@transaction.atomic
def schedule_update(
    *,
    actor,
    schedule: AuditSchedule,
    kind: str,
    cron: str = "",
    every_seconds: int | None = None,
    timezone: str = "UTC",
    plan: AuditPlan | None = None,
    request_id: str = "",
) -> AuditSchedule:
    """Change a schedule's rule, time zone or plan (of the same workspace). The editor becomes its owner: later
    runs are requested on their behalf. Writes event schedule.updated (before/after). Raises as schedule_create."""
    workspace_require_role(user=actor, workspace=schedule.workspace)
    rule = schedule_rules.check_rule(kind=kind, cron=cron, every_seconds=every_seconds, timezone=timezone)
    schedule = AuditSchedule.objects.select_for_update().get(pk=schedule.pk)
    if plan is not None and plan.pk != schedule.plan_id:
        if plan.workspace_id != schedule.workspace_id:
            raise ApplicationError("The plan belongs to another workspace than the schedule.", field="plan")
        _check_plan(plan)
        schedule.plan = plan
    before = _state(schedule)
    for name, value in rule.items():
        setattr(schedule, name, value)
    schedule.owner = actor
    schedule.save()
    _sync_periodic_task(schedule)
    event_record(
        action=EventAction.SCHEDULE_UPDATED,
        obj=schedule,
        actor=actor,
        workspace=schedule.workspace,
        request_id=request_id,
        before=before,
        after=_state(schedule),
    )
    return schedule


def _set_enabled(*, actor, schedule: AuditSchedule, enabled: bool, request_id: str) -> AuditSchedule:
    workspace_require_role(user=actor, workspace=schedule.workspace)
    schedule = AuditSchedule.objects.select_for_update().get(pk=schedule.pk)
    if schedule.enabled == enabled:
        raise ApplicationError(f"The schedule is already {'running' if enabled else 'paused'}.", field="enabled")
    schedule.enabled = enabled
    schedule.save(update_fields=["enabled", "updated_at"])
    _sync_periodic_task(schedule)
    event_record(
        action=EventAction.SCHEDULE_RESUMED if enabled else EventAction.SCHEDULE_PAUSED,
        obj=schedule,
        actor=actor,
        workspace=schedule.workspace,
        request_id=request_id,
        before={"enabled": not enabled},
        after={"enabled": enabled},
    )
    return schedule


@transaction.atomic
def schedule_pause(*, actor, schedule: AuditSchedule, request_id: str = "") -> AuditSchedule:
    """Stop firing until resumed. Writes event schedule.paused. Raises ApplicationError when already paused."""
    return _set_enabled(actor=actor, schedule=schedule, enabled=False, request_id=request_id)


@transaction.atomic
def schedule_resume(*, actor, schedule: AuditSchedule, request_id: str = "") -> AuditSchedule:
    """Fire again from the next time the rule names (periods missed while paused are not caught up).
    Writes event schedule.resumed. Raises ApplicationError when it is not paused."""
    return _set_enabled(actor=actor, schedule=schedule, enabled=True, request_id=request_id)


@transaction.atomic
def schedule_delete(*, actor, schedule: AuditSchedule, request_id: str = "") -> None:
    """Delete the schedule and its PeriodicTask; its runs and their reports stay. Writes event schedule.deleted
    (before: the schedule as it was). Raises NotFoundError / PermissionDeniedError as schedule_create."""
    workspace_require_role(user=actor, workspace=schedule.workspace)
    schedule = AuditSchedule.objects.select_for_update().get(pk=schedule.pk)
    event_record(
        action=EventAction.SCHEDULE_DELETED,
        obj=schedule,
        actor=actor,
        workspace=schedule.workspace,
        request_id=request_id,
        before=_state(schedule),
    )
    task = schedule.periodic_task
    schedule.delete()
    if task is not None:
        task.delete()


@transaction.atomic
def schedules_follow_successor(*, plan: AuditPlan, successor: AuditPlan, actor, request_id: str = "") -> int:
    """Move the schedules of `plan` to its successor (a re-audit on a new version), so that they audit the newest
    version. Writes event schedule.updated for each; returns how many moved."""
    moved = 0
    for schedule in AuditSchedule.objects.select_for_update().filter(plan=plan):
        schedule.plan = successor
        schedule.save(update_fields=["plan", "updated_at"])
        _sync_periodic_task(schedule)
        event_record(
            action=EventAction.SCHEDULE_UPDATED,
            obj=schedule,
            actor=actor,
            workspace=schedule.workspace,
            request_id=request_id,
            before={"plan": plan.pk},
            after={"plan": successor.pk, "reason": "the plan was re-audited on a new version"},
        )
        moved += 1
    return moved


def schedule_is_due(schedule: AuditSchedule, *, now: datetime) -> bool:
    """Whether the rule named a time after the schedule's previous firing (always, before its first)."""
    last = schedule.last_fired_at
    if last is None:
        return True
    if schedule.kind == ScheduleKind.INTERVAL:
        # Beat counts intervals from its own clock; half an interval tells a new period from a repeated message.
        return (now - last).total_seconds() >= (schedule.every_seconds or 0) / 2
    return schedule_rules.cron_next_after(schedule.cron, schedule.timezone, last) <= now + CLOCK_SLACK


def _skip(schedule: AuditSchedule, *, reason: str, now: datetime, task_id: str, consumed: bool) -> None:
    schedule.last_skip_reason = reason[:500]
    fields = ["last_skip_reason"]
    if consumed:  # this period is handled: a repeated message for it must not queue a run later
        schedule.last_fired_at = now
        fields.append("last_fired_at")
    schedule.save(update_fields=fields)
    event_record(
        action=EventAction.SCHEDULE_SKIPPED,
        obj=schedule,
        actor_label="beat",
        workspace=schedule.workspace,
        task_id=task_id,
        after={"plan": schedule.plan_id, "reason": reason},
    )
    logger.info("schedule %s skipped: %s", schedule.pk, reason)


@transaction.atomic
def schedule_fire(*, schedule_id: int, now: datetime | None = None, task_id: str = "") -> AuditRun | None:
    """Beat's firing of schedule `schedule_id`: queue a run of its plan on behalf of its owner, or skip.

    A run is queued through audit_run_create (event run.queued with trigger {"schedule": id}; the task is enqueued on
    commit). Skips write event schedule.skipped with the reason: paused; no new period since the previous firing
    (a missed period is caught up once); a run of the plan still queued or running; the owner may no longer run
    audits in the workspace. Returns the run, or None (also for a schedule deleted meanwhile). Raises nothing."""
    now = now or timezone.now()
    schedule = (
        AuditSchedule.objects.select_for_update(of=("self",))
        .select_related("plan", "workspace", "owner")
        .filter(pk=schedule_id)
        .first()
    )
    if schedule is None:
        logger.info("schedule %s no longer exists; nothing to fire", schedule_id)
        return None
    if not schedule.enabled:
        _skip(schedule, reason="The schedule is paused.", now=now, task_id=task_id, consumed=False)
        return None
    if not schedule_is_due(schedule, now=now):
        reason = f"Already fired for this period at {schedule.last_fired_at.isoformat()}; a missed period runs once."
        _skip(schedule, reason=reason, now=now, task_id=task_id, consumed=False)
        return None
    busy = AuditRun.objects.filter(plan=schedule.plan, status__in=(RunStatus.QUEUED, RunStatus.RUNNING)).first()
    if busy is not None:
        reason = f"Run {busy.pk} of this plan is still {busy.status}; no second run is queued."
        _skip(schedule, reason=reason, now=now, task_id=task_id, consumed=True)
        return None
    try:
        run = audit_run_create(
            user=schedule.owner, plan=schedule.plan, trigger={"schedule": schedule.pk, "task_id": task_id}
        )
    except ApplicationError as exc:
        _skip(schedule, reason=exc.message, now=now, task_id=task_id, consumed=True)
        return None
    schedule.last_fired_at, schedule.last_run, schedule.last_skip_reason = now, run, ""
    schedule.save(update_fields=["last_fired_at", "last_run", "last_skip_reason"])
    logger.info("schedule %s queued run %s of plan %s", schedule.pk, run.pk, schedule.plan_id)
    return run
