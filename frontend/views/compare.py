"""Compare: any two reports of the same model or plan, side by side (the rule is report_compare's)."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from audits import selectors
from audits.constants import METRICS
from audits.exceptions import ApplicationError
from audits.services.report_comparisons import report_compare
from frontend.forms_govern import CompareForm, report_label

from ._common import get_scoped

_METRIC_NAMES = {m.id: m.name for m in METRICS}


def _metric_name(metric: str) -> str:
    return _METRIC_NAMES.get(metric, metric.replace("_", " "))


def _finding(label: str) -> str:
    """report_diff's "metric:attribute=group (class c)" as the page says it."""
    metric, _, rest = label.partition(":")
    return f"{_metric_name(metric)} · {rest.replace('=', ' = ', 1)}"


def _rows(rows: list[dict]) -> list[dict]:
    return [{**row, "metric_name": _metric_name(row["metric"])} for row in rows]


def _context(comparison) -> dict:
    diff = comparison.diff
    return {
        "comparison": comparison,
        "a": comparison.baseline,
        "b": comparison.compared,
        "a_label": report_label(comparison.baseline),
        "b_label": report_label(comparison.compared),
        "metrics": _rows(diff["metrics"]),
        "verdict_changes": _rows(diff["verdict_changes"]),
        "new_findings": [_finding(f) for f in diff["new_findings"]],
        "resolved_findings": [_finding(f) for f in diff["resolved_findings"]],
        "only_now": [_finding(f) for f in diff["only_now"]],
        "only_before": [_finding(f) for f in diff["only_before"]],
        "probe_changes": diff["probe_verdict_changes"],
        "dataset_changed": diff["dataset_changed"],
        "model_changed": diff["model_changed"],
    }


@login_required
def report_compare_page(request):
    """?b=<report> shows the choice of a baseline among B's comparable reports; ?a=&b= shows the comparison.
    Reports outside the user's workspaces are 404; a pair report_compare refuses shows its message next to A."""
    reports = selectors.audit_report_list(user=request.user).select_related("run__plan__model")
    b = get_scoped(reports, request.GET["b"], "Report") if request.GET.get("b", "").isdigit() else None
    a = get_scoped(reports, request.GET["a"], "Report") if request.GET.get("a", "").isdigit() else None
    context = {"comparable": selectors.report_comparable_list(user=request.user, report=b) if b else None}
    status = 200
    if a is not None and b is not None:
        form = CompareForm(request.GET, user=request.user)
        try:
            context.update(_context(report_compare(report=b, against=a)))
            form.limit_baselines(context["comparable"])
        except ApplicationError as exc:
            form.is_valid()
            form.add_error("a", exc.message)
            status = 400
    else:
        form = CompareForm(initial={"b": b.pk if b else None}, user=request.user)
        if b is not None:
            form.limit_baselines(context["comparable"])
    context["form"] = form
    return render(request, "frontend/compare/page.html", context, status=status)
