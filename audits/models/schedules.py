from django.conf import settings
from django.db import models
from django_celery_beat.models import PeriodicTask

from audits.choices import ScheduleKind

from .runs import AuditPlan, AuditRun
from .workspaces import Workspace


class AuditSchedule(models.Model):
    """A plan re-audited on a rule: a cron expression or every N seconds, in an IANA time zone.

    Beat reads the linked django-celery-beat PeriodicTask (kept in step by audits.services.schedules only); each
    firing calls schedule_fire, which queues a run of the plan or records why it skipped.
    """

    workspace = models.ForeignKey(Workspace, on_delete=models.PROTECT, related_name="schedules")
    plan = models.ForeignKey(AuditPlan, on_delete=models.PROTECT, related_name="schedules")
    kind = models.CharField(max_length=10, choices=ScheduleKind.choices)
    # Five fields, minute hour day-of-month month day-of-week (kind "cron"); empty for intervals.
    cron = models.CharField(max_length=200, blank=True)
    every_seconds = models.PositiveIntegerField(null=True, blank=True)
    timezone = models.CharField(max_length=64, default="UTC")
    enabled = models.BooleanField(default=True)
    periodic_task = models.OneToOneField(
        PeriodicTask, null=True, blank=True, on_delete=models.SET_NULL, related_name="audit_schedule"
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    # Who created or last edited it: its runs are requested on this user's behalf (who must still run audits).
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    last_fired_at = models.DateTimeField(null=True, blank=True)
    last_run = models.ForeignKey(AuditRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # Why the last firing queued nothing ("" when it queued a run).
    last_skip_reason = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        rule = self.cron if self.kind == ScheduleKind.CRON else f"every {self.every_seconds} s"
        return f"schedule {self.pk} of {self.plan} ({rule}, {self.timezone})"
