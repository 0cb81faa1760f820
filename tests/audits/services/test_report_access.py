"""Report views at scale (audits/services/report_access.py): a view is a row of the access log, written without the
chain's lock; the periodic task folds new rows into the chain, one report.views_recorded event per workspace and
batch with the rows' sha256; verify_trail names a folded row that was changed, removed or added."""

import hashlib
import threading

import psycopg
import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django.test import Client

from audits.canonical import canonical_dumps
from audits.choices import EventAction
from audits.models import AuditEvent, ReportAccess, TrailCheckpoint
from audits.models.immutable import ImmutableRecordError
from audits.services import events, report_access
from audits.services.events import event_record
from audits.services.report_access import access_row_payload, report_views_fold
from audits.services.reports import report_record_view
from audits.services.trail import trail_verify
from audits.tasks import trail_checkpoint_task
from tests.audits.factories import AuditReportFactory


@pytest.fixture
def other_report(outsider, other_workspace):
    return AuditReportFactory(user=outsider, workspace=other_workspace)


def _tamper(sql: str, params: list) -> None:
    """What a database superuser can do: the append-only triggers switched off for one statement."""
    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")
        cursor.execute(sql, params)
        cursor.execute("SET session_replication_role = origin")


def test_a_view_is_an_access_log_row_not_a_chain_event(report, auditor):
    events_before, checkpoints_before = AuditEvent.objects.count(), TrailCheckpoint.objects.count()

    report_record_view(user=auditor, report=report, via="api", request_id="req-7")

    row = ReportAccess.objects.get()
    assert (row.workspace_id, row.report_id, row.actor_id, row.actor_label) == (
        report.workspace_id,
        report.pk,
        auditor.pk,
        auditor.username,
    )
    assert (row.via, row.request_id, row.sha256) == ("api", "req-7", report.sha256)
    assert (AuditEvent.objects.count(), TrailCheckpoint.objects.count()) == (events_before, checkpoints_before)
    assert trail_verify().ok  # a row not folded yet is pending, not a fault


def test_folding_writes_one_checkpointed_event_per_workspace_with_the_rows_digest(
    report, other_report, auditor, outsider
):
    report_record_view(user=auditor, report=report, via="web")
    report_record_view(user=outsider, report=other_report, via="api")
    report_record_view(user=auditor, report=report, via="api")
    rows = list(ReportAccess.objects.order_by("id"))

    folded = report_views_fold()

    assert [e.workspace_id for e in folded] == sorted([report.workspace_id, other_report.workspace_id])
    mine = next(e for e in folded if e.workspace_id == report.workspace_id)
    expected = [r for r in rows if r.workspace_id == report.workspace_id]
    lines = b"".join(canonical_dumps(access_row_payload(r)).encode() + b"\n" for r in expected)
    assert mine.action == EventAction.REPORT_VIEWS_RECORDED and mine.object_id == str(report.workspace_id)
    assert mine.after == {
        "from": 0,
        "to": rows[-1].pk,
        "count": 2,
        "reports": 1,
        "sha256": hashlib.sha256(lines).hexdigest(),  # recomputed by hand, not by the service
    }
    assert TrailCheckpoint.objects.latest("id").event_id == AuditEvent.objects.latest("id").pk == folded[-1].pk
    assert report_views_fold() == []  # nothing new
    result = trail_verify()
    assert result.ok and result.checked == AuditEvent.objects.count()


def test_batches_follow_one_another_and_the_periodic_task_folds_them(report, auditor):
    report_record_view(user=auditor, report=report, via="web")
    first = report_views_fold()[0]
    report_record_view(user=auditor, report=report, via="web")
    report_record_view(user=auditor, report=report, via="web")

    assert trail_checkpoint_task() == TrailCheckpoint.objects.latest("id").pk
    second = AuditEvent.objects.filter(action=EventAction.REPORT_VIEWS_RECORDED).latest("id")
    assert (second.after["from"], second.after["to"], second.after["count"]) == (
        first.after["to"],
        ReportAccess.objects.latest("id").pk,
        2,
    )
    assert trail_checkpoint_task() is None and trail_verify().ok


def test_a_fold_larger_than_a_batch_is_cut_and_the_rest_left_for_the_next(report, auditor):
    for _ in range(5):
        report_record_view(user=auditor, report=report, via="web")
    ids = list(ReportAccess.objects.order_by("id").values_list("id", flat=True))

    first = report_views_fold(batch_rows=3)
    second = report_views_fold(batch_rows=3)

    assert [(e.after["from"], e.after["to"], e.after["count"]) for e in first + second] == [
        (0, ids[2], 3),
        (ids[2], ids[4], 2),
    ]
    assert trail_verify().ok


def test_a_folded_row_changed_by_a_superuser_is_named(report, auditor):
    report_record_view(user=auditor, report=report, via="web")
    report_record_view(user=auditor, report=report, via="web")
    event = report_views_fold()[0]
    row = ReportAccess.objects.order_by("id").first()

    _tamper("UPDATE audits_reportaccess SET actor_label = 'someone-else' WHERE id = %s", [row.pk])

    result = trail_verify()
    assert (result.ok, result.broken_object) == (
        False,
        f"report views of workspace {report.workspace_id} (event {event.pk})",
    )
    assert result.reason == (
        f"the rows in access-log ids (0, {event.after['to']}] do not match the sha256 its event states: "
        "a row was changed or replaced"
    )


