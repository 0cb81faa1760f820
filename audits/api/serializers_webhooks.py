"""Serializers of webhook endpoints and their delivery log (explicit fields; server-owned fields read-only)."""

from rest_framework import serializers

from audits.choices import WEBHOOK_SUBSCRIBABLE
from audits.models import WebhookDelivery, WebhookEndpoint


class WebhookEndpointSerializer(serializers.ModelSerializer):
    workspace = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    created_by = serializers.CharField(source="created_by.username", read_only=True, default=None)
    secret = serializers.CharField(
        read_only=True, help_text="The Standard Webhooks signing secret (whsec_...); verify each message with it."
    )

    class Meta:
        model = WebhookEndpoint
        fields = [
            "id",
            "workspace",
            "url",
            "description",
            "events",
            "secret",
            "enabled",
            "created_by",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class _EndpointFields(serializers.Serializer):
    url = serializers.CharField(max_length=2000, help_text="http:// or https://, no user name, password or fragment.")
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=list(WEBHOOK_SUBSCRIBABLE)),
        allow_empty=False,
        help_text="Event types to receive.",
    )
    secret = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=200,
        help_text="whsec_ + base64 of 24-64 bytes; leave out to have one generated (returned in the response).",
    )
    description = serializers.CharField(required=False, allow_blank=True, max_length=200)
    enabled = serializers.BooleanField(required=False, default=True)


class WebhookEndpointCreateInputSerializer(_EndpointFields):
    workspace = serializers.CharField(help_text="Slug or id of a workspace you administer.")


class WebhookEndpointUpdateInputSerializer(_EndpointFields):
    rotate_secret = serializers.BooleanField(
        required=False, default=False, help_text="Generate a new secret (returned in the response)."
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.required = False
        self.fields["enabled"].default = None


class WebhookDeliverySerializer(serializers.ModelSerializer):
    class Meta:
        model = WebhookDelivery
        fields = [
            "id",
            "endpoint",
            "event_type",
            "message_id",
            "status",
            "attempts",
            "response_code",
            "latency_ms",
            "last_error",
            "next_attempt_at",
            "last_attempt_at",
            "created_at",
            "updated_at",
            "payload",
        ]
        read_only_fields = fields
