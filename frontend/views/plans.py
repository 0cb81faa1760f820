"""New audit: the plan builder. "Run now" creates the plan (audit_plan_create) and queues it (audit_run_create)."""

from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.shortcuts import redirect, render

from audits import selectors
from audits.exceptions import ApplicationError
from audits.services.audit_runs import audit_run_create
from audits.services.plans import audit_plan_create

from ..forms import PlanForm
from ._common import is_refusal, read_only_page, refused_page


def _chosen(request, form: PlanForm, name: str):
    """The model or dataset picked so far (POST, else the query string), when the user may see it."""
    raw = (request.POST if request.method == "POST" else request.GET).get(name)
    if not raw or not str(raw).isdigit():
        return None
    return form.fields[name].queryset.filter(pk=raw).first()


@login_required
def plan_new(request):
    refused = read_only_page(request)
    if refused is not None:
        return refused
    initial = {key: request.GET[key] for key in ("model", "dataset") if request.GET.get(key)}
    form = PlanForm(request.POST or None, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():  # the plan and its first run, or neither
                plan = audit_plan_create(user=request.user, **form.service_arguments())
                run = audit_run_create(user=request.user, plan=plan)
        except ApplicationError as exc:
            if is_refusal(exc):
                return refused_page(request, exc)
            form.show_error(exc)
        else:
            return redirect("frontend:run-detail", pk=run.pk)
    model, dataset = _chosen(request, form, "model"), _chosen(request, form, "dataset")
    form.limit_to(model=model, dataset=dataset)
    template = "frontend/plans/_options.html" if request.htmx else "frontend/plans/new.html"
    return render(
        request,
        template,
        {
            "form": form,
            "model": model,
            "dataset": dataset or (model.dataset if model else None),
            "has_models": selectors.model_list(user=request.user).exists(),
        },
    )
