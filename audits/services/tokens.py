"""API tokens of a user (django-rest-knox): only a SHA-512 digest of the key is stored; each token expires, has a
scope (`full` acts as the user, `read` only reads) and can be revoked. A user may hold several (one per script or
integration), each listed with its name, scope, creation and expiry."""

from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from knox.models import AuthToken

from audits.choices import EventAction, TokenScope
from audits.exceptions import ApplicationError, NotFoundError
from audits.models import ApiTokenScope

from .events import event_record


def _live_tokens(user):
    return AuthToken.objects.filter(user=user).filter(Q(expiry__isnull=True) | Q(expiry__gt=timezone.now()))


@transaction.atomic
def token_create(
    *, user, scope: str = TokenScope.FULL, name: str = "", expires_in_days: int | None = None, via: str = "web"
) -> tuple[AuthToken, str]:
    """Give `user` a new API token. Returns (the token, its key): the key is shown to the user once and never
    stored (knox keeps its digest).

    Writes event token.created about the user with the scope, name and expiry (never the key: the trail is read
    by the workspace admins of the user's workspaces and kept forever). Raises ApplicationError for an anonymous
    user, an unknown scope, a lifetime outside 1..AUDIT_TOKEN_MAX_TTL_DAYS days, a name over 100 characters, or
    a user already holding AUDIT_TOKEN_LIMIT_PER_USER live tokens."""
    if not user.is_authenticated:
        raise ApplicationError("Log in to create an API token.")
    if scope not in TokenScope.values:
        raise ApplicationError(f"Scope must be one of {', '.join(TokenScope.values)}.", field="scope")
    days = settings.AUDIT_TOKEN_TTL_DAYS if expires_in_days is None else expires_in_days
    if not 1 <= days <= settings.AUDIT_TOKEN_MAX_TTL_DAYS:
        raise ApplicationError(f"A token lives 1 to {settings.AUDIT_TOKEN_MAX_TTL_DAYS} days.", field="expires_in_days")
    name = name.strip()
    if len(name) > 100:
        raise ApplicationError("A token name has at most 100 characters.", field="name")
    # Lock the user's row: two concurrent creations cannot both pass the limit.
    get_user_model().objects.select_for_update(no_key=True).filter(pk=user.pk).first()
    if _live_tokens(user).count() >= settings.AUDIT_TOKEN_LIMIT_PER_USER:
        raise ApplicationError(
            f"You already have {settings.AUDIT_TOKEN_LIMIT_PER_USER} API tokens: revoke one you no longer use."
        )
    token, key = AuthToken.objects.create(user=user, expiry=timedelta(days=days))
    ApiTokenScope.objects.create(token=token, scope=scope, name=name)
    event_record(
        action=EventAction.TOKEN_CREATED,
        obj=user,
        actor=user,
        after={"scope": scope, "name": name, "expiry": token.expiry.isoformat(), "via": via},
    )
    return token, key


@transaction.atomic
def token_revoke(*, user, token_id: str) -> None:
    """Delete one of `user`'s API tokens (`token_id`: its public id, the key's first characters that the token
    list shows): requests carrying it get 401 from now on. Writes event token.revoked with its scope, name and
    creation time.

    Raises NotFoundError when the user has no such token (another user's token looks the same); nothing is
    written then."""
    token = (
        AuthToken.objects.select_for_update().filter(user=user, token_key=token_id).first()
        if user.is_authenticated and token_id
        else None
    )
    if token is None:
        raise NotFoundError("You have no API token with this id.", field="token")
    scope = ApiTokenScope.objects.filter(token=token).first()
    before = {
        "created": token.created.isoformat(),
        "scope": scope.scope if scope else TokenScope.READ,
        "name": scope.name if scope else "",
    }
    token.delete()
    event_record(action=EventAction.TOKEN_REVOKED, obj=user, actor=user, before=before)
