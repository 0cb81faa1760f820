"""Each tampering of issue 14, done as a database superuser with the triggers switched off, is named by
verify_trail: the object and the reason (design.md section 7). The intact trail verifies, checkpoint included."""

import json
import re

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from audits.canonical import canonical_dumps, sha256_hex
from audits.choices import ReviewAction, Role
from audits.models import AuditEvent, AuditReport, Membership, ReportSignature, TrailCheckpoint
from audits.services.events import event_hash
from audits.services.reviews import review_decide, review_start, review_submit
from audits.services.trail import trail_verify
from audits.services.workspaces import membership_set
from tests.audits.factories import UserFactory


def _as_superuser(*statements: tuple[str, list]) -> None:
    """What a superuser can do: switch every trigger off for the session (replica mode) and write."""
    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")
        for sql, params in statements:
            cursor.execute(sql, params)
        cursor.execute("SET session_replication_role = origin")


@pytest.fixture
def viewer(workspace, auditor):
    user = UserFactory(username="vera-viewer")
    membership_set(workspace=workspace, user=user, role=Role.VIEWER, actor=auditor)
    return user


@pytest.fixture
def approved(report, auditor, reviewer, viewer):
    """A report approved through the services, a viewer in its workspace, and the trail's head signed."""
    review = review_start(user=reviewer, review=review_submit(user=auditor, report=report))
    review_decide(user=reviewer, review=review, decision=ReviewAction.APPROVE)
    assert TrailCheckpoint.objects.latest("id").event_id == AuditEvent.objects.latest("id").pk  # signed as written
    return report


def _broken(result) -> tuple[bool, str, str]:
    return result.ok, result.broken_object, result.reason


def test_an_untouched_trail_verifies_with_its_checkpoint(approved, client, auditor, capsys):
    checkpoint = TrailCheckpoint.objects.latest("id")

    result = trail_verify()

    assert result.ok and result.checked == AuditEvent.objects.count() == checkpoint.event_count
    assert result.signatures_checked == 2 and result.broken_object == "" and result.reason == ""
    assert result.checkpoint["id"] == checkpoint.pk and result.checkpoint["event_id"] == checkpoint.event_id
    call_command("verify_trail")
    out = capsys.readouterr().out
    assert "Trail intact" in out and f"reaches signed checkpoint {checkpoint.pk}" in out
    auditor.is_staff = True
    auditor.save(update_fields=["is_staff"])
    client.force_login(auditor)
    response = client.get("/api/v1/trail/verify/")
    assert response.status_code == 200 and response.json()["ok"] is True
    assert response.json()["checkpoint"]["event_count"] == checkpoint.event_count


def test_deleting_the_last_five_events_is_named_against_the_checkpoint(approved):
    checkpoint = TrailCheckpoint.objects.latest("id")
    ids = list(AuditEvent.objects.order_by("-id").values_list("id", flat=True))
    _as_superuser(("DELETE FROM audits_auditevent WHERE id >= %s", [ids[4]]))

    result = trail_verify()

    assert _broken(result) == (
        False,
        f"checkpoint {checkpoint.pk}",
        f"names event {ids[0]} ({checkpoint.event_count} events) but the chain ends at event {ids[5]} "
        f"({checkpoint.event_count - 5} events): events were removed from the end of the trail",
    )
    with pytest.raises(CommandError, match=f"Trail inconsistent at checkpoint {checkpoint.pk}: names event {ids[0]}"):
        call_command("verify_trail")


def test_a_report_replaced_with_its_sha256_recomputed_and_its_signature_deleted_is_named(report):
    document = json.loads(report.canonical_json)
    for result in document["results"]:
        result["verdict"] = "pass"
    document["summary"]["verdicts"] = {"pass": len(document["results"])}
    text = canonical_dumps(document)
    assert text != report.canonical_json
    created = AuditEvent.objects.get(action="report.created", object_id=str(report.pk))
    _as_superuser(
        (
            "UPDATE audits_auditreport SET canonical_json = %s, sha256 = %s WHERE id = %s",
            [text, sha256_hex(text), report.pk],
        ),
        ("DELETE FROM audits_reportsignature WHERE report_id = %s", [report.pk]),
    )

    result = trail_verify()

    assert _broken(result) == (
        False,
        f"report {report.pk}",
        f"its sha256 is not the one its report.created event {created.pk} recorded "
        "(the report was replaced and its sha256 recomputed)",
    )


