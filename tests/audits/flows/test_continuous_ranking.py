"""Continuous-score and ranking audits through the API, end to end (eager tasks): report sections, the schema,
renderings and exports carry them; an audit without a binary decision says which metrics are not computable."""

import csv
import io

import numpy as np
import pandas as pd
import pytest
from pypdf import PdfReader
from scipy import stats

from audits.exports.findings_csv import findings_csv
from audits.exports.ll144 import ll144_summary
from audits.models import AuditReport
from audits.renderings.formatting import fmt_interval, fmt_number
from audits.renderings.html import render_report_html
from audits.renderings.pdf import render_report_pdf
from audits.reports.schema import report_errors
from tests.api_errors import error_attr
from tests.factories import csv_upload


def _salary_frame(n=1200, seed=3):
    """A continuous score (predicted salary) and outcome (true salary); women are scored lower than men."""
    rng = np.random.default_rng(seed)
    sex = rng.choice(["female", "male"], size=n)
    region = rng.choice(["north", "south", "east"], size=n)
    salary = rng.normal(50, 10, n)
    predicted = salary + np.where(sex == "female", -6.0, 0.0) + rng.normal(0, 4, n)
    return pd.DataFrame({"sex": sex, "region": region, "salary": salary.round(3), "predicted": predicted.round(3)})


def _ranking_frame(n_queries=120, length=10, seed=5):
    rng = np.random.default_rng(seed)
    rows = []
    for query in range(n_queries):
        sex = rng.choice(["female", "male"], size=length)
        order = np.argsort(rng.normal(0, 1, length) - (sex == "male") * 1.0)
        for position, index in enumerate(order, start=1):
            rows.append({"query": f"q{query}", "position": position, "sex": sex[index], "approved": "yes"})
    return pd.DataFrame(rows)


def _run(client, form, plan_options, capture):
    dataset = client.post("/api/v1/datasets/", form, format="multipart")
    assert dataset.status_code == 201, dataset.json()
    dataset = dataset.json()
    plan = client.post(
        "/api/v1/plans/", {"dataset": dataset["id"], "model": dataset["model"]["id"], "n_boot": 200, **plan_options},
        format="json",
    )  # fmt: skip
    assert plan.status_code == 201, plan.json()
    with capture(execute=True):
        run = client.post(f"/api/v1/plans/{plan.json()['id']}/run/").json()
    report = AuditReport.objects.get(run_id=run["id"])
    return plan.json(), report


def _check_renderings(report, section: str, title: str) -> None:
    """HTML and PDF show the section, every finding's value and interval, and the CSV has one row per finding."""
    document = report.document
    html = render_report_html(document, report.sha256)
    pdf_text = "".join(
        " ".join((page.extract_text() or "").split())
        for page in PdfReader(io.BytesIO(render_report_pdf(document, report.sha256))).pages
    ).replace(" ", "")
    assert f"<h2>{title}</h2>" in html and title.replace(" ", "") in pdf_text
    for metric, contract in document[section]["metrics"].items():  # every metric contract is shown
        assert f"<td><code>{metric}</code></td><td>{contract['name']}</td>" in html
    findings = [f for a in document[section]["by_attribute"].values() for f in a["findings"]]
    assert findings
    for finding in findings:
        assert f'<td class="num value">{fmt_number(finding["value"])}</td>' in html
        if finding["ci_low"] is not None:
            assert fmt_interval(finding["ci_low"], finding["ci_high"]) in html
            assert fmt_interval(finding["ci_low"], finding["ci_high"]).replace(" ", "") in pdf_text
    rows = list(csv.DictReader(io.StringIO(findings_csv(document))))
    assert sum(row["kind"] == section for row in rows) == len(findings)
    if document.get("not_computable", {}).get("metrics"):
        assert "<h2>Not computable</h2>" in html


