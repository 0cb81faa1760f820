"""Models: the list, the registration form (model_register with its source) and one model's record."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django_htmx.http import HttpResponseClientRefresh

from audits import selectors, selectors_whatif
from audits.choices import IngestStatus
from audits.exceptions import ApplicationError
from audits.services.models import model_register

from ..forms import ModelRegisterForm, show_service_error
from ._common import get_scoped, is_refusal, read_only_page, refused_page, version_rows


@login_required
def model_list(request):
    models = selectors.model_list(user=request.user).select_related("dataset").order_by("-created_at")
    return render(request, "frontend/models/list.html", {"models": models})


@login_required
def model_register_page(request):
    refused = read_only_page(request)
    if refused is not None:
        return refused
    initial = {"dataset": request.GET.get("dataset")} if request.GET.get("dataset") else None
    form = ModelRegisterForm(request.POST or None, request.FILES or None, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            model = model_register(
                actor=request.user, request_id=request.headers.get("X-Request-ID", ""), **form.service_arguments()
            )
        except ApplicationError as exc:
            if is_refusal(exc):
                return refused_page(request, exc)
            show_service_error(form, exc)
        else:
            return redirect("frontend:model-detail", pk=model.pk)
    return render(request, "frontend/models/register.html", {"form": form})


@login_required
def model_detail(request, pk: int):
    model = get_scoped(selectors.model_list(user=request.user).select_related("dataset"), pk, "Model")
    config = model.config or {}
    return render(
        request,
        "frontend/models/detail.html",
        {
            "model": model,
            "favourable": model.decision_favourable,
            "labels": config.get("labels") or config.get("classes") or [],
            "smoke": config.get("smoke"),
            "feature_columns": config.get("feature_columns") or [],
            "what_if": selectors_whatif.what_if_allowed(user=request.user, model=model)
            and selectors_whatif.what_if_kind(model) is not None,
            "versions": version_rows(
                selectors.model_versions(user=request.user, model=model).select_related("created_by")
            ),
        },
    )


@login_required
def model_status(request, pk: int):
    """The status block of a model a worker loads and tests (htmx partial, polled while `validating`). On the model's
    page (`?detail=1`) a decided status reloads the page."""
    model = get_scoped(selectors.model_list(user=request.user), pk, "Model")
    detail = request.GET.get("detail") == "1"
    if detail and model.status != IngestStatus.VALIDATING and request.htmx:
        return HttpResponseClientRefresh()
    return render(request, "frontend/models/_status.html", {"model": model, "detail": detail})
