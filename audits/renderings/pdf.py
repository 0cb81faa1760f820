"""The report as PDF: the export HTML laid out by WeasyPrint for A4 (page numbers and the report sha256 in the
footer of every page, from the template's print CSS).

Reproducible as far as WeasyPrint allows: the PDF dates come from the report's finished_at (the template's
dcterms meta tags), the file identifier from the report sha256, and the embedded font subsets carry the same
timestamp (fontTools, WeasyPrint's subsetter when HarfBuzz-subset is missing, stamps fonts with the time unless
SOURCE_DATE_EPOCH is set). No resource is fetched: the page is self-contained and the URL fetcher refuses every
scheme, so nothing in a document can make the renderer read the network or the disk.
"""

import os
import threading
from contextlib import contextmanager
from datetime import datetime

from weasyprint import HTML
from weasyprint.urls import URLFetcher

from .html import render_report_html

_ENVIRONMENT_LOCK = threading.Lock()


@contextmanager
def _source_date_epoch(timestamp: str):
    """SOURCE_DATE_EPOCH (reproducible-builds.org) set to the report's finish time while a PDF is written."""
    epoch = str(int(datetime.fromisoformat(timestamp).timestamp()))
    with _ENVIRONMENT_LOCK:
        previous = os.environ.get("SOURCE_DATE_EPOCH")
        os.environ["SOURCE_DATE_EPOCH"] = epoch
        try:
            yield
        finally:
            if previous is None:
                del os.environ["SOURCE_DATE_EPOCH"]
            else:
                os.environ["SOURCE_DATE_EPOCH"] = previous


def render_report_pdf(
    document: dict, sha256: str, *, review: dict | None = None, signatures: list[dict] | None = None
) -> bytes:
    """PDF bytes of the export page; same arguments as ``render_report_html``."""
    html = render_report_html(document, sha256, review=review, signatures=signatures)
    page = HTML(string=html, url_fetcher=URLFetcher(allowed_protocols=()))
    with _source_date_epoch(document["provenance"]["finished_at"]):
        return page.write_pdf(pdf_identifier=sha256[:32].encode("ascii"))
