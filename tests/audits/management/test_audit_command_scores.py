"""`manage.py audit` on continuous scores (--outcome-type continuous) and rankings (--rank-column), no decisions."""

import json

import numpy as np
import pandas as pd
import pytest
from django.core.management import CommandError, call_command

from audits.models import AuditPlan, AuditReport


@pytest.fixture
def salary_csv(tmp_path):
    rng = np.random.default_rng(7)
    n = 800
    sex = rng.choice(["female", "male"], size=n)
    salary = rng.normal(50, 10, n)
    predicted = salary - np.where(sex == "female", 6.0, 0.0) + rng.normal(0, 3, n)
    path = tmp_path / "salary.csv"
    pd.DataFrame({"sex": sex, "salary": salary.round(2), "predicted": predicted.round(2)}).to_csv(path, index=False)
    return path


@pytest.fixture
def ranking_csv(tmp_path):
    rng = np.random.default_rng(8)
    rows = []
    for query in range(60):
        sex = rng.choice(["female", "male"], size=10)
        for position, index in enumerate(np.argsort(rng.normal(0, 1, 10) - (sex == "male")), start=1):
            rows.append({"search": query, "position": position, "sex": sex[index]})
    path = tmp_path / "ranking.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


def test_continuous_audit_prints_the_score_metrics_and_what_is_not_computable(
    salary_csv, tmp_path, eager_celery, transactional_db, capsys
):
    out = tmp_path / "report.json"
    call_command(
        "audit", "--dataset", str(salary_csv), "--score-column", "predicted", "--outcome", "salary",
        "--outcome-type", "continuous", "--protected", "sex", "--n-boot", "200", "--out", str(out),
    )  # fmt: skip
    text = capsys.readouterr().out
    assert "Continuous scores (predicted):" in text
    assert "sex=female vs male: mean_difference" in text and "fail" in text
    assert "sex=female vs male: mae_ratio" in text
    assert "Not computable: disparate_impact" in text
    document = json.loads(out.read_text())
    assert document["plan"]["outcome_type"] == "continuous"
    assert document["continuous"]["outcome_column"] == "salary"
    assert AuditPlan.objects.get().outcome_type == "continuous"


def test_ranking_audit_gate_fails_on_a_ranking_that_favours_men(ranking_csv, eager_celery, transactional_db, capsys):
    with pytest.raises(CommandError) as raised:
        call_command(
            "audit", "--dataset", str(ranking_csv), "--rank-column", "position", "--rank-query-column", "search",
            "--top-k", "3", "--protected", "sex", "--n-boot", "200", "--fail-on", "fail", "--format", "json",
        )  # fmt: skip
    assert raised.value.returncode == 3
    gate = json.loads(capsys.readouterr().out)
    failing = [case for case in gate["cases"] if case["failed"]]
    assert failing and all(case["suite"] == "ranking: sex" for case in failing)
    assert any(case["name"].startswith("exposure_ratio sex=female vs male") for case in failing)
    ranking = AuditReport.objects.get().document["ranking"]
    assert ranking["top_k"] == 3 and ranking["query_column"] == "search"


def test_without_decisions_scores_or_ranks_the_command_explains_what_to_give(salary_csv, transactional_db):
    with pytest.raises(CommandError, match="--outcome-type continuous --score-column"):
        call_command("audit", "--dataset", str(salary_csv), "--protected", "sex")
