"""The HTML and PDF renderings show the report's numbers, carry its sha256, and are self-contained and repeatable."""

import copy
import io
import re
from html.parser import HTMLParser

import pytest
from django.utils.html import escape
from pypdf import PdfReader

from audits.renderings.formatting import fmt_interval, fmt_number, fmt_p
from audits.renderings.html import render_report_html
from audits.renderings.pdf import render_report_pdf
from audits.reports.notes import PROTECTED_SHARE, VERDICT_AND_P, verdict_note
from audits.reports.sentences import verdict_word
from tests.audits.exports.documents import load_report


class _ResultRows(HTMLParser):
    """The cell texts of every verdict-table row (tr.result), in page order."""

    def __init__(self):
        super().__init__()
        self.rows: list[list[str]] = []
        self._row: list[str] | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "tr":
            self._row = [] if ("class", "result") in attrs else None
        elif tag == "td" and self._row is not None:
            self._cell = []

    def handle_endtag(self, tag):
        if tag == "td" and self._cell is not None:
            self._row.append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self.rows.append(self._row)
            self._row = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def _result_rows(html: str) -> list[list[str]]:
    parser = _ResultRows()
    parser.feed(html)
    return parser.rows


def _pdf_pages(pdf: bytes) -> list[str]:
    return [" ".join((page.extract_text() or "").split()) for page in PdfReader(io.BytesIO(pdf)).pages]


def test_html_verdict_tables_show_every_result_of_the_report(any_report):
    document, _, sha256 = any_report

    rows = _result_rows(render_report_html(document, sha256))

    assert len(rows) == len(document["results"])
    for cells, result in zip(rows, document["results"], strict=True):
        if "verdict_error_control" in document["plan"]:  # the interval that decided the verdict, beside the other
            metric, group, value, interval, adjusted, _band, n, p_holm, verdict = cells
            low, high = result.get("adjusted_ci_low"), result.get("adjusted_ci_high")
            assert adjusted == (fmt_interval(low, high) if low is not None else "= per comparison")
        else:
            metric, group, value, interval, _band, n, p_holm, verdict = cells
        assert metric.startswith(result["metric"]) and group == result["group"]
        assert value == fmt_number(result["value"])
        assert interval == fmt_interval(result["ci_low"], result["ci_high"])
        assert n == f"{result['n_group']} / {result['n_reference']}"
        assert p_holm == fmt_p(result["p_value_holm"])
        assert verdict.startswith(verdict_word(result["verdict"]))  # written as words: "insufficient data"


def test_html_carries_the_report_sha256_and_identifies_the_model_and_dataset(any_report):
    document, _, sha256 = any_report

    html = render_report_html(document, sha256)

    assert f'<code class="report-sha">{sha256}</code>' in html
    assert document["subject"]["model"]["sha256"] in html
    if document["subject"]["dataset"]:
        assert document["subject"]["dataset"]["sha256"] in html


def test_html_is_self_contained(any_report):
    document, _, sha256 = any_report

    html = render_report_html(document, sha256)

    assert not re.search(r"https?://", html)
    assert not re.search(r"<(script|link|img|iframe|object)\b|\b(src|href)\s*=|url\(|@import", html, re.IGNORECASE)
    assert html.count("<svg") >= len([a for a in document["attributes"]])


def test_html_without_review_is_the_same_bytes_every_time(any_report):
    document, _, sha256 = any_report

    first = render_report_html(document, sha256)
    render_report_html(load_report("text_probe_report.json")[0], sha256)
    second = render_report_html(copy.deepcopy(document), sha256)

    assert first == second


def test_review_and_signatures_appear_only_when_given():
    document, _, sha256 = load_report("encoder_probe_report.json")
    review = {
        "status": "approved",
        "submitted_by": "alice-auditor",
        "decided_by": "rita-reviewer",
        "decided_at": "2026-11-23T09:00:00+00:00",
        "entries": [{"at": "2026-11-23T09:00:00+00:00", "actor": "rita-reviewer", "action": "approve",
                     "comment": "ok <b>bold</b>"}],
    }  # fmt: skip
    signatures = [{"kind": "approval", "key_id": "k1", "statement_sha256": "ab" * 32, "created_at": "2026-11-23"}]

    plain = render_report_html(document, sha256)
    appended = render_report_html(document, sha256, review=review, signatures=signatures)

    assert "<h2>Review</h2>" not in plain and "<h2>Signatures</h2>" not in plain
    assert "<h2>Review</h2>" in appended and "rita-reviewer" in appended and "ab" * 32 in appended
    assert (
        "<td>2026-11-23T09:00:00+00:00</td><td>rita-reviewer</td><td>approve</td><td>ok &lt;b&gt;bold&lt;/b&gt;</td>"
        in appended
    )