def test_a_report_whose_signature_alone_is_deleted_is_named(report):
    signature = report.signatures.get()
    signed = AuditEvent.objects.get(action="report.signed", object_id=str(report.pk))
    _as_superuser(("DELETE FROM audits_reportsignature WHERE id = %s", [signature.pk]))

    assert _broken(trail_verify()) == (
        False,
        f"report {report.pk}",
        f"its report signature {signature.pk} (event {signed.pk}) is missing from the database",
    )


def test_review_statuses_changed_to_approved_are_named(report, auditor, reviewer):
    review = review_start(user=reviewer, review=review_submit(user=auditor, report=report))
    _as_superuser(
        (
            "UPDATE audits_reportreview SET status = 'approved', decided_by_id = %s, decided_at = now() WHERE id = %s",
            [reviewer.pk, review.pk],
        )
    )

    assert _broken(trail_verify()) == (
        False,
        f"review {review.pk} (report {report.pk})",
        "its status is 'approved' but its entries say 'in_review'",
    )


def test_deleting_an_approval_signature_is_named(approved):
    approval = ReportSignature.objects.get(report=approved, kind="approval")
    signed = AuditEvent.objects.get(action="report.approval_signed")
    _as_superuser(("DELETE FROM audits_reportsignature WHERE id = %s", [approval.pk]))

    assert _broken(trail_verify()) == (
        False,
        f"report {approved.pk}",
        f"its approval signature {approval.pk} (event {signed.pk}) is missing from the database",
    )


def _rechain_from(events: list[AuditEvent], index: int) -> list[tuple[str, list]]:
    """The UPDATEs that rewrite events[index:] so that every link holds again (sha256 needs no key)."""
    statements = []
    previous = events[index - 1].hash
    for event in events[index:]:
        event.prev_hash = previous
        event.hash = previous = event_hash(event)
        statements.append(
            (
                "UPDATE audits_auditevent SET after = %s::jsonb, prev_hash = %s, hash = %s WHERE id = %s",
                [json.dumps(event.after), event.prev_hash, event.hash, event.pk],
            )
        )
    return statements


def test_a_forged_event_with_the_chain_recomputed_is_named_against_the_checkpoint(approved, viewer):
    checkpoint = TrailCheckpoint.objects.latest("id")
    events = list(AuditEvent.objects.order_by("id"))
    forged = next(i for i, e in enumerate(events) if e.action == "membership.set" and e.after["user"] == "vera-viewer")
    events[forged].after = {**events[forged].after, "role": "admin"}
    _as_superuser(*_rechain_from(events, forged))
    assert trail_verify().first_broken_id is None  # the chain itself holds again

    assert _broken(trail_verify()) == (
        False,
        f"checkpoint {checkpoint.pk}",
        f"the chain's hash at event {checkpoint.event_id} is not the signed one: the trail was re-chained "
        "(an entry forged or changed and every later hash recomputed)",
    )


