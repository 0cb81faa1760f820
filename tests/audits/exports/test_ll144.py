"""NYC LL144 bias audit summary of a planted dataset, checked against a hand computation of 6 RCNY § 5-300/5-301.

The planted dataset (200 individuals; blocks of identical rows):

    sex      race    decision  score  rows
    female   White   approve   9      20
    female   White   deny      5      20
    female   Black   approve   9      10
    female   Black   deny      2      30
    male     White   approve   9      40
    male     White   deny      5      20
    male     Black   approve   7      30
    male     Black   deny      2      16
    male     Asian   approve   9       3   (1.5% of the data: excluded from the impact ratios)
    (none)   White   approve   9       6   (sex unknown)
    (none)   Black   deny      2       4   (sex unknown)
    female   (none)  deny      5       1   (race unknown)

Scores sorted: 50 x 2, 41 x 5, 30 x 7, 79 x 9, so the 100th and 101st are both 7: median 7. "Above the median"
is strictly above: only the 79 rows scoring 9 (male Black rows score exactly 7 and are not above).
"""

import csv
import io
import json

import numpy as np
import pandas as pd
import pytest

from audits.canonical import sha256_hex
from audits.exports import export_report
from audits.exports.ll144 import category_type, ll144_summary
from audits.reports.schema import report_errors
from audits.services.report_exports import report_export
from audits.signing import dsse
from audits.signing.keys import public_key_pem
from tests.audits.factories import AuditPlanFactory, AuditReportFactory, DatasetFactory

BLOCKS = [
    ("female", "White", "approve", 9, 20),
    ("female", "White", "deny", 5, 20),
    ("female", "Black", "approve", 9, 10),
    ("female", "Black", "deny", 2, 30),
    ("male", "White", "approve", 9, 40),
    ("male", "White", "deny", 5, 20),
    ("male", "Black", "approve", 7, 30),
    ("male", "Black", "deny", 2, 16),
    ("male", "Asian", "approve", 9, 3),
    (None, "White", "approve", 9, 6),
    (None, "Black", "deny", 2, 4),
    ("female", None, "deny", 5, 1),
]


def planted_frame() -> pd.DataFrame:
    rows = [(sex, race, decision, score) for sex, race, decision, score, count in BLOCKS for _ in range(count)]
    frame = pd.DataFrame(rows, columns=["sex", "race", "decision", "score"])
    frame["repaid"] = np.arange(len(frame)) % 2
    return frame.sample(frac=1.0, random_state=3).reset_index(drop=True)  # order must not matter


@pytest.fixture
def planted_report(auditor, workspace):
    dataset = DatasetFactory(
        workspace=workspace,
        user=auditor,
        name="planted hiring",
        frame=planted_frame(),
        protected=(("sex", ""), ("race", "")),
        score_column="score",
    )
    plan = AuditPlanFactory(workspace=workspace, user=auditor, dataset=dataset, intersections=[["sex", "race"]])
    return AuditReportFactory(workspace=workspace, user=auditor, run__plan=plan)


def _table(summary, kind, category_type):
    (table,) = [t for t in summary["tables"] if t["rate_kind"] == kind and t["category_type"] == category_type]
    return table, {r["category"]: r for r in table["rows"]}


def test_the_summary_of_a_planted_dataset_equals_the_hand_computation(planted_report):
    document = planted_report.document
    assert report_errors(document) == []
    assert document["score_rates"]["median"] == 7.0

    summary = ll144_summary(document, planted_report.sha256)

    assert summary["individuals_assessed"] == 200
    assert summary["method"] == "scoring_rate" and summary["median_score"] == 7.0
    assert summary["audit_date"] == document["provenance"]["finished_at"][:10]
    assert summary["to_fill_in"] == {"independent_auditor": None, "distribution_date": None, "data_type": None}
    assert "not provided" in summary["data"]["data_type"] and "planted hiring" in summary["data"]["source"]

    # Sex, selection: female 30 of 81, male 73 of 109 (the most selected); 10 unknown.
    table, rows = _table(summary, "selection_rate", "sex")
    assert table["unknown"] == 10 and set(rows) == {"female", "male"}
    assert (rows["female"]["individuals"], rows["female"]["favourable"]) == (81, 30)
    assert (rows["male"]["individuals"], rows["male"]["favourable"]) == (109, 73)
    assert rows["female"]["rate"] == pytest.approx(30 / 81, abs=1e-12)
    assert rows["male"]["rate"] == pytest.approx(73 / 109, abs=1e-12)
    assert rows["female"]["impact_ratio"] == pytest.approx(3270 / 5913, abs=1e-12)  # (30/81) / (73/109)
    assert rows["male"]["impact_ratio"] == 1.0 and table["highest_category"] == "male"

    # Sex, scoring: above the median (score 9) female 20 + 10 = 30 of 81, male 40 + 3 = 43 of 109.
    table, rows = _table(summary, "scoring_rate", "sex")
    assert table["unknown"] == 10
    assert (rows["female"]["favourable"], rows["male"]["favourable"]) == (30, 43)
    assert rows["female"]["impact_ratio"] == pytest.approx(3270 / 3483, abs=1e-12)  # (30/81) / (43/109)

    # Race, selection: White 66 of 106, Black 40 of 90, Asian 3 of 3 (1.5% < 2%: excluded, so the most selected
    # category is White, not Asian); 1 unknown.
    table, rows = _table(summary, "selection_rate", "race_ethnicity")
    assert table["unknown"] == 1 and table["highest_category"] == "White"
    assert rows["Asian"]["excluded_from_impact_ratio"] is True and rows["Asian"]["impact_ratio"] is None
    assert rows["Asian"]["rate"] == 1.0 and rows["Asian"]["share_of_data"] == pytest.approx(0.015)
    assert "less than 2%" in rows["Asian"]["exclusion_justification"]
    assert rows["Black"]["impact_ratio"] == pytest.approx(4240 / 5940, abs=1e-12)  # (40/90) / (66/106)
    assert not rows["White"]["excluded_from_impact_ratio"] and rows["White"]["exclusion_justification"] == ""

    # Race, scoring: White 66 of 106, Black 10 of 90 (the 30 male Black rows sit exactly on the median).
    table, rows = _table(summary, "scoring_rate", "race_ethnicity")
    assert rows["Black"]["favourable"] == 10
    assert rows["Black"]["impact_ratio"] == pytest.approx(1060 / 5940, abs=1e-12)  # (10/90) / (66/106)

    # Intersectional sex x race: 11 unknown (10 without sex, 1 without race); male x Asian excluded.
    table, rows = _table(summary, "selection_rate", "intersectional")
    assert table["unknown"] == 11
    counts = {name: (r["individuals"], r["favourable"]) for name, r in rows.items()}
    assert counts == {
        "female × Black": (40, 10),
        "female × White": (40, 20),
        "male × Asian": (3, 3),
        "male × Black": (46, 30),
        "male × White": (60, 40),
    }
    assert rows["male × Asian"]["excluded_from_impact_ratio"]
    assert rows["female × White"]["impact_ratio"] == pytest.approx(0.75, abs=1e-12)  # 0.5 / (2/3)
    assert rows["female × Black"]["impact_ratio"] == pytest.approx(0.375, abs=1e-12)
    assert rows["male × Black"]["impact_ratio"] == pytest.approx(90 / 92, abs=1e-12)  # (30/46) / (2/3)
    table, rows = _table(summary, "scoring_rate", "intersectional")
    assert rows["male × Black"]["favourable"] == 0 and rows["male × Black"]["impact_ratio"] == 0.0


