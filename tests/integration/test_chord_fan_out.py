"""A dataset of many row groups is counted chunk by chunk on two real workers (a Celery chord);
the merged result equals the single-process audit exactly."""

import time

import pytest

from audits.models import AuditReport, AuditRun
from audits.services.audit_execution import engine_input
from explainers.pipeline.local import compute_group_metrics
from tests.factories import credit_frame, csv_upload, upload_form

pytestmark = pytest.mark.integration


def test_chunks_fan_out_over_two_workers_and_merge_exactly(celery_workers, auditor_client, settings):
    settings.AUDIT_PARQUET_ROW_GROUP_ROWS = 100  # 3000 rows -> 30 row groups -> 30 chunk tasks
    workers = celery_workers(2)
    frame = credit_frame(n=3000)
    frame["score"] = (frame.index * 7919 % 1000) / 1000  # a score column: LL144 scoring rates need its exact median
    form = upload_form(csv_upload(frame), score_column="score")
    dataset = auditor_client.post("/api/v1/datasets/", form, format="multipart").json()
    plan = auditor_client.post(
        "/api/v1/plans/",
        {
            "dataset": dataset["id"],
            "model": dataset["model"]["id"],
            "n_boot": 500,
            "intersections": [["sex", "age_band"]],
        },
        format="json",
    ).json()

    run_id = auditor_client.post(f"/api/v1/plans/{plan['id']}/run/").json()["id"]

    deadline = time.monotonic() + 120
    while (run := AuditRun.objects.get(pk=run_id)).status not in ("succeeded", "failed"):
        assert time.monotonic() < deadline, f"run stuck at {run.stage}"
        time.sleep(0.3)
    assert run.status == "succeeded", run.error
    assert run.timings["fan_out"] is True and run.timings["chunks"] == 30
    logs = [w.log_path.read_text() for w in workers]
    assert all("audit_count_chunk_task" in log for log in logs), "both workers counted chunks"
    assert sum(log.count("audits.tasks.audit_count_chunk_task[") for log in logs) >= 30
    document = AuditReport.objects.get(run_id=run_id).document
    in_process = compute_group_metrics(engine_input(run.plan))
    expected = [r for piece in in_process.slices for r in piece.result.results]
    assert len(document["results"]) == len(expected)
    for row, result in zip(document["results"], expected, strict=True):
        assert (row["value"], row["ci_low"], row["ci_high"]) == (result.value, result.ci_low, result.ci_high)
    assert document["score_rates"] == in_process.score_rates and document["score_rates"]["rows"] == 3000
    assert document["score_rates"]["median"] == frame["score"].median()
