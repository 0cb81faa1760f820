"""User-stated checks in the report: the schema takes the section, HTML and PDF show each check with its sentence,
the findings CSV has a row per check, and a check that passed in the approved report and fails now is a
regression with its own sentence."""

import copy
import csv
import io
from dataclasses import asdict

import numpy as np
from pypdf import PdfReader

from audits.exports.findings_csv import findings_csv
from audits.renderings import render_report_html, render_report_pdf
from audits.reports.checks import checks_section
from audits.reports.regressions import RegressionRules, regressions_between
from audits.reports.schema import report_errors
from explainers.metrics.checks import evaluate_rate_check, parse_check
from explainers.metrics.counts import CountTable
from tests.audits.exports.documents import load_report

CHECK = "selection_rate(sex=female) >= selection_rate(sex=male) - 0.05"


def _with_check(document: dict, female_favourable: int) -> dict:
    cells = np.zeros((2, 2, 2), dtype=np.int64)
    cells[0, 0, 1], cells[0, 0, 0] = female_favourable, 1000 - female_favourable
    cells[1, 0, 1], cells[1, 0, 0] = 700, 300
    table = CountTable(groups=("female", "male"), cells=cells, has_outcome=False)
    settings = {"n_boot": 500, "seed": 1, "alpha": 0.05, "min_group_size": 30, "min_denominator": 10}
    result = evaluate_rate_check(parse_check(CHECK), table, **settings)
    document = copy.deepcopy(document)
    document["checks"] = checks_section([{"index": 0, **asdict(result), "n_boot": 500, "seed": 1, "alpha": 0.05}])
    return document


def test_the_section_is_valid_and_rendered_in_html_pdf_and_csv():
    base, _, sha256 = load_report("tabular_probe_report.json")
    document = _with_check(base, female_favourable=450)
    assert report_errors(document) == [] and document["checks"]["verdicts"] == {"fail": 1}

    html = render_report_html(document, sha256)
    section = html.split('<section class="checks"')[1].split("</section>")[0]
    assert "Checks stated in the plan" in section and "is violated" in section and "v-fail" in section
    assert CHECK.replace(">", "&gt;") in section

    pdf = " ".join(
        " ".join((p.extract_text() or "").split())
        for p in PdfReader(io.BytesIO(render_report_pdf(document, sha256))).pages
    )
    assert "Checks stated in the plan" in pdf and "is violated" in pdf

    (row,) = [r for r in csv.DictReader(io.StringIO(findings_csv(document), newline="")) if r["kind"] == "check"]
    item = document["checks"]["items"][0]
    assert row["metric"] == CHECK and row["verdict"] == "fail" and float(row["value"]) == item["margin"]
    assert [float(row["ci_low"]), float(row["ci_high"])] == [item["ci_low"], item["ci_high"]]


def test_a_check_that_passed_in_the_approved_report_and_fails_now_is_a_regression():
    base, _, sha256 = load_report("tabular_probe_report.json")
    approved, now = _with_check(base, female_favourable=740), _with_check(base, female_favourable=450)
    assert approved["checks"]["items"][0]["verdict"] == "pass"
    rules = RegressionRules(tolerance=0.05, n_boot=200, alpha=0.05, min_group_size=30, min_denominator=10)

    section = regressions_between(now, approved, baseline_id=3, baseline_sha256="a" * 64, rules=rules)

    (item,) = [i for i in section["items"] if i["kind"] == "check_failure"]
    assert (item["metric"], item["before"], item["after"]) == (CHECK, "pass", "fail")
    assert item["sentence"] == f"The check “{CHECK}” fails now; in approved report #3 it passed."
    now["regressions"] = section
    assert report_errors(now) == []
    assert "Check fails" in render_report_html(now, sha256)
