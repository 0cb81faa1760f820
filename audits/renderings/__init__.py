"""Human-readable renderings of a canonical report: self-contained HTML, and PDF from the same HTML.

``render_report_html`` and ``render_report_pdf`` are imported lazily, so importing this package never loads
WeasyPrint (or its system libraries) for callers that only need HTML or the number formatter.
"""


def __getattr__(name: str):
    if name == "render_report_html":
        from .html import render_report_html

        return render_report_html
    if name == "render_report_pdf":
        from .pdf import render_report_pdf

        return render_report_pdf
    raise AttributeError(name)
