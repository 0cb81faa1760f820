"""API tokens: created (replacing the old one), revoked, both in the trail without the key; the new token
authenticates the API and a revoked one does not."""

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from audits.exceptions import ApplicationError
from audits.models import AuditEvent
from audits.services.tokens import token_create, token_revoke


def test_token_create_records_an_event_about_the_user_and_never_the_key(auditor, workspace):
    token = token_create(user=auditor)

    assert Token.objects.get(user=auditor).key == token.key
    event = AuditEvent.objects.get(action="token.created")
    assert (event.object_type, event.object_id, event.actor_id, event.workspace_id) == (
        "User",
        str(auditor.pk),
        auditor.pk,
        None,
    )
    assert event.after == {"replaced": False}
    assert token.key not in str(event.before) + str(event.after) + event.object_id


def test_a_new_token_replaces_the_old_one(auditor, workspace):
    old = token_create(user=auditor).key

    new = token_create(user=auditor).key

    assert new != old and list(Token.objects.filter(user=auditor).values_list("key", flat=True)) == [new]
    assert AuditEvent.objects.filter(action="token.created").latest("id").after == {"replaced": True}
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {old}")
    assert client.get("/api/v1/workspaces/").status_code in (401, 403)  # refused (403: session auth is listed first)
    client.credentials(HTTP_AUTHORIZATION=f"Token {new}")
    assert client.get("/api/v1/workspaces/").status_code == 200


def test_token_revoke_deletes_the_token_and_records_it(auditor, workspace):
    key = token_create(user=auditor).key

    token_revoke(user=auditor)

    assert not Token.objects.filter(user=auditor).exists()
    event = AuditEvent.objects.get(action="token.revoked")
    assert (event.object_type, event.object_id, event.actor_id) == ("User", str(auditor.pk), auditor.pk)
    assert set(event.before) == {"created"}
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert client.get("/api/v1/workspaces/").status_code in (401, 403)  # refused (403: session auth is listed first)


def test_revoking_without_a_token_is_refused_and_writes_nothing(auditor):
    events = AuditEvent.objects.count()

    with pytest.raises(ApplicationError, match="no API token"):
        token_revoke(user=auditor)

    assert AuditEvent.objects.count() == events
