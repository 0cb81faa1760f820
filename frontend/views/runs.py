"""Runs: the list, one run's page and the status partial its page polls until the run ends."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from audits import selectors
from audits.choices import EventAction, EventObjectType, RunStatus
from audits.services.workspaces import WRITE_ROLES

from ._common import get_scoped

FINISHED = (RunStatus.SUCCEEDED, RunStatus.FAILED)


def failure_summary(error: str) -> str:
    """The message part of a stored run error (the service keeps the exception's type after a blank line)."""
    return (error or "").split("\n\n", 1)[0].strip() or "The run stopped without a message."


@login_required
def run_list(request):
    runs = selectors.audit_run_list(user=request.user).order_by("-created_at")[:100]
    return render(request, "frontend/runs/list.html", {"runs": runs})


def _run_context(request, pk: int) -> dict:
    run = get_scoped(
        selectors.audit_run_list(user=request.user).select_related("plan__model", "plan__dataset"), pk, "Run"
    )
    queued = (
        selectors.audit_event_list(user=request.user, action=EventAction.RUN_QUEUED, object_type=EventObjectType.RUN)
        .filter(object_id=str(run.pk))
        .first()
    )
    schedules = selectors.audit_schedule_list(user=request.user).filter(plan=run.plan)
    return {
        "run": run,
        "trigger": (queued.after or {}).get("trigger", {}) if queued else {},
        "plan_schedules": [
            {"rule": selectors.schedule_rule_words(schedule=s), "enabled": s.enabled} for s in schedules
        ],
        "can_write_here": selectors.workspace_roles(user=request.user).get(run.workspace_id) in WRITE_ROLES
        and not hasattr(run.plan, "successor"),
        "finished": run.status in FINISHED,
        "failure": failure_summary(run.error) if run.status == RunStatus.FAILED else "",
    }


@login_required
def run_detail(request, pk: int):
    return render(request, "frontend/runs/detail.html", _run_context(request, pk))


@login_required
def run_status(request, pk: int):
    """The status block alone; while the run is queued or running it asks to be fetched again."""
    return render(request, "frontend/runs/_status.html", _run_context(request, pk))
