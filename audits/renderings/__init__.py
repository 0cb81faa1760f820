"""Human-readable renderings of a canonical report: self-contained HTML, and PDF from the same HTML.

``render_report_pdf`` is imported lazily, so importing this package never loads WeasyPrint (or its system
libraries) for callers that only need HTML or the number formatter.
"""

from .html import render_report_html

__all__ = ["render_report_html", "render_report_pdf"]


def __getattr__(name: str):
    if name == "render_report_pdf":
        from .pdf import render_report_pdf  # WeasyPrint loads only when a PDF is asked for

        return render_report_pdf
    raise AttributeError(name)
