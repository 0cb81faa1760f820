"""Exports of one canonical report (design.md section 7): JSON, Model Card Toolkit, Hugging Face card, CSV of
findings, the DSSE envelopes (an in-toto attestation bundle), HTML, HTML with the review appendix, PDF, a CycloneDX
1.6 ML-BOM, an SPDX 3.0.1 AI profile, the NYC LL144 bias audit summary (JSON, CSV, HTML) and the EU AI Act evidence
pack (a signed ZIP). Every format is computed from the stored document, except the formats in ``SIGNED_FORMATS``:
their bytes are named in the report's signed statement, so what is served is the stored signed bytes (the canonical
JSON, and the renderings kept at signing time), never a re-rendering.

``export_report`` is the one renderer of every format (``audits.choices.ExportFormat``); the service
``audits.services.report_exports.report_export`` feeds it a stored report and records the export in the trail.
"""

import json
from dataclasses import dataclass

from audits.canonical import canonical_dumps, sha256_hex
from audits.choices import ExportFormat
from audits.renderings.html import render_report_html

from .cyclonedx import bom_errors, cyclonedx_bom
from .findings_csv import findings_csv
from .hf_card import hf_model_card
from .ll144 import ll144_csv, ll144_html, ll144_summary
from .model_card import model_card
from .spdx import spdx_errors, spdx_jsonld

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
    ExportFormat.CYCLONEDX: "application/vnd.cyclonedx+json",
    ExportFormat.SPDX: "application/ld+json",
    ExportFormat.LL144: "application/json",
    ExportFormat.LL144_CSV: "text/csv; charset=utf-8",
    ExportFormat.LL144_HTML: "text/html; charset=utf-8",
    ExportFormat.EVIDENCE: "application/zip",
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
    ExportFormat.CYCLONEDX: ".cdx.json",
    ExportFormat.SPDX: ".spdx.json",
    ExportFormat.LL144: ".ll144.json",
    ExportFormat.LL144_CSV: ".ll144.csv",
    ExportFormat.LL144_HTML: ".ll144.html",
    ExportFormat.EVIDENCE: ".evidence.zip",
}
LL144_FORMATS = (ExportFormat.LL144, ExportFormat.LL144_CSV, ExportFormat.LL144_HTML)


def export_stem(report) -> str:
    """The file name stem of every export of a stored report (its signature names its renderings by the same
    names)."""
    return f"audit-report-{report.pk}"

# The one list of files a report's signed statement names (besides the dataset and the model): each is served byte
# for byte as signed. JSON is the stored canonical text; every other format here is rendered once when the report
# is signed and its bytes are kept (audits.models.ReportRendering). A new signed format is added here. The LL144
# summary exists only for a report with group results (signed_formats).
SIGNED_FORMATS = (
    ExportFormat.JSON,
    ExportFormat.HTML,
    ExportFormat.CYCLONEDX,
    ExportFormat.SPDX,
    *LL144_FORMATS,
)


def signed_formats(document: dict) -> tuple[str, ...]:
    """The formats of SIGNED_FORMATS this report has (no LL144 summary without group results)."""
    return tuple(f for f in SIGNED_FORMATS if f not in LL144_FORMATS or document.get("attributes"))


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


def _standard_bytes(document: dict, sha256: str, fmt: ExportFormat, stem: str) -> bytes:
    """A CycloneDX or SPDX rendering, checked against its official schema / model before it leaves."""
    report_filename = f"{stem}{SUFFIXES[ExportFormat.JSON]}"
    if fmt == ExportFormat.CYCLONEDX:
        bom = cyclonedx_bom(document, sha256, report_filename=report_filename)
        text = json.dumps(bom, indent=2, ensure_ascii=False)
        data = (text + "\n").encode("utf-8")
        errors = bom_errors(text)
    else:
        data = spdx_jsonld(document, sha256, report_filename=report_filename)
        errors = spdx_errors(data)
    if errors:
        raise ValueError(f"the {fmt} rendering is not valid: {'; '.join(errors[:3])}")
    return data


def ll144_bytes(document: dict, sha256: str, fmt: ExportFormat) -> bytes:
    """The LL144 summary as JSON, CSV or HTML: a pure function of the report (hence signable as a subject)."""
    summary = ll144_summary(document, sha256)
    if fmt == ExportFormat.LL144:
        return (json.dumps(summary, indent=2, ensure_ascii=False, sort_keys=True) + "\n").encode("utf-8")
    if fmt == ExportFormat.LL144_CSV:
        return ll144_csv(summary).encode("utf-8")
    return ll144_html(summary).encode("utf-8")


def _render(document, sha256, fmt, *, envelopes, canonical_json, review, signatures, evidence, stem) -> bytes:
    if fmt in (ExportFormat.CYCLONEDX, ExportFormat.SPDX):
        return _standard_bytes(document, sha256, fmt, stem)
    if fmt in LL144_FORMATS:
        return ll144_bytes(document, sha256, fmt)
    if fmt == ExportFormat.EVIDENCE:
        if evidence is None:
            raise ValueError("the evidence pack is assembled from the stored report, its review and its trail")
        return evidence
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
    evidence: bytes | None = None,
    stem: str = "",
) -> ExportFile:
    """One export of a report, named ``{stem}{suffix}`` (default stem ``report-<sha256 prefix>``).

    ``canonical_json`` (the stored bytes) is served as is for "json"; without it the canonical form is recomputed.
    ``envelopes`` (the signatures' envelope JSON, oldest first) make the "dsse" bundle. ``signed_bytes``, the bytes
    of this format kept when the report was signed, are served as they are. "html" is the rendering without review
    (what is signed); ``review`` and ``signatures`` add the review appendix to "html_review" and PDF. ``evidence`` is
    the pack the service assembled (audits.services.evidence_packs), served as is for "evidence". Raises ValueError
    for an unknown format, a missing envelope for "dsse", or a document or canonical text that does not hash to
    ``sha256`` (an export never claims a hash it does not carry).
    """
    fmt = export_format(fmt)
    if sha256_hex(canonical_dumps(report_document)) != sha256:
        raise ValueError("the report document does not hash to the given sha256")
    stem = stem or f"report-{sha256[:12]}"
    filename = export_filename(fmt, stem)
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
        stem=stem,
        evidence=evidence,
    )
    return ExportFile(content, MEDIA_TYPES[fmt], filename)


def export_filename(fmt: str, stem: str) -> str:
    """The file name an export is served under; a signed subject carries the same name, so `sha256sum -c` on the
    downloaded files checks them against the statement."""
    return f"{stem}{SUFFIXES[export_format(fmt)]}"
