"""Domain models (design.md section 3). Business rules live in services, not here."""

from .data import Dataset, ModelArtifact, ProtectedAttribute, WorkspaceLexicon
from .review import ReportRendering, ReportReview, ReportSignature, ReviewEntry
from .runs import AuditPlan, AuditReport, AuditRun
from .trail import AuditEvent
from .workspaces import Membership, Workspace

__all__ = [
    "AuditEvent",
    "AuditPlan",
    "AuditReport",
    "AuditRun",
    "Dataset",
    "Membership",
    "ModelArtifact",
    "ProtectedAttribute",
    "ReportRendering",
    "ReportReview",
    "ReportSignature",
    "ReviewEntry",
    "Workspace",
    "WorkspaceLexicon",
]
