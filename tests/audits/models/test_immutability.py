"""Reports and trail events cannot be changed: the ORM refuses, and PostgreSQL triggers refuse raw SQL."""

import pytest
from django.db import DatabaseError, connection, transaction

from audits.models import AuditEvent, AuditReport
from audits.models.immutable import ImmutableRecordError
from tests.audits.factories import AuditReportFactory


@pytest.fixture
def report(auditor, workspace):
    return AuditReportFactory(user=auditor, workspace=workspace)


def test_orm_refuses_to_save_update_or_delete_a_report(report):
    report.canonical_json = "{}"
    with pytest.raises(ImmutableRecordError):
        report.save()
    with pytest.raises(ImmutableRecordError):
        AuditReport.objects.filter(pk=report.pk).update(sha256="0" * 64)
    with pytest.raises(ImmutableRecordError):
        report.delete()
    with pytest.raises(ImmutableRecordError):
        AuditReport.objects.filter(pk=report.pk).delete()


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE audits_auditreport SET canonical_json = '{}' WHERE id = %s",
        "DELETE FROM audits_auditreport WHERE id = %s",
        "UPDATE audits_auditevent SET actor_label = 'mallory' WHERE id > %s",
        "DELETE FROM audits_auditevent WHERE id > %s",
    ],
)
def test_postgresql_refuses_raw_sql_changes(report, sql):
    assert connection.vendor == "postgresql"
    original = AuditReport.objects.get(pk=report.pk).canonical_json
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, [report.pk if "auditreport" in sql else 0])
    assert AuditReport.objects.get(pk=report.pk).canonical_json == original


@pytest.mark.django_db(transaction=True)  # committed rows: TRUNCATE meets the trigger, not pending FK checks
@pytest.mark.parametrize("table", ["audits_auditreport", "audits_auditevent"])
def test_postgresql_refuses_truncate(report, table):
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {table} CASCADE")
    assert AuditReport.objects.count() == 1 and AuditEvent.objects.count() > 0


def test_trail_events_are_chained(report):
    events = list(AuditEvent.objects.order_by("id"))
    assert events[0].prev_hash == "0" * 64
    assert all(later.prev_hash == earlier.hash for earlier, later in zip(events, events[1:], strict=False))
