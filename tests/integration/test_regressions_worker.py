"""Regression detection on real services: runs of one plan on a real Celery worker, an approval over the API
between them, and one group's decisions changed under the plan; the second report names that group only."""

import pytest

from audits.models import AuditEvent, AuditPlan
from tests.audits.services.test_regressions import regression_frame, replace_stored_rows
from tests.factories import csv_upload, upload_form
from tests.integration.test_worker_end_to_end import _wait_for

pytestmark = pytest.mark.integration


def _run(client, plan_id: int) -> dict:
    queued = client.post(f"/api/v1/plans/{plan_id}/run/")
    assert queued.status_code == 202
    run = _wait_for(client, queued.json()["id"])
    assert run["status"] == "succeeded", run["error"]
    return run


def test_a_rerun_on_a_worker_names_the_one_group_whose_decisions_dropped(
    celery_workers, auditor_client, reviewer_client
):
    (worker,) = celery_workers(1)
    form = upload_form(csv_upload(regression_frame()), protected=["sex", "age_band"])
    dataset = auditor_client.post("/api/v1/datasets/", form, format="multipart").json()
    plan = auditor_client.post(
        "/api/v1/plans/", {"dataset": dataset["id"], "model": dataset["model"]["id"], "n_boot": 500}, format="json"
    ).json()
    first = _run(auditor_client, plan["id"])
    review = auditor_client.post(f"/api/v1/reports/{first['report']}/submit/", {}, format="json").json()
    assert reviewer_client.post(f"/api/v1/reviews/{review['id']}/start/").status_code == 200
    decided = reviewer_client.post(f"/api/v1/reviews/{review['id']}/decide/", {"decision": "approve"}, format="json")
    assert decided.status_code == 200
    replace_stored_rows(AuditPlan.objects.get(pk=plan["id"]), regression_frame(drop=">60"))
    second = _run(auditor_client, plan["id"])

    assert second["worker"] == worker.name
    document = auditor_client.get(f"/api/v1/reports/{second['report']}/").json()["document"]
    section = document["regressions"]
    assert section["baseline"]["report_id"] == first["report"]
    assert {(i["attribute"], i["group"]) for i in section["items"]} == {("age_band", ">60")}
    assert {i["kind"] for i in section["items"]} == {"verdict_change", "metric_move"}
    event = AuditEvent.objects.get(action="report.regression_found", object_id=str(second["report"]))
    assert event.after["count"] == len(section["items"])
