"""A dataset with a score column gets per-group AUC, calibration, threshold curves and a what-if."""

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from audits.models import AuditReport
from tests.api_errors import error_attr
from tests.factories import csv_upload, upload_form


def _scored_frame(n=3000, seed=11):
    rng = np.random.default_rng(seed)
    sex = rng.choice(["female", "male"], size=n)
    repaid = rng.random(n) < 0.6
    score = np.clip(0.35 + 0.3 * repaid + np.where(sex == "male", 0.1, -0.05) + rng.normal(0, 0.15, n), 0, 1)
    decision = np.where(score >= 0.5, "approve", "deny")
    return pd.DataFrame(
        {"sex": sex, "age_band": "all", "decision": decision, "repaid": repaid.astype(int), "p_approve": score.round(4)}
    )


def test_score_column_yields_auc_calibration_curves_and_a_labelled_what_if(
    auditor_client, eager_celery, django_capture_on_commit_callbacks
):
    frame = _scored_frame()
    form = upload_form(csv_upload(frame), protected=["sex"], score_column="p_approve")
    dataset = auditor_client.post("/api/v1/datasets/", form, format="multipart").json()
    plan = auditor_client.post(
        "/api/v1/plans/", {"dataset": dataset["id"], "model": dataset["model"]["id"], "n_boot": 200}, format="json"
    ).json()
    with django_capture_on_commit_callbacks(execute=True):
        run = auditor_client.post(f"/api/v1/plans/{plan['id']}/run/").json()

    scores = AuditReport.objects.get(run_id=run["id"]).document["score_analysis"]
    sex = scores["by_attribute"]["sex"]
    for group in ["female", "male"]:
        rows = frame[frame["sex"] == group]
        assert sex["analysis"]["auc_by_group"][group] == pytest.approx(
            roc_auc_score(rows["repaid"], rows["p_approve"]), abs=2e-3
        )
    assert sex["analysis"]["calibration"]["male"] and sex["analysis"]["threshold_curve"]
    assert sex["whatif"]["label"] == "analysis, not a recommendation"
    before, after = sex["whatif"]["before"]["disparate_impact"], sex["whatif"]["after"]["disparate_impact"]
    assert abs(1 - after["female"]) < abs(1 - before["female"])
    assert "not a recommendation" in scores["note"]


def test_non_numeric_score_column_is_refused(auditor_client):
    frame = _scored_frame(n=200)
    frame["p_approve"] = "high"
    form = upload_form(csv_upload(frame), protected=["sex"], score_column="p_approve")

    response = auditor_client.post("/api/v1/datasets/", form, format="multipart")

    assert response.status_code == 400 and error_attr(response) == "score_column"
