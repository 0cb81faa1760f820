"""End to end on real services: upload over the API, a real Celery worker on Redis, a report in PostgreSQL."""

import os
import signal
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone

from audits.models import AuditEvent, AuditReport, AuditRun
from audits.services.audit_runs import audit_runs_sweep
from audits.tasks import audit_run_execute_task
from tests.audits.factories import AuditPlanFactory
from tests.broker import broker_down
from tests.factories import upload_form

pytestmark = pytest.mark.integration


def _wait_for(client, run_id, timeout=120):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = client.get(f"/api/v1/runs/{run_id}/").json()
        if run["status"] in ("succeeded", "failed"):
            return run
        time.sleep(0.3)
    raise AssertionError(f"run {run_id} did not finish: {run}")


def test_compas_audit_through_api_and_a_real_worker(celery_workers, auditor_client, compas_path):
    (worker,) = celery_workers(1)
    with compas_path.open("rb") as handle:
        form = upload_form(
            handle,
            decision_column="score_text",
            favourable_decision=["Low"],
            outcome_column="two_year_recid",
            favourable_outcome=["0"],
            protected=["race", "sex"],
            reference=["race=Caucasian"],
        )
        dataset = auditor_client.post("/api/v1/datasets/", form, format="multipart").json()
    plan = auditor_client.post(
        "/api/v1/plans/", {"dataset": dataset["id"], "model": dataset["model"]["id"], "n_boot": 1000}, format="json"
    ).json()

    queued = auditor_client.post(f"/api/v1/plans/{plan['id']}/run/")
    assert queued.status_code == 202

    run = _wait_for(auditor_client, queued.json()["id"])
    assert run["status"] == "succeeded", run["error"]
    assert run["worker"] == worker.name  # done by the worker process, not in this one
    document = auditor_client.get(f"/api/v1/reports/{run['report']}/").json()["document"]
    di = next(r for r in document["results"] if r["metric"] == "disparate_impact" and r["group"] == "African-American")
    assert di["value"] == pytest.approx(0.632, abs=0.001) and di["verdict"] == "fail"

    # A redelivered message (same run id) finds the run claimed already: no second report, no second start.
    task_id = audit_run_execute_task.apply_async(args=[run["id"]]).id
    deadline = time.monotonic() + 60
    while f"{task_id}] succeeded" not in worker.log_path.read_text():
        assert time.monotonic() < deadline, "the worker never took the redelivered message"
        time.sleep(0.2)
    assert f"{task_id}] succeeded" in worker.log_path.read_text()
    assert "'skipped'" in worker.log_path.read_text()
    assert AuditReport.objects.filter(run_id=run["id"]).count() == 1
    assert AuditEvent.objects.filter(action="run.started", object_id=str(run["id"])).count() == 1


def test_a_run_asked_for_while_the_broker_is_down_runs_once_when_it_is_back(
    celery_workers, auditor, workspace, auditor_client
):
    """Design.md section 8, "no run is lost": the run is committed while publishing fails (a clean 202, no HTML
    500); when the broker answers again the sweeper sends it, a real worker runs it, exactly once."""
    celery_workers(1)
    plan = AuditPlanFactory(user=auditor, workspace=workspace)

    with broker_down():
        queued = auditor_client.post(f"/api/v1/plans/{plan.pk}/run/")
    assert queued.status_code == 202 and queued.json()["status"] == "queued"
    run_id = queued.json()["id"]
    assert AuditRun.objects.get(pk=run_id).enqueued_at is None  # nothing reached the broker

    AuditRun.objects.filter(pk=run_id).update(created_at=timezone.now() - timedelta(minutes=5))
    assert audit_runs_sweep()["resent"] == [run_id]

    run = _wait_for(auditor_client, run_id)
    assert run["status"] == "succeeded", run["error"]
    assert AuditReport.objects.filter(run_id=run_id).count() == 1
    assert AuditEvent.objects.filter(action="run.started", object_id=str(run_id)).count() == 1
    assert audit_runs_sweep() == {"requeued": [], "failed": [], "resent": []}


def _child_pids(pid: int) -> list[int]:
    children = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in children.read_text().split()] if children.exists() else []


def test_a_run_whose_worker_child_is_killed_resumes_at_once_on_redelivery(celery_workers, auditor_client, compas_path):
    """Issue 14: kill -9 of the pool process mid-audit. Celery requeues the message (reject_on_worker_lost) and the
    redelivered message resumes the run in a new child at once, long before the sweeper's heartbeat timeout."""
    (worker,) = celery_workers(1, pool="prefork")
    with compas_path.open("rb") as handle:
        form = upload_form(
            handle,
            decision_column="score_text",
            favourable_decision=["Low"],
            outcome_column="two_year_recid",
            favourable_outcome=["0"],
            protected=["race", "sex"],
            reference=["race=Caucasian"],
        )
        dataset = auditor_client.post("/api/v1/datasets/", form, format="multipart").json()
    plan = auditor_client.post(
        "/api/v1/plans/",
        {
            "dataset": dataset["id"],
            "model": dataset["model"]["id"],
            "n_boot": 100_000,
            "intersections": [["race", "sex"]],
        },
        format="json",
    ).json()
    run_id = auditor_client.post(f"/api/v1/plans/{plan['id']}/run/").json()["id"]

    deadline = time.monotonic() + 60
    while AuditRun.objects.get(pk=run_id).status != "running":
        assert time.monotonic() < deadline, "the run never started"
        time.sleep(0.02)
    (child,) = _child_pids(worker.pid)
    os.kill(child, signal.SIGKILL)
    killed_at = time.monotonic()

    run = _wait_for(auditor_client, run_id, timeout=240)
    assert run["status"] == "succeeded", run["error"]
    assert AuditReport.objects.filter(run_id=run_id).count() == 1
    started = AuditEvent.objects.filter(action="run.started", object_id=str(run_id)).order_by("id")
    assert [e.after.get("resumed") for e in started] == [None, "the previous attempt's worker process was lost"]
    assert AuditRun.objects.get(pk=run_id).attempts == 2
    resumed_after = (started[1].created_at - started[0].created_at).total_seconds()
    assert resumed_after < settings.AUDIT_HEARTBEAT_TIMEOUT_SECONDS  # not the sweeper's doing
    assert time.monotonic() - killed_at < 240
