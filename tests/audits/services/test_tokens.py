"""API tokens (knox): created with a scope, a name and an expiry, several per user, hashed at rest; revoked one by
one; both in the trail without the key. A revoked or expired token is refused (401)."""

from datetime import timedelta

import pytest
from django.utils import timezone
from knox.models import AuthToken
from rest_framework.test import APIClient

from audits.exceptions import ApplicationError, NotFoundError
from audits.models import ApiTokenScope, AuditEvent
from audits.services.tokens import token_create, token_revoke


def _client(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def test_token_create_stores_only_a_digest_and_records_an_event_without_the_key(auditor, workspace, settings):
    token, key = token_create(user=auditor, scope="read", name="GRC pull")

    stored = AuthToken.objects.get(user=auditor)
    assert key not in stored.digest and len(stored.digest) == 128  # SHA-512 of the key, never the key
    assert ApiTokenScope.objects.get(token=stored).scope == "read"
    expected = timezone.now() + timedelta(days=settings.AUDIT_TOKEN_TTL_DAYS)
    assert abs((stored.expiry - expected).total_seconds()) < 60
    event = AuditEvent.objects.get(action="token.created")
    assert (event.object_type, event.object_id, event.actor_id, event.workspace_id) == (
        "User",
        str(auditor.pk),
        auditor.pk,
        None,
    )
    assert event.after == {"scope": "read", "name": "GRC pull", "expiry": stored.expiry.isoformat(), "via": "web"}
    assert key not in str(event.before) + str(event.after) + event.object_id
    assert key[:15] not in str(event.after)


def test_a_user_holds_several_tokens_and_revoking_one_keeps_the_other(auditor, workspace):
    _, first = token_create(user=auditor, name="one")
    second_token, second = token_create(user=auditor, name="two")
    first_id = AuthToken.objects.get(user=auditor, token_key=first[:15]).token_key

    token_revoke(user=auditor, token_id=first_id)

    assert _client(first).get("/api/v1/workspaces/").status_code == 401
    assert _client(second).get("/api/v1/workspaces/").status_code == 200
    event = AuditEvent.objects.get(action="token.revoked")
    assert (event.object_type, event.object_id, event.actor_id) == ("User", str(auditor.pk), auditor.pk)
    assert set(event.before) == {"created", "scope", "name"} and event.before["name"] == "one"


def test_an_expired_token_is_refused_with_401(auditor, workspace):
    token, key = token_create(user=auditor)
    AuthToken.objects.filter(pk=token.pk).update(expiry=timezone.now() - timedelta(seconds=1))

    response = _client(key).get("/api/v1/reports/")

    assert response.status_code == 401 and response.json()["errors"][0]["code"] == "authentication_failed"
    assert not AuthToken.objects.filter(pk=token.pk).exists()  # knox deletes it on use


def test_revoking_another_users_token_is_not_found_and_writes_nothing(auditor, reviewer, workspace):
    token, key = token_create(user=reviewer)
    events = AuditEvent.objects.count()

    with pytest.raises(NotFoundError, match="no API token"):
        token_revoke(user=auditor, token_id=token.token_key)

    assert AuditEvent.objects.count() == events and _client(key).get("/api/v1/workspaces/").status_code == 200


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [({"scope": "admin"}, "scope"), ({"expires_in_days": 0}, "expires_in_days"), ({"name": "x" * 101}, "name")],
)
def test_bad_token_requests_are_refused_and_write_nothing(auditor, kwargs, field):
    events = AuditEvent.objects.count()

    with pytest.raises(ApplicationError) as refused:
        token_create(user=auditor, **kwargs)

    assert refused.value.field == field
    assert AuditEvent.objects.count() == events and not AuthToken.objects.exists()


def test_the_number_of_live_tokens_per_user_is_bounded(auditor, settings):
    settings.AUDIT_TOKEN_LIMIT_PER_USER = 2
    token_create(user=auditor)
    token_create(user=auditor)

    with pytest.raises(ApplicationError, match="already have 2 API tokens"):
        token_create(user=auditor)
