"""The report as one self-contained HTML page (inline CSS and SVG, no scripts, no external resources).

With ``review`` and ``signatures`` left out the page is a pure function of the document and its sha256 (and of
this code version): the same bytes every time, which is what lets the report signature name the HTML's sha256.
"""

from django.template.loader import render_to_string

from .context import report_context

TEMPLATE = "audits/report_export.html"


def render_report_html(
    document: dict, sha256: str, *, review: dict | None = None, signatures: list[dict] | None = None
) -> str:
    """Render the export page. ``review`` ({status, submitted_by, decided_by, decided_at, entries: [{created_at or
    at, actor, action, comment}]}) and ``signatures`` ([{kind, key_id, statement_sha256, created_at}]) add an appendix
    only when given. Everything taken from the document is HTML-escaped by the template engine.
    """
    context = report_context(document, sha256, review=review, signatures=signatures)
    return render_to_string(TEMPLATE, context)
