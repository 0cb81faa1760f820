"""Review and sign-off of reports (design.md section 7). Reports never change: their review state lives here,
every step is an append-only entry, and signatures are append-only envelopes."""

from django.conf import settings
from django.db import models

from audits.choices import ReviewAction, ReviewStatus

from .immutable import AppendOnlyModel
from .runs import AuditReport
from .workspaces import Workspace


class ReportReview(models.Model):
    """The current review state of one report; changed only by audits.services.reviews (conditional updates)."""

    workspace = models.ForeignKey(Workspace, on_delete=models.PROTECT, related_name="reviews")
    report = models.OneToOneField(AuditReport, on_delete=models.PROTECT, related_name="review")
    status = models.CharField(max_length=20, choices=ReviewStatus.choices, default=ReviewStatus.SUBMITTED)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"review of {self.report} ({self.status})"


class ReviewEntry(AppendOnlyModel):
    """One step of a review: submit, start, approve, reject, request changes, or a comment."""

    review = models.ForeignKey(ReportReview, on_delete=models.PROTECT, related_name="entries")
    action = models.CharField(max_length=20, choices=ReviewAction.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    comment = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]


class ReportSignature(AppendOnlyModel):
    """A DSSE envelope around an in-toto Statement about a report, signed with the platform's Ed25519 key.

    kind "report": made when the report is finalised (subjects: the report JSON, its HTML rendering, the dataset
    and the model). kind "approval": made when a reviewer approves (names the reviewer and the decision).
    """

    report = models.ForeignKey(AuditReport, on_delete=models.PROTECT, related_name="signatures")
    kind = models.CharField(max_length=20)
    envelope_json = models.TextField()
    key_id = models.CharField(max_length=64)
    statement_sha256 = models.CharField(max_length=64)
    review_entry = models.ForeignKey(ReviewEntry, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]


class ReportRendering(AppendOnlyModel):
    """The exact bytes of a rendering that a report's signed statement names as a subject (e.g. its HTML), kept
    from the moment of signing, so the file served later is byte for byte the one signed (design.md section 7)
    even after templates change. Written by audits.services.signatures.report_sign only; never changed."""

    report = models.ForeignKey(AuditReport, on_delete=models.PROTECT, related_name="renderings")
    format = models.CharField(max_length=30)
    content = models.BinaryField()
    sha256 = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [models.UniqueConstraint(fields=["report", "format"], name="one_rendering_per_format")]

    def __str__(self) -> str:
        return f"{self.format} rendering of {self.report} ({self.sha256[:12]})"
