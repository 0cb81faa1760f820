"""Exports of one canonical report (design.md section 7): JSON, Model Card Toolkit, Hugging Face card, CSV of
findings, the DSSE envelopes (an in-toto attestation bundle), HTML, HTML with the review appendix, and PDF. Every
format is computed from the stored document, except the formats in ``SIGNED_FORMATS``: their bytes are named in the
report's signed statement, so what is served is the stored signed bytes (the canonical JSON, and the HTML rendering
kept at signing time), never a re-rendering.

``export_report`` is the one renderer of every format (``audits.choices.ExportFormat``); the service
``audits.services.report_exports.report_export`` feeds it a stored report and records the export in the trail.
"""

import json
from dataclasses import dataclass

from audits.canonical import canonical_dumps, sha256_hex
from audits.choices import ExportFormat
from audits.renderings.html import render_report_html

from .findings_csv import findings_csv
from .hf_card import hf_model_card
from .model_card import model_card

MEDIA_TYPES = {
    ExportFormat.JSON: "application/json",
    ExportFormat.MODEL_CARD: "application/json",
    ExportFormat.HF_CARD: "text/markdown; charset=utf-8",
    ExportFormat.CSV: "text/csv; charset=utf-8",
    # in-toto attestation bundle (https://github.com/in-toto/attestation/blob/main/spec/v1/bundle.md): JSON Lines,
    # one DSSE envelope per line.
    ExportFormat.DSSE: "application/vnd.in-toto.bundle",
    ExportFormat.HTML: "text/html; charset=utf-8",
    ExportFormat.HTML_REVIEW: "text/html; charset=utf-8",
    ExportFormat.PDF: "application/pdf",
}
SUFFIXES = {
    ExportFormat.JSON: ".json",
    ExportFormat.MODEL_CARD: ".model-card.json",
    ExportFormat.HF_CARD: ".README.md",
    ExportFormat.CSV: ".csv",
    ExportFormat.DSSE: ".intoto.jsonl",
    ExportFormat.HTML: ".html",
    ExportFormat.HTML_REVIEW: ".review.html",
    ExportFormat.PDF: ".pdf",
}

# The one list of files a report's signed statement names (besides the dataset and the model): each is served byte
# for byte as signed. JSON is the stored canonical text; every other format here is rendered once when the report
# is signed and its bytes are kept (audits.models.ReportRendering). A new signed format is added here.
SIGNED_FORMATS = (ExportFormat.JSON, ExportFormat.HTML)


@dataclass(frozen=True)
class ExportFile:
    content: bytes
    content_type: str
    filename: str


def export_format(value: str) -> ExportFormat:
    """The ExportFormat named by `value`; ValueError listing every format otherwise."""
    try:
        return ExportFormat(value)
    except ValueError:
        raise ValueError(f"unknown export format {value!r}; formats: {', '.join(ExportFormat.values)}") from None


def _json_bytes(document: dict, sha256: str, canonical_json: str | None) -> bytes:
    text = canonical_json if canonical_json is not None else canonical_dumps(document)
    data = text.encode("utf-8")
    if sha256_hex(data) != sha256:
        raise ValueError("the canonical JSON does not hash to the report's sha256")
    return data


def _is_envelope(value) -> bool:
    return isinstance(value, dict) and {"payloadType", "payload", "signatures"} <= set(value)


def dsse_bundle(envelopes_json: list[str]) -> bytes:
    """An in-toto attestation bundle: one DSSE envelope per line (JSON Lines, compact JSON, each line ending in a
    newline), the report's envelope first, then the review decisions'. A bundle of one envelope is also a plain JSON
    document of that envelope. Raises ValueError when there is no envelope or a line is not one."""
    if not envelopes_json:
        raise ValueError("the dsse export needs the report's signature envelope (the report is not signed yet)")
    lines = []
    for text in envelopes_json:
        envelope = json.loads(text)
        if not _is_envelope(envelope):
            raise ValueError("not a DSSE envelope: payloadType, payload and signatures are required")
        lines.append(canonical_dumps(envelope) + "\n")
    return "".join(lines).encode("utf-8")


def _render(document, sha256, fmt, *, envelopes, canonical_json, review, signatures) -> bytes:
    if fmt == ExportFormat.JSON:
        return _json_bytes(document, sha256, canonical_json)
    if fmt == ExportFormat.MODEL_CARD:
        return (json.dumps(model_card(document, sha256), indent=2, ensure_ascii=False) + "\n").encode("utf-8")
    if fmt == ExportFormat.HF_CARD:
        return hf_model_card(document, sha256).encode("utf-8")
    if fmt == ExportFormat.CSV:
        return findings_csv(document).encode("utf-8")
    if fmt == ExportFormat.DSSE:
        return dsse_bundle(envelopes or [])
    if fmt == ExportFormat.HTML:
        return render_report_html(document, sha256).encode("utf-8")
    if fmt == ExportFormat.HTML_REVIEW:
        return render_report_html(document, sha256, review=review, signatures=signatures).encode("utf-8")
    from audits.renderings.pdf import render_report_pdf  # WeasyPrint loads only when a PDF is asked for

    return render_report_pdf(document, sha256, review=review, signatures=signatures)


def export_report(
    report_document: dict,
    sha256: str,
    fmt: str,
    *,
    envelopes: list[str] | None = None,
    canonical_json: str | None = None,
    signed_bytes: bytes | None = None,
    review: dict | None = None,
    signatures: list[dict] | None = None,
    stem: str = "",
) -> ExportFile:
    """One export of a report, named ``{stem}{suffix}`` (default stem ``report-<sha256 prefix>``).

    ``canonical_json`` (the stored bytes) is served as is for "json"; without it the canonical form is recomputed.
    ``envelopes`` (the signatures' envelope JSON, oldest first) make the "dsse" bundle. ``signed_bytes``, the bytes
    of this format kept when the report was signed, are served as they are. "html" is the rendering without review
    (what is signed); ``review`` and ``signatures`` add the review appendix to "html_review" and PDF. Raises
    ValueError for an unknown format, a missing envelope for "dsse", or a document or canonical text that does not
    hash to ``sha256`` (an export never claims a hash it does not carry).
    """
    fmt = export_format(fmt)
    if sha256_hex(canonical_dumps(report_document)) != sha256:
        raise ValueError("the report document does not hash to the given sha256")
    filename = export_filename(fmt, stem or f"report-{sha256[:12]}")
    if signed_bytes is not None:
        return ExportFile(signed_bytes, MEDIA_TYPES[fmt], filename)
    content = _render(
        report_document,
        sha256,
        fmt,
        envelopes=envelopes,
        canonical_json=canonical_json,
        review=review,
        signatures=signatures,
    )
    return ExportFile(content, MEDIA_TYPES[fmt], filename)


def export_filename(fmt: str, stem: str) -> str:
    """The file name an export is served under; a signed subject carries the same name, so `sha256sum -c` on the
    downloaded files checks them against the statement."""
    return f"{stem}{SUFFIXES[export_format(fmt)]}"
