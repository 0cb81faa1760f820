"""Upload and New audit pages: continuous scores and rankings, with their help text, reach the services."""

import numpy as np
import pandas as pd

from audits.models import AuditPlan, Dataset, ModelArtifact
from tests.factories import csv_upload


def _salary_csv():
    rng = np.random.default_rng(2)
    sex = rng.choice(["female", "male"], size=200)
    return csv_upload(pd.DataFrame({"sex": sex, "salary": rng.normal(50, 9, 200), "predicted": rng.normal(50, 9, 200)}))


def test_the_pages_explain_continuous_scores_and_rankings(auditor_page):
    upload = auditor_page.get("/datasets/upload/").content.decode()
    new = auditor_page.get("/audits/new/").content.decode()

    assert "Optional: continuous scores and rankings" in upload and "Positions in a ranking, 1 = top" in upload
    assert "Continuous scores and rankings (optional)" in new
    assert "scoring rates above the overall median with impact ratios (NYC LL144)" in new
    assert 'name="top_k" value="10"' in new


def test_a_continuous_upload_then_a_plan_from_the_builder_audits_the_scores(auditor_page):
    response = auditor_page.post(
        "/datasets/upload/",
        {"file": _salary_csv(), "name": "salaries", "outcome_column": "salary", "score_column": "predicted",
         "score_higher_is_favourable": "on", "outcome_type": "continuous", "protected": "sex",
         "missing_policy": "drop_rows"},
    )  # fmt: skip
    assert response.status_code == 302
    dataset = Dataset.objects.get()
    assert dataset.profile["outcome"]["type"] == "continuous"
    model = ModelArtifact.objects.get(dataset=dataset)
    assert model.decision_column == "" and model.name == "scores in salaries"

    response = auditor_page.post(
        "/audits/new/",
        {"model": model.pk, "dataset": dataset.pk, "n_boot": 200, "alpha": 0.05, "min_group_size": 30,
         "min_denominator": 10, "seed": 0, "outcome_type": "", "top_k": ""},
    )  # fmt: skip
    assert response.status_code == 302, response.content.decode()[:2000]
    plan = AuditPlan.objects.get()
    assert plan.outcome_type == "continuous" and plan.top_k == 10


def test_a_rank_column_missing_from_the_dataset_is_refused_next_to_its_field(auditor_page):
    auditor_page.post(
        "/datasets/upload/",
        {"file": _salary_csv(), "name": "salaries", "score_column": "predicted", "score_higher_is_favourable": "on",
         "outcome_type": "continuous", "protected": "sex", "missing_policy": "drop_rows"},
    )  # fmt: skip
    model = ModelArtifact.objects.get()

    response = auditor_page.post(
        "/audits/new/",
        {"model": model.pk, "dataset": model.dataset_id, "n_boot": 200, "alpha": 0.05, "min_group_size": 30,
         "min_denominator": 10, "seed": 0, "rank_column": "position", "top_k": 10},
    )  # fmt: skip

    html = response.content.decode()
    assert response.status_code == 200 and not AuditPlan.objects.exists()
    assert "Column &#x27;position&#x27; is not in dataset" in html or "Column 'position' is not in dataset" in html
