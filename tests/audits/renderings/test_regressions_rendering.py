"""The regressions section in the HTML and PDF exports and the findings CSV: every item with its sentence and
numbers; nothing at all for a report without a section (so the bytes of earlier reports do not change)."""

import csv
import io

from pypdf import PdfReader

from audits.exports.findings_csv import COLUMNS, findings_csv
from audits.renderings import render_report_html, render_report_pdf
from tests.audits.exports.documents import load_report
from tests.audits.reports.regression_documents import BASELINE_ID, BASELINE_SHA256, report_with_regressions


def test_html_shows_each_regression_with_its_sentence_and_interval():
    document, sha256 = report_with_regressions()

    html = render_report_html(document, sha256)

    section = html.split('<section class="regressions"')[1].split("</section>")[0]
    assert f"Regressions since approved report #{BASELINE_ID}" in section and BASELINE_SHA256 in section
    for item in document["regressions"]["items"]:
        assert item["sentence"].replace("'", "&#x27;") in section
    assert "[-0.260, -0.121]" in section and "Probe fails" in section and "inconclusive" in section
    assert section.count('<tr class="regression ') == len(document["regressions"]["items"]) == 6


def test_a_report_without_a_section_renders_as_before():
    document, _, sha256 = load_report("tabular_probe_report.json")

    html = render_report_html(document, sha256)

    assert "regressions" not in html.lower() and "Regressions:" not in html


def test_pdf_reads_the_regressions_too():
    document, sha256 = report_with_regressions()

    text = " ".join(
        " ".join((p.extract_text() or "").split())
        for p in PdfReader(io.BytesIO(render_report_pdf(document, sha256))).pages
    )

    assert f"Regressions since approved report #{BASELINE_ID}" in text
    assert "6 regressions since approved report" in text


def test_csv_has_one_row_per_regression_with_before_after_and_the_difference():
    document, _ = report_with_regressions()

    rows = list(csv.DictReader(io.StringIO(findings_csv(document), newline="")))

    regressions = [r for r in rows if r["kind"].startswith("regression.")]
    assert tuple(rows[0].keys()) == COLUMNS and len(regressions) == 6
    move = next(r for r in regressions if r["metric"] == "statistical_parity_difference")
    item = next(i for i in document["regressions"]["items"] if i["metric"] == "statistical_parity_difference")
    assert move["kind"] == "regression.metric_move" and (move["attribute"], move["group"]) == ("sex", "female")
    assert float(move["value"]) == item["difference"] and float(move["before"]) == item["before"]
    assert [float(move["ci_low"]), float(move["ci_high"])] == item["interval"]
    probe = next(r for r in regressions if r["kind"] == "regression.probe_failure")
    assert (probe["probe"], probe["before"], probe["after"], probe["verdict"]) == (
        "tabular_counterfactual",
        "pass",
        "fail",
        "fail",
    )