def test_the_csv_and_html_carry_the_same_figures(planted_report):
    document, sha256 = planted_report.document, planted_report.sha256

    data = json.loads(export_report(document, sha256, "ll144").content)
    rows = list(csv.DictReader(io.StringIO(export_report(document, sha256, "ll144_csv").content.decode())))
    html = export_report(document, sha256, "ll144_html").content.decode()

    black = [r for r in rows if r["rate_kind"] == "selection_rate" and r["category"] == "Black"]
    assert len(black) == 1 and float(black[0]["impact_ratio"]) == 4240 / 5940
    assert black[0]["unknown_in_attribute"] == "1"
    assert len(rows) == sum(len(t["rows"]) for t in data["tables"])
    assert "0.7138" in html and "Independent auditor" in html and "to be filled in" in html
    assert "Distribution date of the tool" in html and "less than 2%" in html
    assert "<script" not in html and "http" not in html.split("<body>")[1].replace("https://", "")
    assert export_report(document, sha256, "ll144_html").content == html.encode()  # deterministic


def test_attribute_names_map_to_the_rule_categories():
    assert category_type(["Gender"]) == "sex"
    assert category_type(["race/ethnicity"]) == "race_ethnicity"
    assert category_type(["sex", "Race"]) == "intersectional"
    assert category_type(["age_band"]) == "other"
    assert category_type(["age_band", "sex"]) == "other"


def test_a_report_of_decisions_only_uses_selection_rates(planted_report):
    document = dict(planted_report.document, score_rates=None)

    summary = ll144_summary(document, "0" * 64)

    assert summary["method"] == "selection_rate" and summary["median_score"] is None
    assert {t["rate_kind"] for t in summary["tables"]} == {"selection_rate"}


def test_a_model_only_report_has_no_ll144_summary(probe_report):
    document, _, sha256 = probe_report
    if document.get("attributes"):
        pytest.skip("this stored report has group results")

    with pytest.raises(ValueError, match="group audit"):
        ll144_summary(document, sha256)


def test_the_report_signature_names_the_served_ll144_files(planted_report, auditor):
    signature = planted_report.signatures.get(kind="report")
    statement = dsse.verify_envelope(signature.envelope_json, public_key_pem())
    subjects = {s["name"]: s["digest"]["sha256"] for s in statement["subject"]}

    for fmt, suffix in (("ll144", ".ll144.json"), ("ll144_csv", ".ll144.csv"), ("ll144_html", ".ll144.html")):
        served = report_export(actor=auditor, report=planted_report, fmt=fmt, via="api").content
        assert subjects[f"audit-report-{planted_report.pk}{suffix}"] == sha256_hex(served), fmt


def test_a_missing_value_kept_as_its_own_group_counts_as_unknown(planted_report):
    document = json.loads(planted_report.canonical_json)
    sex = next(a for a in document["attributes"] if a["attribute"] == "sex")
    sex["groups"].append({"group": "(missing)", "n": 10, "n_selected": 6})
    document["data"]["rows_dropped_missing_attribute"]["sex"] = 0

    summary = ll144_summary(document, "0" * 64)

    table, rows = _table(summary, "selection_rate", "sex")
    assert table["unknown"] == 10 and set(rows) == {"female", "male"}
