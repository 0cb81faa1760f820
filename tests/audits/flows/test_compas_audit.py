"""The COMPAS audit through the `audit` command agrees with a hand computation in pandas."""

import json

import pandas as pd
import pytest

from audits.models import AuditReport
from tests.factories import audit_compas


def _hand_rates(path) -> pd.DataFrame:
    frame = pd.read_csv(path)
    frame["fav_decision"] = frame["score_text"].eq("Low")
    frame["fav_outcome"] = frame["two_year_recid"].eq(0)
    by_race = frame.groupby("race")
    return pd.DataFrame(
        {
            "n": by_race.size(),
            "sr": by_race["fav_decision"].mean(),
            "tpr": frame[frame["fav_outcome"]].groupby("race")["fav_decision"].mean(),
        }
    )


@pytest.fixture
def compas_report(compas_path, tmp_path, eager_celery, transactional_db, capsys):
    out = tmp_path / "report.json"
    audit_compas(
        str(compas_path),
        "--protected",
        "race",
        "--protected",
        "sex",
        "--reference",
        "race=Caucasian",
        "--n-boot",
        "1000",
        out=out,
    )
    printed = capsys.readouterr().out
    return json.loads(out.read_text()), printed


def test_compas_race_metrics_match_pandas_hand_computation(compas_report, compas_path):
    document, _ = compas_report
    hand = _hand_rates(compas_path)
    ref = hand.loc["Caucasian"]
    results = {(r["metric"], r["group"]): r for r in document["results"] if r["attribute"] == "race"}
    for group in ["African-American", "Asian", "Hispanic", "Native American", "Other"]:
        row = hand.loc[group]
        assert results[("disparate_impact", group)]["value"] == pytest.approx(row.sr / ref.sr, abs=1e-12)
        assert results[("statistical_parity_difference", group)]["value"] == pytest.approx(row.sr - ref.sr, abs=1e-12)
        assert results[("equal_opportunity_difference", group)]["value"] == pytest.approx(row.tpr - ref.tpr, abs=1e-12)
        assert results[("disparate_impact", group)]["n_group"] == row.n
        assert results[("disparate_impact", group)]["reference_group"] == "Caucasian"


def test_compas_verdicts_and_intervals(compas_report):
    document, printed = compas_report
    results = {(r["metric"], r["group"]): r for r in document["results"] if r["attribute"] == "race"}
    aa = results[("disparate_impact", "African-American")]
    assert aa["value"] == pytest.approx(0.632, abs=0.001)  # 0.412 / 0.652: low risk far less often
    assert aa["ci_low"] < aa["value"] < aa["ci_high"] and aa["ci_high"] < 0.8 and aa["verdict"] == "fail"
    # 18 Native American defendants: below the minimum group size, never a silent pass.
    assert {
        results[(m, "Native American")]["verdict"] for m in ("disparate_impact", "equal_opportunity_difference")
    } == {"insufficient_data"}
    assert "African-American" in printed and "fail" in printed and "Report written to" in printed


def test_compas_report_is_stored_with_its_hash(compas_report):
    document, printed = compas_report
    report = AuditReport.objects.get()
    assert report.document == document
    assert f"Report sha256 {report.sha256}" in printed


def test_cli_says_when_the_task_runs_in_process(compas_path, eager_celery, transactional_db, capsys):
    audit_compas(str(compas_path), "--protected", "sex", "--n-boot", "200", outcome=False)

    assert "the audit runs in this process" in capsys.readouterr().out


def test_cli_reports_bad_input_as_a_command_error(compas_path, transactional_db, eager_celery):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="Column 'gender' is not in the file"):
        audit_compas(str(compas_path), "--protected", "gender", outcome=False)
