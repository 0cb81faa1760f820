"""Exports of one canonical report (design.md section 7): JSON, Model Card Toolkit, Hugging Face card, CSV of
findings, the DSSE envelope, HTML and PDF. Every format is computed from the stored document; none is stored.
"""

import json
from dataclasses import dataclass

from audits.canonical import canonical_dumps, sha256_hex

from .findings_csv import findings_csv
from .hf_card import hf_model_card
from .model_card import model_card

FORMATS = ("json", "model_card", "hf_card", "csv", "dsse", "html", "pdf")


@dataclass(frozen=True)
class ExportFile:
    content: bytes
    content_type: str
    filename: str


def _json_bytes(document: dict, sha256: str, canonical_json: str | None) -> bytes:
    text = canonical_json if canonical_json is not None else canonical_dumps(document)
    data = text.encode("utf-8")
    if sha256_hex(data) != sha256:
        raise ValueError("the canonical JSON does not hash to the report's sha256")
    return data


def _dsse_bytes(envelope_json: str | None) -> bytes:
    if envelope_json is None:
        raise ValueError("the dsse export needs the report's signature envelope (the report is not signed yet)")
    envelope = json.loads(envelope_json)
    if not {"payloadType", "payload", "signatures"} <= set(envelope):
        raise ValueError("not a DSSE envelope: payloadType, payload and signatures are required")
    return envelope_json.encode("utf-8")


def export_report(
    report_document: dict,
    sha256: str,
    fmt: str,
    *,
    envelope_json: str | None = None,
    canonical_json: str | None = None,
) -> ExportFile:
    """One export of a report. ``canonical_json`` (the stored bytes) is served as is for "json"; without it the
    canonical form is recomputed. Raises ValueError for an unknown format, a missing envelope for "dsse", or a
    document or canonical text that does not hash to ``sha256`` (an export never claims a hash it does not carry).
    """
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r}; formats: {', '.join(FORMATS)}")
    if sha256_hex(canonical_dumps(report_document)) != sha256:
        raise ValueError("the report document does not hash to the given sha256")
    stem = f"report-{sha256[:12]}"
    if fmt == "json":
        data = _json_bytes(report_document, sha256, canonical_json)
        return ExportFile(data, "application/json", f"{stem}.json")
    if fmt == "model_card":
        text = json.dumps(model_card(report_document, sha256), indent=2, ensure_ascii=False) + "\n"
        return ExportFile(text.encode("utf-8"), "application/json", f"{stem}.model-card.json")
    if fmt == "hf_card":
        data = hf_model_card(report_document, sha256).encode("utf-8")
        return ExportFile(data, "text/markdown; charset=utf-8", f"{stem}.README.md")
    if fmt == "csv":
        return ExportFile(findings_csv(report_document).encode("utf-8"), "text/csv; charset=utf-8", f"{stem}.csv")
    if fmt == "dsse":
        return ExportFile(_dsse_bytes(envelope_json), "application/json", f"{stem}.dsse.json")
    if fmt == "html":
        from audits.renderings.html import render_report_html

        html = render_report_html(report_document, sha256)
        return ExportFile(html.encode("utf-8"), "text/html; charset=utf-8", f"{stem}.html")
    from audits.renderings.pdf import render_report_pdf  # WeasyPrint loads only when a PDF is asked for

    return ExportFile(render_report_pdf(report_document, sha256), "application/pdf", f"{stem}.pdf")
