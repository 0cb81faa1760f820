"""Per-pair probe artifacts of a run: only those its report names can be read, and each read is recorded."""

from pathlib import Path

from django.db import transaction

from audits.choices import EventAction
from audits.exceptions import ApplicationError, NotFoundError
from audits.models import AuditReport, AuditRun

from .audit_execution import run_artifact_folder
from .events import event_record
from .workspaces import ROW_LEVEL_ROLES, workspace_require_role


@transaction.atomic
def run_artifact_open(*, user, run: AuditRun, name: str, request_id: str = "") -> Path:
    """The Parquet file of artifact `name` of `run` (row-level content: texts and scores of every pair).

    Raises NotFoundError unless the run's report names the artifact (no path is ever built from user input
    alone) and ApplicationError when no name is given. Raises NotFoundError for a user outside the run's workspace
    and PermissionDeniedError for a viewer (row-level content is for auditors, reviewers and admins).
    Writes event run.artifact_downloaded.
    """
    workspace_require_role(user=user, workspace=run.workspace, roles=ROW_LEVEL_ROLES)
    if not name:
        raise ApplicationError("Name the artifact (see the report's probes: artifact.name).", field="name")
    report = AuditReport.objects.filter(run=run).first()
    named = [
        probe["artifact"]
        for probe in (report.document.get("probes", []) if report else [])
        if probe.get("artifact") and probe["artifact"]["name"] == name
    ]
    if not named:
        raise NotFoundError(f"Run {run.pk} has no artifact '{name}'.", field="name")
    path = run_artifact_folder(run.pk) / named[0]["file"]
    if not path.is_file():
        raise NotFoundError(f"The artifact '{name}' of run {run.pk} is no longer stored.", field="name")
    event_record(
        action=EventAction.RUN_ARTIFACT_DOWNLOADED,
        obj=run,
        actor=user,
        workspace=run.workspace,
        request_id=request_id,
        after={"name": name, "sha256": named[0]["sha256"]},
    )
    return path
