"""API tokens of a user (DRF's TokenAuthentication: one token per user, sent as `Authorization: Token <key>`)."""

from django.db import transaction
from rest_framework.authtoken.models import Token

from audits.choices import EventAction
from audits.exceptions import ApplicationError

from .events import event_record


@transaction.atomic
def token_create(*, user) -> Token:
    """Give `user` a new API token, replacing (and so revoking) the one they had. Returns the token; its key is
    shown to the user once by the page (the API's /auth/token/ hands the same key to a password holder).

    Writes event token.created about the user (never the key: the trail is read by every workspace admin of the
    user's workspaces and is kept forever); `after.replaced` says whether an older token stopped working.
    Raises ApplicationError for an anonymous user."""
    if not user.is_authenticated:
        raise ApplicationError("Log in to create an API token.")
    deleted, _ = Token.objects.filter(user=user).delete()
    token = Token.objects.create(user=user)
    event_record(action=EventAction.TOKEN_CREATED, obj=user, actor=user, after={"replaced": bool(deleted)})
    return token


@transaction.atomic
def token_revoke(*, user) -> None:
    """Delete `user`'s API token: requests carrying it get 401 from now on. Writes event token.revoked.

    Raises ApplicationError when the user has no token (nothing is written then)."""
    token = Token.objects.select_for_update().filter(user=user).first() if user.is_authenticated else None
    if token is None:
        raise ApplicationError("You have no API token to revoke.")
    created = token.created.isoformat()
    token.delete()
    event_record(action=EventAction.TOKEN_REVOKED, obj=user, actor=user, before={"created": created})
