"""A report's page and its export downloads."""

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import render

from audits import selectors
from audits.choices import ExportFormat
from audits.exceptions import ApplicationError
from audits.models import ReportReview
from audits.services.report_exports import report_export
from audits.services.reports import report_record_view

_VERDICT_ORDER = {"fail": 0, "inconclusive": 1, "insufficient_data": 2, "not_computable": 3, "pass": 4}


def _report(request, pk: int):
    report = selectors.audit_report_list(user=request.user).filter(pk=pk).first()
    if report is None:
        raise Http404("Report not found")
    return report


@login_required
def report_detail(request, pk: int):
    report = _report(request, pk)
    report_record_view(user=request.user, report=report, via="web")
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
            "exports": ExportFormat.choices,
            "doc": document,
            "results": results,
            "attributes": document["attributes"],
            "warnings": document["summary"].get("convention_warnings", []),
            "auc": {name: entry["analysis"]["auc_by_group"] for name, entry in scores.items()},
        },
    )


@login_required
def report_download(request, pk: int, fmt: str):
    """One export of a report as a file download (the same service as the API and CLI; recorded in the trail)."""
    report = _report(request, pk)
    try:
        exported = report_export(actor=request.user, report=report, fmt=fmt, via="web")
    except ApplicationError as exc:
        return HttpResponse(exc.message, status=exc.status_code, content_type="text/plain; charset=utf-8")
    response = HttpResponse(exported.content, content_type=exported.content_type)
    response["Content-Disposition"] = f'attachment; filename="{exported.filename}"'
    response["X-Report-SHA256"] = report.sha256
    return response
