"""Domain models (design.md section 3). Business rules live in services, not here."""

from .data import Dataset, ModelArtifact, ProtectedAttribute, WorkspaceLexicon
from .review import ReportReview, ReportSignature, ReviewEntry
from .runs import AuditPlan, AuditReport, AuditRun
from .schedules import AuditSchedule
from .trail import AuditEvent, TrailCheckpoint
from .workspaces import Membership, Workspace

__all__ = [
    "AuditEvent",
    "AuditPlan",
    "AuditReport",
    "AuditRun",
    "AuditSchedule",
    "Dataset",
    "Membership",
    "ModelArtifact",
    "ProtectedAttribute",
    "ReportReview",
    "ReportSignature",
    "ReviewEntry",
    "TrailCheckpoint",
    "Workspace",
    "WorkspaceLexicon",
]
