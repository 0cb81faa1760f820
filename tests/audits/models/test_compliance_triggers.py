"""Every table with compliance state is guarded by PostgreSQL (migration 0010): checkpoints are append-only, a
review's row takes only the status its entries imply, a membership changes only after the event recording it."""

import pytest
from django.db import DatabaseError, connection, transaction

from audits.choices import ReviewStatus, Role
from audits.models import Membership, ReportReview, TrailCheckpoint
from audits.services.reviews import review_start, review_submit
from audits.services.workspaces import membership_change_role, membership_remove, membership_set
from tests.audits.factories import AuditReportFactory, UserFactory


def _refused(sql: str, params: list, match: str) -> None:
    with pytest.raises(DatabaseError, match=match), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)


@pytest.fixture
def review(auditor, reviewer, workspace):
    report = AuditReportFactory(user=auditor, workspace=workspace)
    return review_submit(user=auditor, report=report)


def test_a_review_row_takes_only_the_status_its_entries_imply(review, reviewer):
    _refused(
        "UPDATE audits_reportreview SET status = 'approved' WHERE id = %s",
        [review.pk],
        "status approved is not what its append-only entries say \\(submitted\\)",
    )
    _refused("UPDATE audits_reportreview SET report_id = report_id + 1 WHERE id = %s", [review.pk], "only its status")
    _refused("DELETE FROM audits_reportreview WHERE id = %s", [review.pk], "append-only: DELETE refused")
    with pytest.raises(DatabaseError, match="not what its append-only entries say"), transaction.atomic():
        ReportReview.objects.filter(pk=review.pk).update(status=ReviewStatus.IN_REVIEW)

    review_start(user=reviewer, review=review)  # the service writes the entry first, then the row

    assert ReportReview.objects.get(pk=review.pk).status == ReviewStatus.IN_REVIEW
    _refused(
        "UPDATE audits_reportreview SET decided_by_id = %s WHERE id = %s",
        [reviewer.pk, review.pk],
        "decided_by is not the author of its decision entry",
    )


def test_a_membership_changes_only_after_its_trail_event(workspace, auditor):
    member = UserFactory(username="nina")
    membership = membership_set(workspace=workspace, user=member, role=Role.VIEWER, actor=auditor)

    _refused(
        "UPDATE audits_membership SET role = 'admin' WHERE id = %s",
        [membership.pk],
        "role admin needs its membership.set trail event first",
    )
    _refused(
        "DELETE FROM audits_membership WHERE id = %s", [membership.pk], "removed only after its membership.removed"
    )
    _refused("UPDATE audits_membership SET user_id = %s WHERE id = %s", [auditor.pk, membership.pk], "only its role")
    with pytest.raises(DatabaseError, match="needs its membership.set trail event"), transaction.atomic():
        Membership.objects.filter(pk=membership.pk).update(role=Role.ADMIN)

    admin = UserFactory(username="ada-admin")
    membership_set(workspace=workspace, user=admin, role=Role.ADMIN, actor=auditor)
    membership_change_role(workspace=workspace, user=member, role=Role.AUDITOR, actor=admin)
    assert Membership.objects.get(pk=membership.pk).role == Role.AUDITOR
    membership_remove(workspace=workspace, user=member, actor=admin)
    assert not Membership.objects.filter(pk=membership.pk).exists()


def test_checkpoints_cannot_be_changed_or_deleted(workspace):
    checkpoint = TrailCheckpoint.objects.latest("id")
    _refused("UPDATE audits_trailcheckpoint SET event_count = 0 WHERE id = %s", [checkpoint.pk], "append-only")
    _refused("DELETE FROM audits_trailcheckpoint WHERE id = %s", [checkpoint.pk], "append-only")
    assert TrailCheckpoint.objects.get(pk=checkpoint.pk).event_count == checkpoint.event_count


@pytest.mark.django_db(transaction=True)  # committed rows: TRUNCATE meets the trigger, not pending FK checks
@pytest.mark.parametrize("table", ["audits_reportreview", "audits_membership", "audits_trailcheckpoint"])
def test_postgresql_refuses_to_truncate_compliance_tables(review, table):
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {table} CASCADE")
    assert ReportReview.objects.count() == 1 and Membership.objects.exists() and TrailCheckpoint.objects.exists()
