"""Webhook endpoints of the workspaces you administer, their delivery log and the "send test" action."""

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from audits import selectors
from audits.services.webhooks import (
    webhook_endpoint_create,
    webhook_endpoint_delete,
    webhook_endpoint_test,
    webhook_endpoint_update,
)

from . import serializers_webhooks as s
from .schema_errors import LIMIT_OFFSET, document_pagination_errors
from .views import _workspace, request_id


@document_pagination_errors(*LIMIT_OFFSET, actions=["list", "deliveries"])
class WebhookEndpointViewSet(
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.ReadOnlyModelViewSet,
):
    """Receivers of Standard Webhooks messages (run.succeeded, run.failed, review.decided, regression.found).

    Only workspace admins see and manage them; each change is in the trail. Messages are signed with the
    endpoint's `secret` (headers `webhook-id`, `webhook-timestamp`, `webhook-signature`)."""

    serializer_class = s.WebhookEndpointSerializer
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self):
        return selectors.webhook_endpoint_list(user=self.request.user)

    @extend_schema(request=s.WebhookEndpointCreateInputSerializer, responses={201: s.WebhookEndpointSerializer})
    def create(self, request, *args, **kwargs):
        """Add a receiver; without `secret` one is generated and returned."""
        serializer = s.WebhookEndpointCreateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        v = serializer.validated_data
        endpoint = webhook_endpoint_create(
            actor=request.user,
            workspace=_workspace(request, v["workspace"]),
            url=v["url"],
            events=v["events"],
            secret=v.get("secret", ""),
            description=v.get("description", ""),
            enabled=v["enabled"],
            request_id=request_id(request),
        )
        return Response(s.WebhookEndpointSerializer(endpoint).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.WebhookEndpointUpdateInputSerializer, responses={200: s.WebhookEndpointSerializer})
    def partial_update(self, request, *args, **kwargs):
        """Change a receiver: any of url, events, description, enabled, secret, or rotate_secret."""
        serializer = s.WebhookEndpointUpdateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        v = serializer.validated_data
        endpoint = webhook_endpoint_update(
            actor=request.user,
            endpoint=self.get_object(),
            url=v.get("url"),
            events=v.get("events"),
            secret=v.get("secret") or None,
            rotate_secret=v.get("rotate_secret", False),
            description=v.get("description"),
            enabled=v.get("enabled"),
            request_id=request_id(request),
        )
        return Response(s.WebhookEndpointSerializer(endpoint).data)

    def destroy(self, request, *args, **kwargs):
        """Delete a receiver and its delivery log."""
        webhook_endpoint_delete(actor=request.user, endpoint=self.get_object(), request_id=request_id(request))
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=None, responses={200: s.WebhookDeliverySerializer(many=True)})
    @action(detail=True, methods=["get"])
    def deliveries(self, request, pk=None):
        """The delivery log, newest first: status, attempts, response code, latency, last error, next attempt."""
        deliveries = selectors.webhook_delivery_list(user=request.user, endpoint=self.get_object())
        page = self.paginate_queryset(deliveries)
        return self.get_paginated_response(s.WebhookDeliverySerializer(page, many=True).data)

    @extend_schema(request=None, responses={202: s.WebhookDeliverySerializer})
    @action(detail=True, methods=["post"])
    def test(self, request, pk=None):
        """Send a signed `webhook.test` message now; follow it in the delivery log."""
        delivery = webhook_endpoint_test(actor=request.user, endpoint=self.get_object(), request_id=request_id(request))
        return Response(s.WebhookDeliverySerializer(delivery).data, status=status.HTTP_202_ACCEPTED)