def test_a_forged_event_appended_after_the_last_checkpoint_is_named(approved, viewer):
    head = AuditEvent.objects.latest("id")
    membership = Membership.objects.get(user=viewer)
    forged = AuditEvent(
        workspace_id=head.workspace_id,
        actor_id=head.actor_id,
        actor_label="alice-auditor",
        action="membership.set",
        object_type="Membership",
        object_id=str(membership.pk),
        before={"role": "viewer"},
        after={"user": "vera-viewer", "role": "admin"},
        created_at=head.created_at,
        prev_hash=head.hash,
    )
    forged.hash = event_hash(forged)
    columns = "workspace_id, actor_id, actor_label, action, object_type, object_id, request_id, task_id, before, after"
    _as_superuser(
        (
            f"INSERT INTO audits_auditevent ({columns}, created_at, prev_hash, hash) "
            "VALUES (%s, %s, %s, %s, %s, %s, '', '', %s::jsonb, %s::jsonb, %s, %s, %s)",
            [
                forged.workspace_id,
                forged.actor_id,
                forged.actor_label,
                forged.action,
                forged.object_type,
                forged.object_id,
                json.dumps(forged.before),
                json.dumps(forged.after),
                forged.created_at,
                forged.prev_hash,
                forged.hash,
            ],
        ),
        ("UPDATE audits_membership SET role = 'admin' WHERE id = %s", [membership.pk]),
    )
    result = trail_verify()

    assert result.first_broken_id is None and result.broken_object.startswith("event ")
    assert int(result.broken_object.split()[1]) == AuditEvent.objects.latest("id").pk
    assert "membership.set of " in result.reason and "is not covered by a signed checkpoint" in result.reason


def test_a_role_changed_behind_the_services_is_named_by_the_service_the_command_and_the_api(
    approved, viewer, workspace, auditor, client
):
    membership = Membership.objects.get(user=viewer)
    last = AuditEvent.objects.filter(action="membership.set", object_id=str(membership.pk)).latest("id")
    _as_superuser(("UPDATE audits_membership SET role = 'admin' WHERE id = %s", [membership.pk]))
    named = f"membership {membership.pk} (vera-viewer in workspace {workspace.pk})"
    reason = f"role is 'admin' but the trail says 'viewer' (event {last.pk})"

    assert _broken(trail_verify()) == (False, named, reason)
    with pytest.raises(CommandError, match=rf"Trail inconsistent at {re.escape(named)}: {re.escape(reason)}\."):
        call_command("verify_trail")
    auditor.is_staff = True
    auditor.save(update_fields=["is_staff"])
    client.force_login(auditor)
    response = client.get("/api/v1/trail/verify/")
    assert response.status_code == 200
    assert (response.json()["ok"], response.json()["broken_object"], response.json()["reason"]) == (
        False,
        named,
        reason,
    )


def test_a_member_deleted_or_added_behind_the_services_is_named(approved, viewer, workspace):
    membership = Membership.objects.get(user=viewer)
    last = AuditEvent.objects.filter(action="membership.set", object_id=str(membership.pk)).latest("id")
    _as_superuser(("DELETE FROM audits_membership WHERE id = %s", [membership.pk]))

    assert _broken(trail_verify()) == (
        False,
        f"membership {membership.pk} (vera-viewer in workspace {workspace.pk})",
        f"was deleted without a membership.removed event (event {last.pk} gave it role 'viewer')",
    )

    intruder = UserFactory(username="ivan-intruder")
    added = Membership.objects.create(workspace=workspace, user=intruder, role=Role.ADMIN)
    assert _broken(trail_verify()) == (
        False,
        f"membership {added.pk} (ivan-intruder in workspace {workspace.pk})",
        "role 'admin' is not in the trail (no membership.set event)",
    )


def test_a_report_deleted_with_its_rows_is_named(approved):
    created = AuditEvent.objects.get(action="report.created", object_id=str(approved.pk))
    _as_superuser(
        ("DELETE FROM audits_reportsignature WHERE report_id = %s", [approved.pk]),
        (
            "DELETE FROM audits_reviewentry WHERE review_id IN "
            "(SELECT id FROM audits_reportreview WHERE report_id = %s)",
            [approved.pk],
        ),
        ("DELETE FROM audits_reportreview WHERE report_id = %s", [approved.pk]),
        ("DELETE FROM audits_reportverdictcounts WHERE report_id = %s", [approved.pk]),
        ("DELETE FROM audits_reportrendering WHERE report_id = %s", [approved.pk]),
        ("DELETE FROM audits_auditreport WHERE id = %s", [approved.pk]),
    )
    assert not AuditReport.objects.exists()

    assert _broken(trail_verify()) == (
        False,
        f"report {approved.pk}",
        f"is in the trail (event {created.pk}) but missing from the database",
    )
