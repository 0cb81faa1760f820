"""Regression detection on real services: runs of one plan on a real Celery worker, an approval over the API
between them, and one group's decisions changed under the plan; the second report names that group only, and a
receiver on 127.0.0.1 subscribed to regression.found gets it signed (verified with the standardwebhooks library)."""

import pytest
from standardwebhooks import Webhook

from audits.choices import Role
from audits.models import AuditEvent, AuditPlan, Workspace
from audits.services.webhooks import webhook_endpoint_create
from audits.services.workspaces import membership_set, user_get_or_create
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
    celery_workers, webhook_receiver, auditor, auditor_client, reviewer_client
):
    (worker,) = celery_workers(1)
    workspace = Workspace.objects.get(slug="credit-risk")
    admin = user_get_or_create(username="ada-admin", password="pw-ada")
    membership_set(workspace=workspace, user=admin, role=Role.ADMIN, actor=auditor)
    receiver = webhook_receiver()
    endpoint = webhook_endpoint_create(actor=admin, workspace=workspace, url=receiver.url, events=["regression.found"])
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

    # The governance tool subscribed to regressions hears of exactly this one, signed.
    (request,) = receiver.wait_for(1)
    payload = Webhook(endpoint.secret).verify(request.body, request.headers)
    assert payload["type"] == "regression.found"
    assert payload["data"]["report_id"] == second["report"]
    assert payload["data"]["items"] == section["items"] and payload["data"]["baseline"] == section["baseline"]
    assert len(receiver.requests) == 1  # the first run had no approved baseline: no regression, no message
