"""Governance endpoints: API tokens (log in, log out, list, create, revoke) and the trail list."""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from drf_standardized_errors.openapi_validation_errors import extend_validation_errors
from rest_framework import generics, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import Throttled
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from audits import selectors
from audits.services.tokens import token_create, token_revoke

from . import serializers_governance as g
from .auth import ApiTokenAuthentication
from .filters import UNKNOWN_PARAMETER, AuditEventFilter, StrictFilterBackend
from .pagination import IdCursorPagination
from .schema_errors import CURSOR, document_pagination_errors
from .throttles import LoginThrottle, LoginUsernameThrottle


def _created(token, key: str) -> dict:
    return g.ApiTokenCreatedSerializer(token, context={"key": key}).data


class TokenLoginView(APIView):
    """Exchange a username and password for an API token (returned once, with its expiry). Throttled per client
    address and per username: too many attempts answer 429 with Retry-After."""

    authentication_classes = []  # a stale `Authorization` header must not stand in the way of logging in
    permission_classes = [AllowAny]
    throttle_classes = [LoginThrottle, LoginUsernameThrottle]

    def throttled(self, request, wait):
        raise Throttled(wait, detail="Too many login attempts from this address or for this username.")

    @extend_schema(request=g.TokenLoginInputSerializer, responses={200: g.ApiTokenCreatedSerializer}, auth=[])
    def post(self, request):
        serializer = g.TokenLoginInputSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        v = serializer.validated_data
        token, key = token_create(
            user=v["user"],
            scope=v["scope"],
            name=v.get("name", ""),
            expires_in_days=v.get("expires_in_days"),
            via="api",
        )
        return Response(_created(token, key))


class TokenLogoutView(APIView):
    """Revoke the token this request carries (a read-only token may revoke itself)."""

    authentication_classes = [ApiTokenAuthentication]
    permission_classes = [IsAuthenticated]
    read_only_token_allowed = True

    @extend_schema(request=None, responses={204: OpenApiResponse(description="Revoked.")})
    def post(self, request):
        token_revoke(user=request.user, token_id=request.auth.token_key)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ApiTokenViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Your API tokens: list (never the keys), create (the key is in this response only), revoke."""

    serializer_class = g.ApiTokenSerializer
    pagination_class = None
    lookup_value_regex = "[^/]+"

    def get_queryset(self):
        return selectors.api_token_list(user=self.request.user)

    @extend_schema(request=g.TokenCreateInputSerializer, responses={201: g.ApiTokenCreatedSerializer})
    def create(self, request):
        serializer = g.TokenCreateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        v = serializer.validated_data
        token, key = token_create(
            user=request.user,
            scope=v["scope"],
            name=v.get("name", ""),
            expires_in_days=v.get("expires_in_days"),
            via="api",
        )
        return Response(_created(token, key), status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={204: OpenApiResponse(description="Revoked.")})
    @action(detail=True, methods=["post"])
    def revoke(self, request, pk=None):
        token_revoke(user=request.user, token_id=pk)
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_validation_errors([UNKNOWN_PARAMETER], field_name=None)
@document_pagination_errors(*CURSOR, actions=None)
class TrailListView(generics.ListAPIView):
    """Trail events of your workspaces (the Trail page's scope), newest first, with cursor pagination. Filter by
    object (`object_type` and `object_id`), `actor`, `action`, `workspace` and time (`created_after`,
    `created_before`)."""

    serializer_class = g.AuditEventSerializer
    filter_backends = [StrictFilterBackend]
    filterset_class = AuditEventFilter
    pagination_class = IdCursorPagination

    def get_queryset(self):
        return selectors.audit_event_list(user=self.request.user).select_related("workspace")
