"""The dashboard: the verdict matrix, reports awaiting my review, runs in progress, failures and latest reports."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from audits import selectors
from audits.choices import RunStatus
from audits.selectors_dashboard import verdict_matrix
from audits.services.reviews import DECIDERS

from .runs import failure_summary

ACTIVE = (RunStatus.QUEUED, RunStatus.RUNNING)


def _in_progress(user):
    return selectors.audit_run_list(user=user).filter(status__in=ACTIVE).order_by("-created_at")[:10]


@login_required
def home(request):
    runs = selectors.audit_run_list(user=request.user).select_related("plan").order_by("-created_at")
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
            "matrix": verdict_matrix(user=request.user),
            "reviews_shown": any(role in DECIDERS for role in roles.values()),
            "awaiting": selectors.review_awaiting_list(user=request.user)[:20],
            "in_progress": _in_progress(request.user),
            "failures": failures,
            "reports": selectors.audit_report_list(user=request.user)
            .select_related("run__plan")
            .order_by("-created_at")[:10],
            "runs": runs[:10],
        },
    )


@login_required
def home_in_progress(request):
    """The "In progress" card alone; the dashboard fetches it again every few seconds while runs are active."""
    return render(request, "frontend/dashboard/_in_progress.html", {"in_progress": _in_progress(request.user)})
