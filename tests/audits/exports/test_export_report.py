"""export_report: one entry point for every format, refusing what it cannot vouch for."""

import json

import pytest

from audits.choices import ExportFormat
from audits.exports import export_report
from tests.audits.exports.documents import load_report


@pytest.fixture
def report():
    return load_report("encoder_probe_report.json")


def test_json_export_is_the_canonical_bytes(report):
    document, canonical, sha256 = report

    given = export_report(document, sha256, "json", canonical_json=canonical)
    derived = export_report(document, sha256, "json")

    assert given.content == derived.content == canonical.encode("utf-8")
    assert (given.content_type, given.filename) == ("application/json", f"report-{sha256[:12]}.json")


@pytest.mark.parametrize(
    ("fmt", "content_type", "suffix"),
    [
        ("model_card", "application/json", ".model-card.json"),
        ("hf_card", "text/markdown; charset=utf-8", ".README.md"),
        ("csv", "text/csv; charset=utf-8", ".csv"),
        ("html", "text/html; charset=utf-8", ".html"),
        ("html_review", "text/html; charset=utf-8", ".review.html"),
        ("pdf", "application/pdf", ".pdf"),
    ],
)
def test_each_format_has_its_content_type_and_file_name(report, fmt, content_type, suffix):
    document, _, sha256 = report

    export = export_report(document, sha256, fmt)

    assert export.content_type == content_type and export.filename == f"report-{sha256[:12]}{suffix}"
    if fmt == "pdf":
        assert export.content.startswith(b"%PDF-")
    elif fmt == "csv":
        assert export.content.startswith(b"kind,probe,attribute,")
    else:
        assert sha256.encode() in export.content


def test_dsse_export_of_one_envelope_is_one_json_line_and_needs_one(report):
    document, _, sha256 = report
    envelope = {"payloadType": "application/vnd.in-toto+json", "payload": "e30=", "signatures": []}

    export = export_report(document, sha256, "dsse", envelopes=[json.dumps(envelope, indent=2)])

    assert export.content.endswith(b"\n") and export.content.count(b"\n") == 1
    assert json.loads(export.content) == envelope  # one line: a plain JSON document too
    assert export.filename.endswith(".intoto.jsonl") and export.content_type == "application/vnd.in-toto.bundle"
    with pytest.raises(ValueError, match="signature envelope"):
        export_report(document, sha256, "dsse")
    with pytest.raises(ValueError, match="not a DSSE envelope"):
        export_report(document, sha256, "dsse", envelopes=["{}"])


def test_unknown_format_lists_the_formats(report):
    document, _, sha256 = report

    with pytest.raises(ValueError) as error:
        export_report(document, sha256, "docx")

    assert all(fmt in str(error.value) for fmt in ExportFormat.values)


def test_a_document_or_canonical_text_that_does_not_match_the_sha256_is_refused(report):
    document, canonical, sha256 = report

    with pytest.raises(ValueError, match="does not hash"):
        export_report({**document, "plan": {**document["plan"], "seed": 1}}, sha256, "html")
    with pytest.raises(ValueError, match="does not hash"):
        export_report(document, sha256, "json", canonical_json=canonical + " ")


def test_dsse_export_is_an_attestation_bundle_one_envelope_per_line(report):
    document, _, sha256 = report
    one = {"payloadType": "application/vnd.in-toto+json", "payload": "e30=", "signatures": []}
    two = {**one, "payload": "e319"}

    content = export_report(document, sha256, "dsse", envelopes=[json.dumps(one), json.dumps(two)]).content

    assert [json.loads(line) for line in content.decode().splitlines()] == [one, two]
    with pytest.raises(ValueError, match="not a DSSE envelope"):
        export_report(document, sha256, "dsse", envelopes=[json.dumps(one), "{}"])


def test_signed_bytes_are_served_as_they_are(report):
    document, _, sha256 = report
    kept = b"<html>the rendering that was signed</html>"

    export = export_report(document, sha256, "html", signed_bytes=kept, stem="audit-report-7")

    assert (export.content, export.filename) == (kept, "audit-report-7.html")


def test_a_stem_names_every_format(report):
    document, _, sha256 = report

    assert export_report(document, sha256, "csv", stem="audit-report-7").filename == "audit-report-7.csv"
