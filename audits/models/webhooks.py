import uuid

from django.conf import settings
from django.db import models

from audits.choices import DeliveryStatus, WebhookEventType

from .workspaces import Workspace


def message_id() -> str:
    """A Standard Webhooks message id (`webhook-id`): unique per message, the same on every retry of it."""
    return f"msg_{uuid.uuid4().hex}"


class WebhookEndpoint(models.Model):
    """A receiver URL of a workspace, the event types it subscribes to and its signing secret.

    The secret (`whsec_` + base64 of random bytes, Standard Webhooks) signs every delivery; it must be kept in
    clear because the signature is an HMAC. Written only by services.webhooks (admins)."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="webhooks")
    url = models.URLField(max_length=2000)
    description = models.CharField(max_length=200, blank=True)
    # WebhookEventType values (never webhook.test, which only the "Send test" action sends).
    events = models.JSONField(default=list)
    secret = models.CharField(max_length=200)
    enabled = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["workspace_id", "id"]

    def __str__(self) -> str:
        return f"webhook {self.pk} -> {self.url}"


class WebhookDelivery(models.Model):
    """One message to one endpoint and what became of it (the delivery log): pending until the receiver answers
    2xx (succeeded) or the attempts run out (failed). Updated after each attempt by services.webhook_delivery."""

    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries")
    event_type = models.CharField(max_length=50, choices=WebhookEventType.choices)
    message_id = models.CharField(max_length=64, unique=True, default=message_id)
    # The whole message body: {"type", "timestamp", "data"}; sent as compact JSON, signed byte for byte.
    payload = models.JSONField()
    status = models.CharField(
        max_length=20, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING, db_index=True
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    response_code = models.PositiveSmallIntegerField(null=True, blank=True)
    latency_ms = models.PositiveIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "webhook deliveries"

    def __str__(self) -> str:
        return f"{self.event_type} {self.message_id} ({self.status})"
