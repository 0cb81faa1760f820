"""A report's page, its review panel (each button posts to the review service) and its export downloads."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from audits import selectors
from audits.choices import EventAction, ExportFormat, ReviewAction
from audits.exceptions import ApplicationError
from audits.exports import SIGNED_FORMATS
from audits.models import ReportReview
from audits.renderings.page import report_page_context
from audits.services import reviews
from audits.services.report_exports import report_export
from audits.services.reports import report_record_view

from ._common import get_scoped

# The label of each review button (the names the issue asks for) and of each export link.
REVIEW_BUTTONS = {
    ReviewAction.SUBMIT: "Submit for review",
    ReviewAction.START: "Start review",
    ReviewAction.APPROVE: "Approve",
    ReviewAction.REQUEST_CHANGES: "Request changes",
    ReviewAction.REJECT: "Reject",
    ReviewAction.COMMENT: "Add comment",
}
EXPORT_LABELS = {
    ExportFormat.PDF: "PDF report (with the review)",
    ExportFormat.HTML: "HTML report (self-contained, as signed)",
    ExportFormat.HTML_REVIEW: "HTML report with the review (self-contained)",
    ExportFormat.JSON: "Canonical JSON (the signed record)",
    ExportFormat.CSV: "Findings table (CSV)",
    ExportFormat.MODEL_CARD: "Model Card Toolkit (JSON)",
    ExportFormat.HF_CARD: "Hugging Face model card (Markdown)",
    ExportFormat.DSSE: "Signatures (in-toto bundle of DSSE envelopes)",
}
TRAIL_SHOWN = 100


def _report(request, pk: int):
    return get_scoped(selectors.audit_report_list(user=request.user), pk, "Report")


def _review(report) -> ReportReview | None:
    return ReportReview.objects.filter(report=report).select_related("submitted_by", "decided_by").first()


def review_panel_context(request, report, *, error: str = "", done: str = "") -> dict:
    """What the review panel shows: state, entries, the buttons this user may press, or why not."""
    review = _review(report)
    options = reviews.review_allowed_actions(user=request.user, report=report)
    decisions = [(a, REVIEW_BUTTONS[a]) for a in options.actions if a in reviews.DECISIONS]
    return {
        "report": report,
        "review": review,
        "entries": review.entries.select_related("actor") if review else [],
        "can_submit": ReviewAction.SUBMIT in options.actions,
        "can_start": ReviewAction.START in options.actions,
        "decisions": decisions,
        "can_comment": ReviewAction.COMMENT in options.actions,
        "reason": options.reason,
        "error": error,
        "done": done,
    }


def _trail(request, report) -> dict:
    events = list(selectors.report_trail(user=request.user, report=report))
    shown = [e for e in events if e.action != EventAction.REPORT_VIEWED]
    return {"trail": shown[-TRAIL_SHOWN:], "views": len(events) - len(shown)}


@login_required
def report_detail(request, pk: int):
    report = _report(request, pk)
    report_record_view(user=request.user, report=report, via="web")
    context = report_page_context(report.document, report.sha256)
    context.update(
        report=report,
        doc=report.document,
        exports=[(fmt, EXPORT_LABELS.get(fmt, label), fmt in SIGNED_FORMATS) for fmt, label in ExportFormat.choices],
        signature_list=list(report.signatures.all()),
        panel=review_panel_context(request, report),
        **_trail(request, report),
    )
    return render(request, "frontend/reports/detail.html", context)


def _review_step(request, report, action: str) -> str:
    """Call the review service for `action`; returns what was done (raises ApplicationError when refused)."""
    comment = request.POST.get("comment", "")
    if action == ReviewAction.SUBMIT:
        reviews.review_submit(user=request.user, report=report, comment=comment)
        return "Submitted for review."
    review = _review(report)
    if review is None:
        raise ApplicationError("This report has not been submitted for review.")
    if action == ReviewAction.START:
        reviews.review_start(user=request.user, review=review)
        return "Review started: approve, reject or request changes when you have read the report."
    if action == ReviewAction.COMMENT:
        reviews.review_comment(user=request.user, review=review, comment=comment)
        return "Comment added."
    reviews.review_decide(user=request.user, review=review, decision=action, comment=comment)
    return "Approved: recorded and signed." if action == ReviewAction.APPROVE else "Decision recorded."


@login_required
@require_POST
def report_review(request, pk: int, action: str):
    """One review step from the panel. HTMX gets the panel back (with the service's message when it refuses);
    a plain form post is redirected to the report page with the message (POST-redirect-GET)."""
    report = _report(request, pk)
    error = done = ""
    if action not in REVIEW_BUTTONS:
        error = f"Unknown review step '{action}'."
    else:
        try:
            done = _review_step(request, report, action)
        except ApplicationError as exc:  # PermissionDeniedError included: shown in the panel, never a 500
            error = exc.message
    if request.htmx:
        context = review_panel_context(request, report, error=error, done=done)
        return render(request, "frontend/reports/_review_panel.html", context)
    if error:
        messages.error(request, error)
    else:
        messages.success(request, done)
    return redirect(reverse("frontend:report-detail", args=[report.pk]) + "#review")


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
