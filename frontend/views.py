"""Pages: the user's recent runs and reports, and one report's findings."""

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render

from audits import selectors
from audits.models import ReportReview
from audits.services.reports import report_record_access

_VERDICT_ORDER = {"fail": 0, "inconclusive": 1, "insufficient_data": 2, "not_computable": 3, "pass": 4}


@login_required
def home(request):
    runs = selectors.audit_run_list(user=request.user).order_by("-created_at")[:25]
    return render(
        request, "frontend/home.html", {"runs": runs, "workspaces": selectors.workspace_list(user=request.user)}
    )


@login_required
def report_detail(request, pk: int):
    report = selectors.audit_report_list(user=request.user).filter(pk=pk).first()
    if report is None:
        raise Http404("Report not found")
    report_record_access(user=request.user, report=report, action="report.viewed", via="web")
    document = report.document
    results = sorted(
        document["results"],
        key=lambda r: (
            r["decision_class"],
            _VERDICT_ORDER.get(r["verdict"], 9),
            r["attribute"],
            r["metric"],
            r["group"],
        ),
    )
    scores = (document.get("score_analysis") or {}).get("by_attribute", {})
    return render(
        request,
        "frontend/report_detail.html",
        {
            "report": report,
            "review": ReportReview.objects.filter(report=report).first(),
            "exports": ("html", "pdf", "model_card", "hf_card", "csv", "dsse"),
            "doc": document,
            "results": results,
            "attributes": document["attributes"],
            "warnings": document["summary"].get("convention_warnings", []),
            "auc": {name: entry["analysis"]["auc_by_group"] for name, entry in scores.items()},
        },
    )
