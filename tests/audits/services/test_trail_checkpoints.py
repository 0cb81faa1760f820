"""Signed checkpoints of the trail's head (audits/services/checkpoints.py): one with each compliance event, in its
transaction; none per report view (the periodic task folds them into the trail); exported to a file that
verify_trail checks even when the database lost its own checkpoints."""

import json

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.core.management import CommandError, call_command
from django.db import connection

from audits.choices import Role
from audits.models import AuditEvent, TrailCheckpoint
from audits.services import checkpoints, events
from audits.services.checkpoints import CHECKPOINT_PREDICATE_TYPE, checkpoint_latest, trail_checkpoint_create
from audits.services.reports import report_record_view
from audits.services.trail import trail_verify
from audits.services.workspaces import membership_set
from audits.signing import dsse
from audits.signing.keys import public_key_pem
from audits.tasks import trail_checkpoint_task
from tests.audits.factories import UserFactory


def test_a_compliance_event_is_checkpointed_in_its_own_transaction(
    workspace, auditor, django_capture_on_commit_callbacks
):
    before = TrailCheckpoint.objects.count()
    with django_capture_on_commit_callbacks() as callbacks:
        membership_set(workspace=workspace, user=UserFactory(username="nina"), role=Role.VIEWER, actor=auditor)

    event = AuditEvent.objects.latest("id")
    checkpoint = TrailCheckpoint.objects.latest("id")
    assert event.action == "membership.set" and callbacks == [] and TrailCheckpoint.objects.count() == before + 1
    assert (checkpoint.event_id, checkpoint.event_hash, checkpoint.event_count) == (
        event.pk,
        event.hash,
        AuditEvent.objects.count(),
    )
    statement = dsse.verify_envelope(checkpoint.envelope_json, public_key_pem())
    assert statement["predicateType"] == CHECKPOINT_PREDICATE_TYPE
    assert statement["predicate"]["event_count"] == AuditEvent.objects.count()
    assert dsse.subject_digests(statement) == {event.hash: f"audit-trail-event-{event.pk}"}


def test_each_checkpoint_counts_on_from_the_previous_one_and_an_unmoved_head_is_not_signed_again(workspace, auditor):
    first = checkpoint_latest()
    assert trail_checkpoint_create() is None
    membership_set(workspace=workspace, user=UserFactory(username="nina"), role=Role.VIEWER, actor=auditor)
    membership_set(workspace=workspace, user=UserFactory(username="noor"), role=Role.VIEWER, actor=auditor)

    second = checkpoint_latest()

    assert second.event_count == first.event_count + 2 == AuditEvent.objects.count()
    assert second.pk == first.pk + 2 and trail_verify().checkpoint["id"] == second.pk


def test_report_views_are_left_to_the_periodic_task(report, auditor):
    signed = checkpoint_latest()
    report_record_view(user=auditor, report=report, via="web")

    assert checkpoint_latest().pk == signed.pk and trail_verify().ok  # a view needs no checkpoint of its own
    new_id = trail_checkpoint_task()
    folded = AuditEvent.objects.get(action="report.views_recorded")
    assert TrailCheckpoint.objects.get(pk=new_id).event_id == folded.pk == AuditEvent.objects.latest("id").pk
    assert trail_checkpoint_task() is None


def test_the_checkpoint_shares_the_chain_lock():
    assert checkpoints._CHAIN_LOCK_KEY == events._CHAIN_LOCK_KEY


def test_deleted_checkpoints_leave_the_first_compliance_event_uncovered(workspace):
    first = AuditEvent.objects.earliest("id")
    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")
        cursor.execute("DELETE FROM audits_trailcheckpoint")
        cursor.execute("SET session_replication_role = origin")

    result = trail_verify()

    assert (result.ok, result.broken_object, result.checkpoint) == (False, f"event {first.pk}", None)
    assert result.reason.startswith("workspace.created of ") and "not covered by a signed checkpoint" in result.reason
    trail_checkpoint_create()  # what an operator runs once after upgrading a trail written before checkpoints
    assert trail_verify().ok


