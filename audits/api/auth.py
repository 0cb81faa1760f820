"""API token authentication (django-rest-knox: hashed at rest, expiring, revocable) and the token scope rule."""

from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from knox.auth import TokenAuthentication
from knox.models import AuthToken
from knox.signals import token_expired
from rest_framework import exceptions
from rest_framework.permissions import SAFE_METHODS, BasePermission

from audits.choices import TokenScope
from audits.models import ApiTokenScope

READ_ONLY_MESSAGE = (
    "This API token is read-only: it can read reports, exports, runs and the trail, but not start, review or "
    "change anything. Use a token with the 'full' scope."
)


def token_scope(auth) -> str | None:
    """The scope of the request's API token; None for a session. A token without its scope row is read-only."""
    if not isinstance(auth, AuthToken):
        return None
    try:
        return auth.platform_scope.scope
    except ApiTokenScope.DoesNotExist:
        return TokenScope.READ


def token_allows(request, auth, view) -> bool:
    """Whether the request's token scope allows its method on `view` (a session always passes)."""
    if request.method in SAFE_METHODS or getattr(view, "read_only_token_allowed", False):
        return True
    return token_scope(auth) in (None, TokenScope.FULL)


class ApiTokenAuthentication(TokenAuthentication):
    """`Authorization: Token <key>`. An expired token is deleted on first use and, like a revoked one, answers 401.

    The scope is enforced here as well as by TokenScopePermission, so that a view with its own
    permission_classes cannot let a read-only token write."""

    def authenticate(self, request):
        result = super().authenticate(request)
        if result is not None:
            view = (getattr(request, "parser_context", None) or {}).get("view")
            if not token_allows(request, result[1], view):
                raise exceptions.PermissionDenied(READ_ONLY_MESSAGE)
        return result

    def _cleanup_token(self, auth_token) -> bool:
        """Only the token presented: knox would also load every other token of its user at each request to delete
        the expired ones (a query per API call); an expired token is deleted on its own next use instead, and the
        token list leaves expired ones out."""
        if auth_token.expiry is not None and auth_token.expiry < timezone.now():
            username = auth_token.user.get_username()
            auth_token.delete()
            token_expired.send(sender=self.__class__, username=username, source="auth_token")
            return True
        return False

    def authenticate_credentials(self, token: bytes):
        try:
            token.decode("utf-8")
        except UnicodeDecodeError:  # knox would raise it as a 500
            raise exceptions.AuthenticationFailed("Invalid token.") from None
        return super().authenticate_credentials(token)


class TokenScopePermission(BasePermission):
    """A read-only token may only read (GET, HEAD, OPTIONS): any write answers 403. Views that let a read-only
    token do one thing more (revoking itself) say so with `read_only_token_allowed = True`."""

    message = READ_ONLY_MESSAGE

    def has_permission(self, request, view) -> bool:
        return token_allows(request, request.auth, view)


class ApiTokenAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "audits.api.auth.ApiTokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "`Token <key>`, from POST /api/v1/auth/token/ or the API tokens page.",
        }
