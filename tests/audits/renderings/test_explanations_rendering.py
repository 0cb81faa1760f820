"""The explanation sections (issue 16) in the HTML and PDF renderings and the findings CSV of a stored report."""

import csv
import io
import re

from pypdf import PdfReader

from audits.exports.findings_csv import findings_csv
from audits.renderings.context_explanations import attention_heatmap
from audits.renderings.html import render_report_html
from audits.renderings.pdf import render_report_pdf
from tests.audits.exports.documents import load_report


def test_html_and_pdf_show_the_clusters_the_heatmap_the_caveat_and_the_cost():
    document, _, sha256 = load_report("explanations_report.json")
    html = render_report_html(document, sha256)
    clusters = document["global_explanations"]["text"]["clusters"]["clusters"]
    assert html.count('verdict v-fail">flagged') == sum(c["flagged"] for c in clusters)
    assert not re.search(r"<(script|link|img|iframe|object)\b", html, re.IGNORECASE)
    cost = document["global_explanations"]["cost"]
    assert f"{cost['seconds_per_1000']:.2f} s per 1,000 examples" in html

    pages = " ".join(" ".join((p.extract_text() or "").split()) for p in PdfReader(io.BytesIO(
        render_report_pdf(document, sha256))).pages)  # fmt: skip
    assert "Global explanations" in pages and "Attention is not an explanation by itself" in pages
    assert "Explanation quality" in pages and "integrated gradients vs occlusion" in pages


def test_the_heatmap_has_a_cell_per_layer_and_head_with_its_value_and_escapes_its_title():
    svg = attention_heatmap([[0.1, 0.9], [0.25, 0.0], [1.0, 0.5]], 'share <of> "attention"')
    assert svg.count("<rect") == 6 and ">0.90<" in svg and "layer 3, head 1: 1.000" in svg
    assert "&lt;of&gt;" in svg and "<of>" not in svg


def test_the_csv_has_a_row_per_cluster_and_per_method_with_their_numbers():
    document, _, _ = load_report("explanations_report.json")
    rows = list(csv.DictReader(io.StringIO(findings_csv(document))))
    clusters = [r for r in rows if r["kind"] == "global.cluster"]
    expected = document["global_explanations"]["text"]["clusters"]["clusters"]
    assert len(clusters) == len(expected)
    assert [float(r["value"]) for r in clusters] == [c["difference"] for c in expected]
    stability = {r["probe"]: r for r in rows if r["kind"] == "quality.stability"}
    for entry in document["explanation_quality"]["text"]["stability"]:
        assert float(stability[entry["method"]]["value"]) == entry["overall"]["mean_spearman"]
    (cost,) = [r for r in rows if r["kind"] == "quality.cost"]
    assert float(cost["value"]) == document["explanation_quality"]["cost"]["seconds_per_1000"]
