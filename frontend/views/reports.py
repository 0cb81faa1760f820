"""A report's page, its review panel (each button posts to the review service) and its export downloads."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from audits import selectors, selectors_whatif
from audits.choices import EventAction, ExportFormat, ReviewAction, ReviewStatus
from audits.exceptions import ApplicationError
from audits.exports import signed_formats
from audits.models import ReportReview
from audits.renderings.page import report_page_context
from audits.reports.memo import Memo
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
    ExportFormat.CYCLONEDX: "CycloneDX 1.6 ML-BOM (JSON)",
    ExportFormat.SPDX: "SPDX 3.0.1 AI profile (JSON-LD)",
    ExportFormat.LL144_HTML: "NYC Local Law 144 bias audit summary (HTML)",
    ExportFormat.LL144: "NYC Local Law 144 bias audit summary (JSON)",
    ExportFormat.LL144_CSV: "NYC Local Law 144 bias audit summary (CSV)",
    ExportFormat.EVIDENCE: "EU AI Act evidence pack (signed ZIP)",
}
LL144_FORMATS = (ExportFormat.LL144, ExportFormat.LL144_CSV, ExportFormat.LL144_HTML)
TRAIL_SHOWN = 100


def _report(request, pk: int):
    return get_scoped(selectors.audit_report_list(user=request.user), pk, "Report")


_UNKNOWN = object()


def _review(report) -> ReportReview | None:
    return ReportReview.objects.filter(report=report).select_related("submitted_by", "decided_by").first()


def review_panel_context(request, report, *, error: str = "", done: str = "", review=_UNKNOWN) -> dict:
    """What the review panel shows: state, entries, the buttons this user may press, or why not (`review`: the
    report's review with its submitter and decider, or None, when the caller has it already)."""
    review = _review(report) if review is _UNKNOWN else review
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


def _baseline_url(request, baseline: dict | None) -> str:
    """The page of the approved report the regressions compare with, when the user may open it."""
    if not baseline or not selectors.audit_report_list(user=request.user).filter(pk=baseline["report_id"]).exists():
        return ""
    return reverse("frontend:report-detail", args=[baseline["report_id"]])


# What the page shows from a report's document, kept per web process: a report never changes (a re-audit makes a new
# one), so its context is computed once, not at every opening (json.loads of the canonical JSON, charts, sentences).
_pages: Memo[dict] = Memo(64)


def _document_page(report) -> dict:
    """The document's part of the page (report_page_context) and what the exports and regressions need from it;
    loads the canonical JSON only when the report is not cached (the view defers it)."""

    def compute() -> dict:
        document = report.document
        return {
            "context": report_page_context(document, report.sha256),
            # Selection rates (group results) or scoring rates (a score audited without decisions) make an LL144
            # summary.
            "group_audit": bool(document.get("attributes") or (document.get("score_rates") or {}).get("by_attribute")),
            "signed": signed_formats(document),
            "baseline": (document.get("regressions") or {}).get("baseline"),
        }

    return _pages.get_or_compute((report.pk, report.sha256), compute)


def _trail(request, report, review: ReportReview | None) -> dict:
    review_id = review.pk if review is not None else None
    events = list(selectors.report_trail(user=request.user, report=report, review_id=review_id))
    shown = [e for e in events if e.action != EventAction.REPORT_VIEWED]  # views recorded before the access log
    views = len(events) - len(shown) + selectors.report_access_count(user=request.user, report=report)
    return {"trail": shown[-TRAIL_SHOWN:], "views": views}


def _exports(report, page: dict) -> list[tuple[str, str, str, bool]]:
    """(format, label, why it is not offered or "", whether the report's signature names the file): the evidence
    pack needs an approval, LL144 group results."""
    approved = getattr(getattr(report, "review", None), "status", "") == ReviewStatus.APPROVED
    exports = []
    for fmt, label in ExportFormat.choices:
        why = ""
        if fmt == ExportFormat.EVIDENCE and not approved:
            why = "available once the report is approved"
        elif fmt in LL144_FORMATS and not page["group_audit"]:
            why = "needs selection or scoring rates of groups in a dataset; this report has neither"
        exports.append((fmt, EXPORT_LABELS.get(fmt, label), why, fmt in page["signed"]))
    return exports


@login_required
def report_detail(request, pk: int):
    reports = selectors.audit_report_list(user=request.user).defer("canonical_json")
    report = get_scoped(reports.select_related("review__submitted_by", "review__decided_by"), pk, "Report")
    review = getattr(report, "review", None)  # a missing reverse one-to-one raises an AttributeError subclass
    report_record_view(user=request.user, report=report, via="web")
    page = _document_page(report)
    context = {
        **page["context"],
        "report": report,
        "exports": _exports(report, page),
        "signature_list": list(report.signatures.all()),
        "panel": review_panel_context(request, report, review=review),
        "baseline_url": _baseline_url(request, page["baseline"]),
        "whatif_evidence": selectors_whatif.whatif_evidence_list(user=request.user, report=report),
        **_trail(request, report, review),
    }
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
