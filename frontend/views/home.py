"""The dashboard: the user's workspaces, runs in progress, recent failures and the latest reports."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from audits import selectors
from audits.choices import RunStatus

from .runs import failure_summary


@login_required
def home(request):
    runs = selectors.audit_run_list(user=request.user).order_by("-created_at")
    roles = selectors.workspace_roles(user=request.user)
    workspaces = [(w, roles.get(w.pk, "")) for w in selectors.workspace_list(user=request.user).order_by("name")]
    failures = list(runs.filter(status=RunStatus.FAILED)[:5])
    for run in failures:
        run.summary = failure_summary(run.error)
    return render(
        request,
        "frontend/home.html",
        {
            "workspaces": workspaces,
            "in_progress": runs.filter(status__in=[RunStatus.QUEUED, RunStatus.RUNNING])[:10],
            "failures": failures,
            "reports": selectors.audit_report_list(user=request.user)
            .select_related("run__plan")
            .order_by("-created_at")[:10],
            "runs": runs[:10],
        },
    )
