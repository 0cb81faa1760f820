"""Schedules: the list across the user's workspaces, the form to create or change one, pause, resume and delete.
Every change goes through a schedules service; the rule's words and next run come from the selectors."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from audits import selectors
from audits.exceptions import ApplicationError
from audits.services.schedules import (
    schedule_create,
    schedule_delete,
    schedule_pause,
    schedule_resume,
    schedule_update,
)
from audits.services.workspaces import WRITE_ROLES, workspace_require_role

from ..forms import ScheduleForm
from ._common import get_scoped, is_refusal, read_only_page, refused_page


def _rows(request, schedules) -> list[dict]:
    roles = selectors.workspace_roles(user=request.user)
    return [
        {
            "schedule": s,
            "rule": selectors.schedule_rule_words(schedule=s),
            "next_run": selectors.schedule_next_run(schedule=s),
            "can_write": roles.get(s.workspace_id) in WRITE_ROLES,
        }
        for s in schedules
    ]


@login_required
def schedule_list(request):
    schedules = selectors.audit_schedule_list(user=request.user).select_related("plan__model", "plan__dataset")
    plan = request.GET.get("plan")
    if plan and plan.isdigit():
        schedules = schedules.filter(plan_id=plan)
    return render(
        request,
        "frontend/schedules/list.html",
        {"rows": _rows(request, schedules.order_by("workspace__name", "-created_at")), "plan_filter": plan},
    )


def _form_page(request, form, schedule=None, status=200):
    context = {"form": form, "schedule": schedule, "timezones": ScheduleForm.timezones()}
    return render(request, "frontend/schedules/form.html", context, status=status)


@login_required
def schedule_new(request):
    refused = read_only_page(request)
    if refused is not None:
        return refused
    initial = {"plan": request.GET["plan"]} if request.GET.get("plan", "").isdigit() else None
    form = ScheduleForm(request.POST or None, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            schedule = schedule_create(actor=request.user, **form.service_arguments())
        except ApplicationError as exc:
            if is_refusal(exc):
                return refused_page(request, exc)
            form.show_error(exc)
        else:
            words = selectors.schedule_rule_words(schedule=schedule)
            messages.success(request, f"Schedule {schedule.pk} created: {words}.")
            return redirect("frontend:schedule-list")
    return _form_page(request, form, status=400 if request.method == "POST" else 200)


@login_required
def schedule_edit(request, pk: int):
    schedule = get_scoped(selectors.audit_schedule_list(user=request.user), pk, "Schedule")
    if request.method == "GET":  # a reader gets the reason, not a form that cannot succeed
        try:
            workspace_require_role(user=request.user, workspace=schedule.workspace)
        except ApplicationError as exc:
            return refused_page(request, exc)
    form = ScheduleForm(request.POST or None, user=request.user, initial=ScheduleForm.initial_for(schedule))
    if request.method == "POST" and form.is_valid():
        try:
            schedule_update(actor=request.user, schedule=schedule, **form.service_arguments())
        except ApplicationError as exc:
            if is_refusal(exc):
                return refused_page(request, exc)
            form.show_error(exc)
        else:
            messages.success(request, f"Schedule {schedule.pk} changed.")
            return redirect("frontend:schedule-list")
    return _form_page(request, form, schedule, status=400 if request.method == "POST" else 200)


def _act(request, pk: int, service, done: str):
    schedule = get_scoped(selectors.audit_schedule_list(user=request.user), pk, "Schedule")
    try:
        service(actor=request.user, schedule=schedule)
    except ApplicationError as exc:
        if is_refusal(exc):
            return refused_page(request, exc)
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Schedule {pk} {done}.")
    return redirect("frontend:schedule-list")


@require_POST
@login_required
def schedule_pause_page(request, pk: int):
    return _act(request, pk, schedule_pause, "paused")


@require_POST
@login_required
def schedule_resume_page(request, pk: int):
    return _act(request, pk, schedule_resume, "resumed: it fires from the next time its rule names")


@require_POST
@login_required
def schedule_delete_page(request, pk: int):
    return _act(request, pk, schedule_delete, "deleted; its runs and reports stay")