def test_a_folded_row_deleted_by_a_superuser_is_named_and_verify_trail_fails(report, auditor):
    report_record_view(user=auditor, report=report, via="web")
    report_record_view(user=auditor, report=report, via="api")
    event = report_views_fold()[0]

    _tamper("DELETE FROM audits_reportaccess WHERE id = %s", [ReportAccess.objects.latest("id").pk])

    result = trail_verify()
    assert result.broken_object == f"report views of workspace {report.workspace_id} (event {event.pk})"
    assert (
        result.reason
        == f"1 row(s) in access-log ids (0, {event.after['to']}], its event states 2: rows were removed or added"
    )
    with pytest.raises(CommandError, match=rf"report views of workspace {report.workspace_id} \(event {event.pk}\)"):
        call_command("verify_trail")


def test_a_row_forged_into_a_folded_batch_is_named(report, other_report, auditor):
    report_record_view(user=auditor, report=report, via="web")
    with connection.cursor() as cursor:  # leave a gap in the ids, as a rolled-back view does
        cursor.execute("SELECT setval(pg_get_serial_sequence('audits_reportaccess', 'id'), %s)", [10_000])
    report_record_view(user=auditor, report=report, via="web")
    report_views_fold()
    row = ReportAccess.objects.order_by("id").first()

    _tamper(
        "INSERT INTO audits_reportaccess (id, workspace_id, report_id, actor_id, actor_label, via, request_id, sha256,"
        " created_at) VALUES (%s, %s, %s, NULL, 'ghost', 'web', '', %s, %s)",
        [row.pk + 1, other_report.workspace_id, other_report.pk, other_report.sha256, row.created_at],
    )

    result = trail_verify()
    assert result.broken_object.startswith(f"report views of workspace {other_report.workspace_id} (event ")
    assert result.reason.endswith("are in no report.views_recorded event: rows were added after folding")


def test_access_rows_are_append_only(report, auditor):
    report_record_view(user=auditor, report=report, via="web")
    row = ReportAccess.objects.get()

    with pytest.raises(ImmutableRecordError):
        ReportAccess.objects.filter(pk=row.pk).update(via="api")
    with pytest.raises(ImmutableRecordError):
        row.delete()
    for sql in ("UPDATE audits_reportaccess SET via = 'api'", "DELETE FROM audits_reportaccess"):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql)


def test_a_view_does_not_wait_for_the_chain_lock_which_any_event_does(transactional_db, auditor, workspace):
    """Another session holds the chain's lock (as a long compliance transaction would): a view still records, an
    event cannot (lock_timeout turns the wait into an error instead of a hang)."""
    report = AuditReportFactory(user=auditor, workspace=workspace)
    settings = connection.settings_dict
    holder = psycopg.connect(
        host=settings["HOST"], port=settings["PORT"] or 5432, user=settings["USER"], dbname=settings["NAME"],
        autocommit=True,
    )  # fmt: skip
    try:
        holder.execute("SET lock_timeout = '20s'")
        holder.execute("SELECT pg_advisory_lock(%s)", [events._CHAIN_LOCK_KEY])
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = '2s'")
        report_record_view(user=auditor, report=report, via="web")
        assert ReportAccess.objects.filter(report=report).count() == 1
        with pytest.raises(DatabaseError, match="lock timeout"), transaction.atomic():
            event_record(action=EventAction.REPORT_VIEWED, obj=report, actor=auditor, workspace=report.workspace)
    finally:
        holder.close()
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = 0")


def test_concurrent_views_from_many_threads_are_all_folded(transactional_db, auditor, workspace):
    report = AuditReportFactory(user=auditor, workspace=workspace)

    def view():
        try:
            for _ in range(5):
                report_record_view(user=auditor, report=report, via="api")
        finally:
            connection.close()

    threads = [threading.Thread(target=view) for _ in range(6)]
    for thread in threads:
        thread.start()
    folds = []
    while any(t.is_alive() for t in threads):
        folds += report_views_fold()  # folds while views are being written
    folds += report_views_fold()

    assert sum(e.after["count"] for e in folds) == ReportAccess.objects.count() == 30
    assert trail_verify().ok


def test_the_report_page_counts_the_views(report, auditor):
    report_record_view(user=auditor, report=report, via="api")
    client = Client()
    client.force_login(auditor)

    page = client.get(f"/reports/{report.pk}/")

    assert page.status_code == 200 and "Opened 2 times" in page.content.decode()  # the API's opening and this one
    assert list(ReportAccess.objects.values_list("via", flat=True)) == ["api", "web"]


def test_the_access_lock_is_not_the_chain_lock():
    assert report_access._ACCESS_LOCK_KEY != events._CHAIN_LOCK_KEY


def test_the_trail_page_shows_a_folded_batch_in_words(report, auditor):
    report_record_view(user=auditor, report=report, via="web")
    report_record_view(user=auditor, report=report, via="api")
    event = report_views_fold()[0]
    client = Client()
    client.force_login(auditor)

    page = client.get("/trail/?action=report.views_recorded").content.decode()

    assert "Report views recorded" in page and "2 openings of 1 report" in page
    assert f"access-log ids {event.after['from'] + 1}–{event.after['to']}" in page
