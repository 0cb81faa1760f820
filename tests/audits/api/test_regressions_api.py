"""Regressions over the API: a plan states its regression tolerance (checked by the one definition of plan
settings); after an approval over the API, a re-run's report carries the regressions section; outsiders and
anonymous callers see neither."""

import pytest

from audits.models import AuditPlan
from tests.audits.factories import AuditPlanFactory, AuditReportFactory
from tests.factories import credit_frame, csv_upload, upload_form


@pytest.fixture
def uploaded(auditor_client):
    response = auditor_client.post("/api/v1/datasets/", upload_form(csv_upload(credit_frame())), format="multipart")
    assert response.status_code == 201, response.json()
    return response.json()


def _plan(client, dataset, **fields):
    return client.post(
        "/api/v1/plans/", {"dataset": dataset["id"], "model": dataset["model"]["id"], **fields}, format="json"
    )


def test_a_plan_states_its_regression_tolerance_and_defaults_to_the_platforms(auditor_client, uploaded):
    chosen = _plan(auditor_client, uploaded, regression_tolerance=0.1)
    default = _plan(auditor_client, uploaded)

    assert chosen.status_code == 201 and default.status_code == 201
    assert chosen.json()["regression_tolerance"] == 0.1 and default.json()["regression_tolerance"] == 0.05
    shown = auditor_client.get(f"/api/v1/plans/{chosen.json()['id']}/")
    assert shown.status_code == 200 and shown.json()["regression_tolerance"] == 0.1


@pytest.mark.parametrize("tolerance", [-0.1, 1.5])
def test_a_tolerance_out_of_range_is_a_400_that_says_why(auditor_client, uploaded, tolerance):
    plans = AuditPlan.objects.count()

    response = _plan(auditor_client, uploaded, regression_tolerance=tolerance)

    assert response.status_code == 400
    assert "regression_tolerance must be between 0 and 1." in response.content.decode()
    assert AuditPlan.objects.count() == plans


def test_a_tolerance_that_is_no_number_is_a_400(auditor_client, uploaded):
    response = _plan(auditor_client, uploaded, regression_tolerance="lots")

    assert response.status_code == 400 and "regression_tolerance" in response.content.decode()


def test_after_an_approval_a_rerun_report_carries_its_regressions(
    auditor, workspace, auditor_client, reviewer_client, outsider_client, anonymous_client
):
    plan = AuditPlanFactory(user=auditor, workspace=workspace)
    first = AuditReportFactory(user=auditor, run__plan=plan)
    review = auditor_client.post(f"/api/v1/reports/{first.pk}/submit/", {}, format="json").json()
    assert reviewer_client.post(f"/api/v1/reviews/{review['id']}/start/").status_code == 200
    decided = reviewer_client.post(f"/api/v1/reviews/{review['id']}/decide/", {"decision": "approve"}, format="json")
    assert decided.status_code == 200
    second = AuditReportFactory(user=auditor, run__plan=plan)

    response = auditor_client.get(f"/api/v1/reports/{second.pk}/")
    earlier = auditor_client.get(f"/api/v1/reports/{first.pk}/")

    assert response.status_code == 200
    assert response.json()["document"]["regressions"] == {
        "baseline": {"report_id": first.pk, "sha256": first.sha256},
        "tolerance": 0.05,
        "items": [],
    }
    assert "regressions" not in earlier.json()["document"]
    assert outsider_client.get(f"/api/v1/reports/{second.pk}/").status_code == 404
    assert anonymous_client.get(f"/api/v1/reports/{second.pk}/").status_code in (401, 403)
