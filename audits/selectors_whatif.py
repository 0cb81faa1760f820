"""Reads of the what-if playground, scoped to the user's workspaces like every selector."""

from django.db.models import QuerySet

from audits.models import AuditReport, Dataset, ModelArtifact, WhatIfEvidence
from audits.selectors import audit_report_list, dataset_list, workspace_roles
from audits.services.whatif import what_if_kind

__all__ = ["what_if_allowed", "what_if_datasets", "what_if_kind", "what_if_reports", "whatif_evidence_list"]
from audits.services.workspaces import ROW_LEVEL_ROLES


def what_if_allowed(*, user, model: ModelArtifact) -> bool:
    """Whether `user`'s role lets them run what-ifs of `model` (auditors, reviewers, admins)."""
    return workspace_roles(user=user).get(model.workspace_id) in ROW_LEVEL_ROLES


def what_if_datasets(*, user, model: ModelArtifact) -> list[Dataset]:
    """Datasets of the model's workspace a row can come from: those holding every column the model reads."""
    features = set((model.config or {}).get("feature_columns") or [])
    text = (model.config or {}).get("text_column") or ""
    candidates = dataset_list(user=user).filter(workspace=model.workspace).order_by("-created_at")
    out = []
    for dataset in candidates:
        columns = {c["name"] for c in dataset.schema}
        if what_if_kind(model) == "text":
            if (dataset.text_column or text) in columns:
                out.append(dataset)
        elif features <= columns:
            out.append(dataset)
    return out


def what_if_reports(*, user, model: ModelArtifact) -> QuerySet[AuditReport]:
    """Reports of the model's workspace that evidence can be saved on, newest first."""
    return (
        audit_report_list(user=user)
        .filter(workspace=model.workspace)
        .select_related("run__plan")
        .order_by("-created_at")
    )


def whatif_evidence_list(*, user, report: AuditReport) -> QuerySet[WhatIfEvidence]:
    return (
        WhatIfEvidence.objects.filter(report=report, workspace_id__in=list(workspace_roles(user=user)))
        .select_related("model", "created_by")
        .order_by("created_at", "id")
    )