def test_an_exported_checkpoint_catches_a_cut_the_database_no_longer_can(report, tmp_path, capsys):
    path = tmp_path / "checkpoint.dsse.json"
    call_command("trail_checkpoint", "--out", str(path))
    checkpoint = TrailCheckpoint.objects.latest("id")
    assert f"Checkpoint {checkpoint.pk} (event {checkpoint.event_id}" in capsys.readouterr().out
    assert json.loads(path.read_text()) == json.loads(checkpoint.envelope_json)
    call_command("verify_trail", "--checkpoint", str(path))
    assert "and the checkpoint file" in capsys.readouterr().out

    # Remove the report as if it never was: its events from report.created on, the checkpoints naming them, its
    # signature and its row. What stays is consistent, and the database's own latest checkpoint is reached.
    cut_from = AuditEvent.objects.get(action="report.created").pk
    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")
        cursor.execute("DELETE FROM audits_auditevent WHERE id >= %s", [cut_from])
        cursor.execute("DELETE FROM audits_trailcheckpoint WHERE event_id >= %s", [cut_from])
        cursor.execute("DELETE FROM audits_reportsignature")
        cursor.execute("DELETE FROM audits_reportverdictcounts")
        cursor.execute("DELETE FROM audits_reportrendering")
        cursor.execute("DELETE FROM audits_auditreport")
        cursor.execute("SET session_replication_role = origin")
    assert trail_verify().ok

    result = trail_verify(checkpoint_envelope=path.read_bytes())
    assert (result.ok, result.broken_object) == (False, "checkpoint file")
    assert result.reason.startswith(f"names event {checkpoint.event_id} ({checkpoint.event_count} events) but the")
    with pytest.raises(CommandError, match="Trail inconsistent at checkpoint file: names event"):
        call_command("verify_trail", "--checkpoint", str(path))


def test_a_checkpoint_file_signed_with_another_key_or_unreadable_is_refused(report, tmp_path):
    trail_checkpoint_create()
    head = AuditEvent.objects.latest("id")
    statement = dsse.statement(
        [{"name": "audit-trail", "sha256": head.hash}],
        CHECKPOINT_PREDICATE_TYPE,
        {"event_id": head.pk, "event_hash": head.hash, "event_count": 1, "signed_at": "2026-01-01T00:00:00+00:00"},
    )
    other = Ed25519PrivateKey.generate()
    forged = dsse.sign_envelope(statement, other, dsse.key_id(other.public_key()))

    result = trail_verify(checkpoint_envelope=json.dumps(forged))

    assert (result.ok, result.broken_object) == (False, "checkpoint file")
    assert result.reason.startswith("does not verify: no signature by key")
    with pytest.raises(CommandError, match="Cannot read the checkpoint file"):
        call_command("verify_trail", "--checkpoint", str(tmp_path / "missing.json"))


def test_a_checkpoint_row_edited_to_fit_a_shorter_trail_is_named(report):
    checkpoint = checkpoint_latest()
    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")
        cursor.execute("UPDATE audits_trailcheckpoint SET event_count = event_count - 1 WHERE id = %s", [checkpoint.pk])
        cursor.execute("SET session_replication_role = origin")

    result = trail_verify()

    assert (result.ok, result.broken_object) == (False, f"checkpoint {checkpoint.pk}")
    assert result.reason == (
        f"does not verify: its columns (event {checkpoint.event_id}, count {checkpoint.event_count - 1}) differ from "
        f"its signed statement (event {checkpoint.event_id}, count {checkpoint.event_count}): the row was edited"
    )


def test_the_trail_checkpoint_command_refuses_an_empty_trail(db):
    with pytest.raises(CommandError, match="The trail is empty"):
        call_command("trail_checkpoint")
