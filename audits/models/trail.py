from django.conf import settings
from django.db import models

from audits.choices import EventAction, EventObjectType

from .immutable import AppendOnlyModel
from .workspaces import Workspace


class AuditEvent(AppendOnlyModel):
    """Append-only, hash-chained trail entry of a compliance-relevant action (design.md section 7).

    `hash` = sha256(prev_hash + canonical JSON of the entry); written only by services.event_record.
    """

    workspace = models.ForeignKey(Workspace, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_label = models.CharField(max_length=255)
    action = models.CharField(max_length=100, db_index=True, choices=EventAction.choices)
    object_type = models.CharField(max_length=100, choices=EventObjectType.choices)
    object_id = models.CharField(max_length=100)
    request_id = models.CharField(max_length=100, blank=True)
    task_id = models.CharField(max_length=255, blank=True)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField()
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["id"]
        # A report's trail (its page) and an object's history look events up by object, not by scanning the trail.
        indexes = [models.Index(fields=["object_type", "object_id"], name="audits_event_object_idx")]

    def __str__(self) -> str:
        return (
            f"{self.created_at:%Y-%m-%d %H:%M:%S} {self.actor_label} {self.action} {self.object_type}:{self.object_id}"
        )


class TrailCheckpoint(AppendOnlyModel):
    """A signed statement of the chain's head: the last event's id and hash and how many events lead to it
    (design.md section 7). Written by services.checkpoints after compliance events; the envelope (DSSE, the
    platform's Ed25519 key) is what counts: the plain columns repeat it for queries and are checked against it.
    Deleting events at the tail or re-chaining the trail no longer reaches the last checkpoint's hash and count.
    """

    event_id = models.BigIntegerField()  # not a foreign key: verification names a missing event itself
    event_hash = models.CharField(max_length=64)
    event_count = models.BigIntegerField()
    envelope_json = models.TextField()
    key_id = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"checkpoint {self.pk}: event {self.event_id} ({self.event_count} events)"


class ReportAccess(AppendOnlyModel):
    """One opening of a report (page, API detail): the access log, kept outside the hash chain so that reads do not
    queue on the chain's lock (design.md section 7). Append-only (ORM and PostgreSQL triggers). The periodic task
    folds the rows into the chain in batches (services.report_access): one report.views_recorded event per workspace
    and batch states the batch's id range, row count and sha256 of its rows, so verify_trail detects a folded row
    that was changed, removed or added."""

    workspace = models.ForeignKey(Workspace, on_delete=models.PROTECT, related_name="+")
    report = models.ForeignKey("audits.AuditReport", on_delete=models.PROTECT, related_name="accesses")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_label = models.CharField(max_length=255)
    via = models.CharField(max_length=20)  # "web" or "api"
    request_id = models.CharField(max_length=100, blank=True)
    sha256 = models.CharField(max_length=64)  # the report's, as opened
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["report", "id"], name="audits_access_report_idx")]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M:%S} {self.actor_label} opened report {self.report_id} ({self.via})"
