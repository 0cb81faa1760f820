"""The trail's hash chain verifies, and an entry edited behind the triggers' back is named exactly."""

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from audits.models import AuditEvent
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


def test_trail_verification_is_for_staff_only(auditor_client, anonymous_client):
    assert auditor_client.get("/api/v1/trail/verify/").status_code == 403
    assert anonymous_client.get("/api/v1/trail/verify/").status_code in (401, 403)
