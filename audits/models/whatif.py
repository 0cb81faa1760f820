"""What-if evidence: a what-if result a user chose to keep, attached to a report of the model's workspace."""

from django.conf import settings
from django.db import models

from .data import ModelArtifact
from .immutable import AppendOnlyModel
from .runs import AuditReport
from .workspaces import Workspace


class WhatIfEvidence(AppendOnlyModel):
    """The input and result of one what-if, saved on purpose (audits.services.whatif.what_if_evidence_save).

    A what-if itself stores nothing but hashes (its trail event); this row is the only place its content is kept.
    Append-only (ORM and PostgreSQL triggers): evidence attached to a report is never changed or removed.
    """

    workspace = models.ForeignKey(Workspace, on_delete=models.PROTECT, related_name="whatif_evidence")
    report = models.ForeignKey(AuditReport, on_delete=models.PROTECT, related_name="whatif_evidence")
    model = models.ForeignKey(ModelArtifact, on_delete=models.PROTECT, related_name="whatif_evidence")
    kind = models.CharField(max_length=20)  # "text" or "tabular"
    input_sha256 = models.CharField(max_length=64)
    # The input and the what-if result JSON (schema: audits/schemas/whatif.v1.schema.json).
    content = models.JSONField()
    note = models.CharField(max_length=500, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"what-if evidence {self.pk} on {self.report}"