def test_labels_from_the_data_are_escaped_everywhere(compas_report):
    document, _, sha256 = compas_report
    document = copy.deepcopy(document)
    hostile = '<script>alert("x")</script>'
    document["attributes"][0]["groups"][0]["group"] = hostile
    document["results"][0]["group"] = hostile

    html = render_report_html(document, sha256)

    assert "<script" not in html
    assert html.count("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;") >= 3  # group table, verdict table, chart


def test_attribution_tokens_are_shaded_by_signed_weight_and_protected_words_marked():
    document, _, sha256 = load_report("text_probe_report.json")
    example = document["attributions"][0]["rendered"][0]

    html = render_report_html(document, sha256)

    scale = max(abs(w) for _, w, _ in example["text_tokens"] + example["counterfactual_tokens"])
    for word, weight, protected in example["text_tokens"]:
        colour = "33, 102, 172" if weight >= 0 else "178, 24, 43"
        css = f"background-color: rgba({colour}, {min(abs(weight) / scale, 1) * 0.8:.2f})"
        marked = "tok protected" if protected else "tok"
        assert f'<span class="{marked}" style="{css}" title="{weight:+.4f}">{word}</span>' in html


def test_every_verdict_table_says_how_its_verdict_and_its_holm_p_differ(compas_report):
    document, _, sha256 = compas_report

    html = render_report_html(document, sha256)

    tables = html.count('<table class="results">')
    note = verdict_note(document)
    assert tables >= 3 and html.count(escape(note)) == tables
    assert "verdict interval with the band" in note and "Holm-adjusted across every comparison" in note
    assert "simultaneous over every comparison of the audit" in note  # the default rule, familywise
    assert "a fail is never reported where the rule's adjusted test finds no evidence" in note
    # A report made before verdicts held as a family keeps the note that warned of a fail beside a large p.
    older = {**document, "plan": {k: v for k, v in document["plan"].items() if k != "verdict_error_control"}}
    assert verdict_note(older) == VERDICT_AND_P and "Holm-adjusted across every comparison" in VERDICT_AND_P
    # A plan that chose per-comparison verdicts is told that a fail can stand beside a large p (Holm).
    chosen = verdict_note({**document, "plan": {**document["plan"], "verdict_error_control": "per_comparison"}})
    assert "a fail can stand beside a large p" in chosen and "verdict_error_control = per_comparison" in chosen


def test_a_protected_share_above_one_is_explained_beside_it():
    document, _, sha256 = load_report("text_probe_report.json")
    shares = [row["mean_protected_share_neutral"] for a in document["attributions"] for row in a["summaries"]]
    assert max(s for s in shares if s is not None) > 1  # the fixture shows what needs explaining

    html = render_report_html(document, sha256)

    assert html.count(escape(PROTECTED_SHARE)) == len(document["attributions"])
    assert "exceed 1" in PROTECTED_SHARE and "context words push the other way" in PROTECTED_SHARE


@pytest.mark.parametrize("name", ["compas", "text_probe_report.json", "language_model_probe_report.json"])
def test_pdf_shows_the_same_numbers_and_the_sha256_on_every_page(name, request):
    if name == "compas":
        document, _, sha256 = request.getfixturevalue("compas_report")
    else:
        document, _, sha256 = load_report(name)

    pages = _pdf_pages(render_report_pdf(document, sha256))

    text = " ".join(pages)
    assert all(sha256 in page for page in pages), "the footer carries the report sha256 on every page"
    assert pages[-1].endswith(f"Page {len(pages)} of {len(pages)}")
    for result in document["results"]:
        assert fmt_number(result["value"]) in text
        if result["ci_low"] is not None:
            assert fmt_interval(result["ci_low"], result["ci_high"]).replace(" ", "") in text.replace(" ", "")
    for probe in document["probes"]:
        assert probe["verdict"] in text


def test_pdf_is_reproducible_a4_and_dated_by_the_report():
    document, _, sha256 = load_report("tabular_probe_report.json")

    first = render_report_pdf(document, sha256)
    second = render_report_pdf(copy.deepcopy(document), sha256)

    assert first == second
    reader = PdfReader(io.BytesIO(first))
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (595, 842)
    finished = re.sub(r"[-T:]", "", document["provenance"]["finished_at"][:19])
    assert reader.metadata["/CreationDate"].startswith(f"D:{finished}")
    assert sha256 in reader.metadata["/Subject"]


def test_the_proxy_share_is_shown_with_the_rule_that_defines_it():
    document, _, sha256 = load_report("tabular_probe_report.json")
    entry = document["attributions"][0]
    entry["proxy_rule"] = {"alpha": 0.05, "min_association": 0.3}
    for index, proxy in enumerate(entry["proxies"]):
        proxy["is_proxy"] = index == 0
    entry["proxy_share"] = 0.61234

    text = " ".join(render_report_html(document, sha256).split())

    assert f"Proxy share {fmt_number(0.61234)} (proxies: {entry['proxies'][0]['feature']})" in text
    assert "Holm-adjusted p &lt; 0.05" in text and "at least 0.3 strong" in text
