"""The what-if on a real Celery worker process: the request enqueues it on the worker queue, the worker caches its
numbers in Redis, the API answers 202 (pending) until they are there and then 200, from the cache afterwards."""

import pytest

from audits.models import AuditEvent
from tests.audits.whatif_fixtures import applicants_dataset, empty_prediction_cache, tabular_model

__all__ = ["empty_prediction_cache"]

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("empty_prediction_cache")]


def _until_done(client, model, body, attempts=30):
    statuses = []
    for _ in range(attempts):  # each request waits a few seconds for the worker before answering 202
        response = client.post(f"/api/v1/models/{model.pk}/what-if/", body, format="json")
        statuses.append(response.status_code)
        if response.status_code == 200:
            return response.json(), statuses
        assert response.status_code == 202 and response.json()["status"] == "pending", response.json()
    raise AssertionError(f"the what-if never finished: {statuses}")


def test_a_what_if_runs_on_the_worker_and_is_then_served_from_the_cache(celery_workers, auditor, workspace,
                                                                         auditor_client):  # fmt: skip
    (worker,) = celery_workers(1)
    dataset, frame = applicants_dataset(auditor, workspace)
    model = tabular_model(auditor, workspace, dataset, frame)
    body = {"dataset": dataset.pk, "row": 4, "attribute": "sex"}

    result, statuses = _until_done(auditor_client, model, body)

    assert result["status"] == "done" and len(result["result"]["variants"]) == 1
    assert "audits.tasks.what_if_compute_task" in worker.log_path.read_text()  # computed by the worker process
    again, statuses_again = _until_done(auditor_client, model, body, attempts=1)
    assert again["result"] == result["result"] and statuses_again == [200]
    log = worker.log_path.read_text()
    assert log.count("what_if_compute_task") >= 1 and log.count("] succeeded in") == 1  # computed once, then cached
    assert AuditEvent.objects.filter(action="model.what_if").count() == len(statuses) + 1
