"""A continuous-score and ranking audit with decisions, fanned out over real workers: the report's continuous and
ranking sections equal the single-process computation exactly, beside the decisions' selection-rate metrics."""

import time

import numpy as np
import pandas as pd
import pytest

from audits.models import AuditReport, AuditRun
from audits.services.audit_execution import engine_input
from explainers.pipeline.continuous import continuous_and_ranking
from tests.factories import csv_upload

pytestmark = pytest.mark.integration


def test_scores_and_ranks_survive_the_chord_and_match_the_in_process_audit(celery_workers, auditor_client, settings):
    settings.AUDIT_PARQUET_ROW_GROUP_ROWS = 200  # 2000 rows -> 10 chunk tasks
    celery_workers(2)
    rng = np.random.default_rng(9)
    n = 2000
    sex = rng.choice(["female", "male"], size=n)
    salary = rng.normal(50, 10, n)
    predicted = salary - 4 * (sex == "female") + rng.normal(0, 3, n)
    frame = pd.DataFrame(
        {
            "sex": sex, "salary": salary.round(3), "predicted": predicted.round(3),
            "decision": np.where(predicted > 50, "hire", "reject"),
            "query": np.repeat(np.arange(200), 10), "position": np.tile(np.arange(1, 11), 200),
        }
    )  # fmt: skip
    form = {
        "workspace": "credit-risk", "file": csv_upload(frame), "decision_column": "decision",
        "favourable_decision": ["hire"], "outcome_column": "salary", "score_column": "predicted",
        "outcome_type": "continuous", "rank_column": "position", "protected": ["sex"],
    }  # fmt: skip
    dataset = auditor_client.post("/api/v1/datasets/", form, format="multipart").json()
    plan = auditor_client.post(
        "/api/v1/plans/",
        {"dataset": dataset["id"], "model": dataset["model"]["id"], "n_boot": 300, "rank_query_column": "query"},
        format="json",
    ).json()

    run_id = auditor_client.post(f"/api/v1/plans/{plan['id']}/run/").json()["id"]

    deadline = time.monotonic() + 180
    while (run := AuditRun.objects.get(pk=run_id)).status not in ("succeeded", "failed"):
        assert time.monotonic() < deadline, f"run stuck at {run.stage}"
        time.sleep(0.3)
    assert run.status == "succeeded", run.error
    assert run.timings["fan_out"] is True and run.timings["chunks"] == 10
    document = AuditReport.objects.get(run_id=run_id).document
    continuous, ranking = continuous_and_ranking(engine_input(run.plan))
    assert document["continuous"] == continuous and document["ranking"] == ranking
    assert {r["metric"] for r in document["results"] if r["verdict"] != "not_computable"} >= {"disparate_impact"}
    assert "equal_opportunity_difference" in document["not_computable"]["metrics"]
