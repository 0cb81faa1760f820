"""Datasets: the list, the upload form (dataset_create) and one dataset's stored schema and profile."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django_htmx.http import HttpResponseClientRedirect, HttpResponseClientRefresh

from audits import selectors
from audits.choices import IngestStatus
from audits.constants import PLAN_DEFAULTS
from audits.exceptions import ApplicationError
from audits.services.datasets import dataset_create, dataset_preview

from ..forms import DatasetUploadForm, show_service_error
from ._common import get_scoped, is_refusal, read_only_page, refused_page, version_rows


@login_required
def dataset_list(request):
    datasets = selectors.dataset_list(user=request.user).order_by("-created_at")
    return render(request, "frontend/datasets/list.html", {"datasets": datasets})


@login_required
def dataset_upload(request):
    refused = read_only_page(request)
    if refused is not None:
        return refused
    form = DatasetUploadForm(request.POST or None, request.FILES or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            dataset, model = dataset_create(
                user=request.user, request_id=request.headers.get("X-Request-ID", ""), **form.service_arguments()
            )
        except ApplicationError as exc:
            if is_refusal(exc):
                return refused_page(request, exc)
            show_service_error(form, exc)
        else:
            if request.htmx:  # sent with upload progress: the browser navigates itself
                return HttpResponseClientRedirect(reverse("frontend:dataset-detail", kwargs={"pk": dataset.pk}))
            return redirect("frontend:dataset-detail", pk=dataset.pk)
    return render(request, "frontend/datasets/upload.html", {"form": form})


@login_required
def dataset_upload_preview(request):
    """The chosen file's columns and group sizes, before anything is stored (htmx partial of the upload form)."""
    if request.method != "POST" or not request.FILES.get("file"):
        return render(request, "frontend/datasets/_preview.html", {"preview": None})
    workspace = selectors.workspace_writable_list(user=request.user).filter(pk=request.POST.get("workspace")).first()
    workspace = workspace or selectors.workspace_writable_list(user=request.user).order_by("name").first()
    if workspace is None:
        return render(request, "frontend/datasets/_preview.html", {"error": "Your role lets you read, not upload."})
    try:
        preview = dataset_preview(
            user=request.user,
            workspace=workspace,
            upload=request.FILES["file"],
            encoding=request.POST.get("encoding") or None,
            delimiter=request.POST.get("delimiter") or None,
        )
    except ApplicationError as exc:
        return render(request, "frontend/datasets/_preview.html", {"error": exc.message})
    return render(request, "frontend/datasets/_preview.html", {"preview": preview})


@login_required
def dataset_detail(request, pk: int):
    dataset = get_scoped(selectors.dataset_list(user=request.user), pk, "Dataset")
    columns = dataset.profile.get("columns", {})
    schema = [
        {"name": c["name"], "dtype": c["dtype"], "missing": columns.get(c["name"], {}).get("missing")}
        for c in dataset.schema
    ]
    roles = {
        "Decision": (dataset.profile.get("decision") or {}),
        "Outcome": (dataset.profile.get("outcome") or {}),
    }
    models = selectors.model_list(user=request.user).filter(dataset=dataset)
    groups = selectors.dataset_group_sizes(dataset=dataset)
    return render(
        request,
        "frontend/datasets/detail.html",
        {
            "dataset": dataset,
            "schema": schema,
            "roles": {k: v for k, v in roles.items() if v},
            "groups": groups,
            "small_groups": [(row["attribute"], row["small"]) for row in groups if row["small"]],
            "min_group_size": PLAN_DEFAULTS.min_group_size,
            "models": models,
            "versions": version_rows(
                selectors.dataset_versions(user=request.user, dataset=dataset).select_related("created_by")
            ),
        },
    )


@login_required
def dataset_status(request, pk: int):
    """The status block of a dataset a worker validates (htmx partial, polled while `validating`). On the dataset's
    page (`?detail=1`) a decided status reloads the page, which then shows the profile or the reason."""
    dataset = get_scoped(selectors.dataset_list(user=request.user), pk, "Dataset")
    detail = request.GET.get("detail") == "1"
    if detail and dataset.status != IngestStatus.VALIDATING and request.htmx:
        return HttpResponseClientRefresh()
    return render(request, "frontend/datasets/_status.html", {"dataset": dataset, "detail": detail})
