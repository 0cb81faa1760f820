"""Domain models (design.md section 3). Business rules live in services, not here."""

from .data import Dataset, ModelArtifact, ProtectedAttribute, WorkspaceLexicon
from .review import ReportRendering, ReportReview, ReportSignature, ReviewEntry
from .runs import AuditPlan, AuditReport, AuditRun, ReportVerdictCounts
from .schedules import AuditSchedule
from .tokens import ApiTokenScope
from .trail import AuditEvent, ReportAccess, TrailCheckpoint
from .webhooks import WebhookDelivery, WebhookEndpoint
from .whatif import WhatIfEvidence
from .workspaces import Membership, Workspace

__all__ = [
    "ApiTokenScope",
    "AuditEvent",
    "AuditPlan",
    "AuditReport",
    "AuditRun",
    "AuditSchedule",
    "Dataset",
    "Membership",
    "ModelArtifact",
    "ProtectedAttribute",
    "ReportAccess",
    "ReportRendering",
    "ReportReview",
    "ReportSignature",
    "ReportVerdictCounts",
    "ReviewEntry",
    "TrailCheckpoint",
    "WebhookDelivery",
    "WebhookEndpoint",
    "WhatIfEvidence",
    "Workspace",
    "WorkspaceLexicon",
]