def test_continuous_audit_without_decisions_reports_score_metrics_and_says_what_is_not_computable(
    auditor_client, eager_celery, django_capture_on_commit_callbacks
):
    frame = _salary_frame()
    form = {
        "workspace": "credit-risk",
        "file": csv_upload(frame),
        "outcome_column": "salary",
        "score_column": "predicted",
        "outcome_type": "continuous",
        "protected": ["sex", "region"],
    }
    plan, report = _run(auditor_client, form, {}, django_capture_on_commit_callbacks)
    document = report.document
    assert report_errors(document) == []
    assert plan["outcome_type"] == "continuous"
    assert document["results"] == [] and document["not_computable"]["metrics"]
    assert "no binary decision" in document["not_computable"]["reason"]
    sex = document["continuous"]["by_attribute"]["sex"]
    assert sex["reference_group"] == "male" and sex["has_outcome"] is True
    female = frame[frame["sex"] == "female"]
    male = frame[frame["sex"] == "male"]
    findings = {f["metric"]: f for f in sex["findings"]}
    assert findings["mean_difference"]["value"] == pytest.approx(
        female["predicted"].mean() - male["predicted"].mean(), abs=1e-9
    )
    assert findings["mean_difference"]["verdict"] == "fail"  # about -6 against a band of +-0.2 SD
    assert findings["ks_statistic"]["value"] == pytest.approx(
        stats.ks_2samp(female["predicted"], male["predicted"]).statistic, abs=1e-12
    )
    assert {"mae_ratio", "rmse_ratio", "worst_group_mae_ratio", "scoring_rate_impact_ratio"} <= set(findings)
    assert sex["n_boot"] == 200
    assert document["score_rates"]["median"] == pytest.approx(frame["predicted"].median(), abs=1e-12)
    _check_renderings(report, "continuous", "Continuous scores")
    # The LL144 summary (scoring rates from explainers/pipeline/score_rates.py) agrees with the continuous section.
    summary = ll144_summary(document, report.sha256)
    rates = {(t["attribute"], r["category"]): r["rate"] for t in summary["tables"] for r in t["rows"]}
    assert {t["rate_kind"] for t in summary["tables"]} == {"scoring_rate"}
    for name, result in document["continuous"]["by_attribute"].items():
        for group in result["groups"]:
            assert rates[(name, group["group"])] == pytest.approx(group["scoring_rate"], abs=1e-12)


def test_continuous_outcome_with_decisions_keeps_selection_metrics_and_marks_label_metrics(
    auditor_client, eager_celery, django_capture_on_commit_callbacks
):
    frame = _salary_frame(seed=4)
    frame["decision"] = np.where(frame["predicted"] > 50, "hire", "reject")
    form = {
        "workspace": "credit-risk",
        "file": csv_upload(frame),
        "decision_column": "decision",
        "favourable_decision": ["hire"],
        "outcome_column": "salary",
        "score_column": "predicted",
        "outcome_type": "continuous",
        "protected": ["sex"],
    }
    _, report = _run(auditor_client, form, {"outcome_type": "continuous"}, django_capture_on_commit_callbacks)
    document = report.document
    assert report_errors(document) == []
    verdicts = {r["metric"]: r["verdict"] for r in document["results"]}
    assert verdicts["disparate_impact"] != "not_computable"
    assert verdicts["equal_opportunity_difference"] == "not_computable"
    assert "equal_opportunity_difference" in document["not_computable"]["metrics"]
    assert document["continuous"]["by_attribute"]["sex"]["findings"]


def test_ranking_audit_by_query_reports_exposure_and_top_k(
    auditor_client, eager_celery, django_capture_on_commit_callbacks
):
    frame = _ranking_frame()
    form = {
        "workspace": "credit-risk",
        "file": csv_upload(frame),
        "rank_column": "position",
        "protected": ["sex"],
    }
    plan, report = _run(
        auditor_client, form, {"rank_query_column": "query", "top_k": 3}, django_capture_on_commit_callbacks
    )
    document = report.document
    assert report_errors(document) == []
    assert plan["rank_column"] == "position" and plan["top_k"] == 3
    ranking = document["ranking"]
    sex = ranking["by_attribute"]["sex"]
    assert sex["resampled"] == "queries" and sex["queries"] == 120 and sex["top_k"] == 3
    exposure = 1 / np.log2(1 + frame["position"])
    per_query = frame.assign(e=exposure).groupby(["sex", "query"])["e"].mean().groupby("sex").mean()
    groups = {g["group"]: g for g in sex["groups"]}
    assert groups["female"]["exposure"] == pytest.approx(per_query["female"], abs=1e-12)
    finding = next(f for f in sex["findings"] if f["metric"] == "exposure_ratio")
    assert finding["value"] == pytest.approx(per_query["female"] / per_query["male"], abs=1e-12)
    assert finding["verdict"] == "fail"
    assert "not_computable" in document and "continuous" not in document
    _check_renderings(report, "ranking", "Ranking exposure")


def test_plan_refuses_a_rank_column_that_is_not_in_the_dataset(auditor_client):
    form = {"workspace": "credit-risk", "file": csv_upload(_ranking_frame(n_queries=5)), "rank_column": "position",
            "protected": ["sex"]}  # fmt: skip
    dataset = auditor_client.post("/api/v1/datasets/", form, format="multipart").json()
    response = auditor_client.post(
        "/api/v1/plans/",
        {"dataset": dataset["id"], "model": dataset["model"]["id"], "rank_column": "nope"},
        format="json",
    )
    assert response.status_code == 400 and error_attr(response) == "rank_column"


def test_continuous_outcome_must_hold_numbers(auditor_client):
    frame = _salary_frame(n=100)
    frame["salary"] = "high"
    form = {"workspace": "credit-risk", "file": csv_upload(frame), "outcome_column": "salary",
            "score_column": "predicted", "outcome_type": "continuous", "protected": ["sex"]}  # fmt: skip
    response = auditor_client.post("/api/v1/datasets/", form, format="multipart")
    assert response.status_code == 400 and error_attr(response) == "outcome_column"
