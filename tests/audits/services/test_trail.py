"""The trail (audits/services/trail.py): its hash chain and every signature verify, and an entry or a signature
edited behind the triggers' back is named exactly, by the service, the command and the API."""

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from audits.choices import ReviewAction
from audits.models import AuditEvent
from audits.services.reviews import review_decide, review_start, review_submit
from audits.services.signatures import report_sign
from audits.services.trail import trail_verify
from tests.audits.services.helpers import make_run


def _edit_behind_the_triggers(event_id: int) -> None:
    """What a superuser could do: switch triggers off for the session and rewrite an entry."""
    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")
        cursor.execute("UPDATE audits_auditevent SET actor_label = 'mallory' WHERE id = %s", [event_id])
        cursor.execute("SET session_replication_role = origin")


def test_untouched_trail_verifies(auditor, workspace, capsys):
    make_run(auditor, workspace)

    result = trail_verify()

    assert result.ok and result.checked == AuditEvent.objects.count() > 5
    call_command("verify_trail")
    assert "Trail intact" in capsys.readouterr().out


def test_edited_entry_is_named_by_the_command_and_the_api(auditor, workspace, client):
    make_run(auditor, workspace)
    events = list(AuditEvent.objects.order_by("id").values_list("id", flat=True))
    target = events[len(events) // 2]

    _edit_behind_the_triggers(target)

    result = trail_verify()
    assert (result.ok, result.first_broken_id, result.checked) == (False, target, events.index(target))
    with pytest.raises(CommandError, match=f"Trail broken at event {target}: content does not match"):
        call_command("verify_trail")
    auditor.is_staff = True
    auditor.save()
    client.force_login(auditor)
    body = client.get("/api/v1/trail/verify/").json()
    assert body["ok"] is False and body["first_broken_id"] == target


def _flip(text: str, position: int, bit: int = 0) -> bytes:
    data = bytearray(text.encode("utf-8"))
    data[position] ^= 1 << bit
    return bytes(data)


def _edit_signature_behind_the_triggers(signature_id: int, envelope_json: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")
        cursor.execute(
            "UPDATE audits_reportsignature SET envelope_json = %s WHERE id = %s", [envelope_json, signature_id]
        )
        cursor.execute("SET session_replication_role = origin")


def test_trail_verification_checks_every_signature_and_names_an_edited_one(report, reviewer, client, auditor, capsys):
    first = report_sign(report=report)
    # The approval through the review services: a review made behind them is itself an inconsistency now.
    review = review_start(user=reviewer, review=review_submit(user=auditor, report=report))
    review_decide(user=reviewer, review=review, decision=ReviewAction.APPROVE)
    second = report.signatures.get(kind="approval")
    total = report.signatures.count()

    result = trail_verify()
    assert (result.ok, result.signatures_checked) == (True, total) and total >= 2
    call_command("verify_trail")
    assert f"{total} signatures verified" in capsys.readouterr().out

    _edit_signature_behind_the_triggers(second.pk, _flip(second.envelope_json, len(second.envelope_json) - 10).decode())

    result = trail_verify()
    assert (result.ok, result.first_broken_signature_id, result.first_broken_id) == (False, second.pk, None)
    assert result.signatures_checked == total - 1 and "signature invalid" in result.reason and first.pk < second.pk
    with pytest.raises(CommandError, match=f"Signature {second.pk} does not verify: signature invalid"):
        call_command("verify_trail")
    auditor.is_staff = True
    auditor.save()
    client.force_login(auditor)
    body = client.get("/api/v1/trail/verify/").json()
    assert body["ok"] is False and body["first_broken_signature_id"] == second.pk
