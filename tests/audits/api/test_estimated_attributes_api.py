"""Estimated attributes over the API: a dataset without any protected column, race estimated with BISG."""

import numpy as np
import pytest

from audits.models import AuditPlan
from audits.reports.schema import report_errors
from tests.api_errors import error_attr
from tests.explainers.estimated.population import population
from tests.factories import csv_upload, upload_form

ESTIMATE = {"estimate": "race", "surname_column": "surname", "zip_column": "zip", "reference_group": "White"}


@pytest.fixture
def uploaded(auditor_client):
    frame = population(1_500, seed=6).drop(columns=["race"])  # race was never recorded
    frame["decision"] = np.where(frame.pop("approved"), "approve", "deny")
    frame["repaid"] = frame["repaid"].astype(int)
    form = upload_form(csv_upload(frame, "applicants.csv"), proxy_columns=["surname", "zip"])
    form.pop("protected")
    response = auditor_client.post("/api/v1/datasets/", form, format="multipart")
    assert response.status_code == 201, response.json()
    assert response.json()["protected_attributes"] == []
    return response.json()


def test_a_plan_estimates_race_and_its_report_says_so(
    auditor_client, uploaded, eager_celery, django_capture_on_commit_callbacks
):
    plan = auditor_client.post(
        "/api/v1/plans/",
        {
            "dataset": uploaded["id"],
            "model": uploaded["model"]["id"],
            "n_boot": 200,
            "estimated_attributes": [ESTIMATE],
        },
        format="json",
    )
    assert plan.status_code == 201, plan.json()
    assert plan.json()["estimated_attributes"] == [{**ESTIMATE, "first_name_column": "", "name": "race (estimated)"}]
    with django_capture_on_commit_callbacks(execute=True):
        run = auditor_client.post(f"/api/v1/plans/{plan.json()['id']}/run/").json()
    run = auditor_client.get(f"/api/v1/runs/{run['id']}/").json()
    assert run["status"] == "succeeded", run["error"]
    document = auditor_client.get(f"/api/v1/reports/{run['report']}/").json()["document"]
    assert report_errors(document) == []
    (section,) = document["estimated_attributes"]
    assert section["method"] == "BISG" and section["rows"] == 1_500
    assert {a["attribute"] for a in document["attributes"]} == {"race (estimated)"}
    di_black = next(r for r in document["results"] if r["metric"] == "disparate_impact" and r["group"] == "Black")
    assert di_black["reference_group"] == "White" and di_black["contract"]["reference_rule"] == "declared"
    assert di_black["test"] == "bootstrap_percentile" and di_black["p_value_holm"] is not None


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"surname_column": "last_name"}, "no column 'last_name'"),
        ({"zip_column": "", "first_name_column": "surname"}, "needs a ZIP column"),
        ({"reference_group": "white"}, "not a group of the estimate"),
    ],
)
def test_a_wrong_estimate_is_refused_by_its_field(auditor_client, uploaded, change, message):
    response = auditor_client.post(
        "/api/v1/plans/",
        {"dataset": uploaded["id"], "model": uploaded["model"]["id"], "estimated_attributes": [{**ESTIMATE, **change}]},
        format="json",
    )
    assert response.status_code == 400 and error_attr(response) == "estimated_attributes"
    assert message in response.json()["errors"][0]["detail"]
    assert not AuditPlan.objects.exists()


def test_an_outsider_cannot_plan_on_the_dataset(outsider_client, uploaded):
    response = outsider_client.post(
        "/api/v1/plans/",
        {"dataset": uploaded["id"], "model": uploaded["model"]["id"], "estimated_attributes": [ESTIMATE]},
        format="json",
    )
    assert response.status_code == 400 and error_attr(response) == "dataset"


def test_anonymous_cannot_create_a_plan(anonymous_client):
    response = anonymous_client.post("/api/v1/plans/", {"estimated_attributes": [ESTIMATE]}, format="json")
    assert response.status_code in (401, 403)
