"""The trail across processes: a report made by a real Celery worker is checkpointed in the worker's transactions,
the web process's periodic task folds a report view into the trail, and the whole trail verifies; then a review status
changed by a superuser with triggers off is named."""

import time

import pytest
from django.db import connection

from audits.choices import RunStatus
from audits.models import AuditEvent, AuditRun, TrailCheckpoint
from audits.services.audit_runs import audit_run_create
from audits.services.reports import report_record_view
from audits.services.reviews import review_start, review_submit
from audits.services.trail import trail_verify
from audits.tasks import trail_checkpoint_task
from tests.audits.factories import AuditPlanFactory

pytestmark = pytest.mark.integration


def test_a_report_made_by_a_worker_is_checkpointed_and_tampering_is_named(celery_workers, auditor, reviewer, workspace):
    celery_workers(1)
    run = audit_run_create(user=auditor, plan=AuditPlanFactory(user=auditor, workspace=workspace))
    deadline = time.monotonic() + 120
    while AuditRun.objects.get(pk=run.pk).status not in (RunStatus.SUCCEEDED, RunStatus.FAILED):
        assert time.monotonic() < deadline, "the worker never finished the run"
        time.sleep(0.3)
    report = AuditRun.objects.get(pk=run.pk).report
    last_compliance = AuditEvent.objects.latest("id")
    assert TrailCheckpoint.objects.latest("id").event_id == last_compliance.pk  # signed by the worker, as it wrote

    report_record_view(user=auditor, report=report, via="web")
    assert trail_checkpoint_task() is not None  # folds the view into the trail, checkpointed
    assert AuditEvent.objects.get(action="report.views_recorded").after["count"] == 1
    review = review_start(user=reviewer, review=review_submit(user=auditor, report=report))
    result = trail_verify()
    assert result.ok and result.checkpoint["event_count"] == AuditEvent.objects.count() == result.checked

    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")
        cursor.execute("UPDATE audits_reportreview SET status = 'rejected' WHERE id = %s", [review.pk])
        cursor.execute("SET session_replication_role = origin")
    result = trail_verify()
    assert (result.ok, result.broken_object) == (False, f"review {review.pk} (report {report.pk})")
    assert result.reason == "its status is 'rejected' but its entries say 'in_review'"
