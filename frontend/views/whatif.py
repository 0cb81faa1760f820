"""The What-if page of a model: score one input, see its attributions and its counterfactual variants, edit and
score again; save a result as evidence on a report. Every rule is audits.services.whatif's."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRedirect

from audits import selectors, selectors_whatif
from audits.constants import BUILTIN_LEXICONS
from audits.exceptions import ApplicationError
from audits.models import ProtectedAttribute
from audits.services.whatif import (
    what_if_dataset_row,
    what_if_evidence_save,
    what_if_kind,
    what_if_prepare,
    what_if_run,
)

from ..forms import show_service_error
from ..forms.whatif import WhatIfForm
from ._common import get_scoped

# How long the page's request waits for the worker before it shows "computing" and polls (seconds).
PAGE_WAIT_SECONDS = 3.0
REFUSED = (
    "Running what-ifs needs the auditor, reviewer or admin role in this model's workspace; saved what-ifs are shown "
    "on the reports they were attached to."
)


def _setup(request, pk: int):
    model = get_scoped(selectors.model_list(user=request.user), pk, "Model")
    kind = what_if_kind(model)
    datasets = selectors_whatif.what_if_datasets(user=request.user, model=model)
    return model, kind, datasets


def _form(request, model, kind, datasets, data=None, initial=None, dataset_id=None) -> WhatIfForm:
    lexicons = list(BUILTIN_LEXICONS) + sorted(
        {f"{x.name}" for x in selectors.lexicon_list(user=request.user).filter(workspace=model.workspace)}
    )
    chosen = next((d for d in datasets if d.pk == dataset_id), datasets[0] if datasets else None)
    attributes = list(ProtectedAttribute.objects.filter(dataset=chosen)) if chosen and kind == "tabular" else []
    features = list((model.config or {}).get("feature_columns") or [])
    columns = list(dict.fromkeys([*features, *(a.column for a in attributes)]))
    reports = selectors_whatif.what_if_reports(user=request.user, model=model)[:50]
    return WhatIfForm(
        data, initial=initial, kind=kind, lexicons=lexicons, datasets=datasets, attributes=attributes,
        columns=columns, reports=reports,
    )  # fmt: skip


METHODS = {
    "integrated_gradients": "integrated gradients",
    "occlusion": "word occlusion",
    "shap_tree": "SHAP, tree explainer",
    "shap_tree_path_dependent": "SHAP, path-dependent tree explainer",
    "shap_permutation": "SHAP, permutation explainer",
}


def _page(request, model, form, **extra):
    context = {"model": model, "form": form, "kind": form.kind, "result": None, "pending": False, **extra}
    result = context["result"]
    context["method"] = METHODS.get(result["attribution"]["method"], result["attribution"]["method"]) if result else ""
    context["oob"] = bool(request.htmx)
    template = "frontend/models/_whatif_result.html" if request.htmx else "frontend/models/whatif.html"
    return render(request, template, context)


def _refused(request):
    return render(request, "frontend/refused.html", {"message": REFUSED}, status=403)


@login_required
def model_what_if(request, pk: int):
    """GET: the form, filled from a dataset row when ?dataset=&row= are given. POST: run the what-if."""
    model, kind, datasets = _setup(request, pk)
    if not selectors_whatif.what_if_allowed(user=request.user, model=model):
        return _refused(request)
    if kind is None:
        return render(request, "frontend/models/whatif_none.html", {"model": model})
    if request.method == "POST":
        return _run(request, model, kind, datasets)
    dataset_id = int(request.GET["dataset"]) if request.GET.get("dataset", "").isdigit() else None
    row = int(request.GET["row"]) if request.GET.get("row", "").isdigit() else None
    form = _form(request, model, kind, datasets, dataset_id=dataset_id)
    initial, error = {}, ""
    dataset = next((d for d in datasets if d.pk == dataset_id), datasets[0] if datasets else None)
    try:
        if kind == "text" and dataset is not None and row is not None:
            prepared = what_if_prepare(user=request.user, model=model, dataset=dataset, row=row)
            initial = {"text": prepared.data["text"], "lexicon": prepared.data["lexicon"]}
        elif kind == "tabular" and dataset is not None:
            prepared = what_if_prepare(user=request.user, model=model, dataset=dataset, row=row or 0)
            values = what_if_dataset_row(dataset=dataset, columns=form.columns, row=row or 0)
            initial = {"dataset": dataset.pk, "attribute": prepared.data["attribute"]}
            initial.update({f"value_{i}": values.get(c, "") for i, c in enumerate(form.columns)})
    except ApplicationError as exc:
        error = exc.message
    form = _form(request, model, kind, datasets, initial=initial, dataset_id=dataset.pk if dataset else None)
    return _page(request, model, form, datasets=datasets, row=row or 0, dataset=dataset, load_error=error)


def _prepare(request, model, kind, form: WhatIfForm):
    data = form.cleaned_data
    if kind == "text":
        return what_if_prepare(user=request.user, model=model, text=data["text"], lexicon=data["lexicon"])
    dataset = get_scoped(selectors.dataset_list(user=request.user), data["dataset"], "Dataset")
    features = set((model.config or {}).get("feature_columns") or [])
    values = {c: v for c, v in form.values().items() if c in features or c == data["attribute"]}
    return what_if_prepare(user=request.user, model=model, dataset=dataset, values=values, attribute=data["attribute"])


def _run(request, model, kind, datasets):
    dataset_id = int(request.POST["dataset"]) if request.POST.get("dataset", "").isdigit() else None
    form = _form(request, model, kind, datasets, data=request.POST, dataset_id=dataset_id)
    result, pending = None, False
    if form.is_valid():
        try:
            prepared = _prepare(request, model, kind, form)
            result = what_if_run(
                user=request.user, request=prepared, request_id=request.headers.get("X-Request-ID", ""),
                record=request.POST.get("poll") != "1", wait=PAGE_WAIT_SECONDS,
            )  # fmt: skip
            pending = result is None
        except ApplicationError as exc:
            show_service_error(form, exc, aliases={"values": None, "input": None, "row": None})
    previous = form.cleaned_data.get("previous_score") if form.is_valid() else None
    change = result["score"] - previous if result is not None and previous is not None else None
    return _page(
        request, model, form, result=result, pending=pending, previous=previous, change=change, datasets=datasets,
        rows=_rows(result),
    )  # fmt: skip


def _rows(result: dict | None) -> list[dict]:
    """The attribution as rows: name, value, weight, |weight| relative to the largest (for the meter)."""
    if not result:
        return []
    attribution = result["attribution"]
    weights = [w or 0.0 for w in attribution["weights"]]
    largest = max((abs(w) for w in weights), default=0.0) or 1.0
    values = attribution.get("values") or [None] * len(weights)
    return [
        {"name": n, "value": v, "weight": w, "share": abs(w) / largest, "protected": p, "sign": "+" if w >= 0 else "−"}
        for n, v, w, p in zip(attribution["names"], values, weights, attribution["protected"], strict=True)
    ]


@login_required
@require_POST
def model_what_if_evidence(request, pk: int):
    """Save the what-if of the posted input on the chosen report; then go to that report's evidence."""
    model, kind, datasets = _setup(request, pk)
    if not selectors_whatif.what_if_allowed(user=request.user, model=model) or kind is None:
        return _refused(request)
    dataset_id = int(request.POST["dataset"]) if request.POST.get("dataset", "").isdigit() else None
    form = _form(request, model, kind, datasets, data=request.POST, dataset_id=dataset_id)
    if form.is_valid() and not form.cleaned_data.get("report"):
        form.add_error("report", "Choose the report to attach this what-if to.")
    if form.is_valid():
        report = get_scoped(selectors.audit_report_list(user=request.user), form.cleaned_data["report"], "Report")
        try:
            prepared = _prepare(request, model, kind, form)
            what_if_evidence_save(
                user=request.user, request=prepared, report=report, note=form.cleaned_data["note"],
                request_id=request.headers.get("X-Request-ID", ""),
            )  # fmt: skip
        except ApplicationError as exc:
            show_service_error(form, exc, aliases={"values": None, "input": None})
        else:
            url = reverse("frontend:report-detail", args=[report.pk]) + "#whatif-evidence"
            return HttpResponseClientRedirect(url) if request.htmx else redirect(url)
    return _page(request, model, form, datasets=datasets, rows=[])
