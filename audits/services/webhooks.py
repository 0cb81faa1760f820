"""Webhook endpoints of a workspace (admins), and the one function other services call to announce an event.

Messages follow the Standard Webhooks specification: a JSON body `{"type", "timestamp", "data"}` signed with the
endpoint's `whsec_` secret (`webhook-id`, `webhook-timestamp`, `webhook-signature` headers). Delivery, retries and
the delivery log are in services.webhook_delivery; they run on the `io` queue, never in an audit's task.
"""

import base64
import ipaddress
import logging
import secrets
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from audits.choices import WEBHOOK_SUBSCRIBABLE, EventAction, Role, WebhookEventType
from audits.exceptions import ApplicationError
from audits.models import WebhookDelivery, WebhookEndpoint, Workspace

from .events import event_record
from .workspaces import workspace_require_role

logger = logging.getLogger(__name__)

SECRET_PREFIX = "whsec_"
SECRET_BYTES = 32
# The Standard Webhooks specification asks for secrets of 24 to 64 random bytes.
SECRET_MIN_BYTES, SECRET_MAX_BYTES = 24, 64
MAX_URL_LENGTH = 2000
ADMINS = (Role.ADMIN,)


def webhook_secret_generate() -> str:
    """A new signing secret in the specification's form: `whsec_` + base64 of 32 random bytes."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def _secret_check(secret: str) -> str:
    secret = secret.strip()
    try:
        if not secret.startswith(SECRET_PREFIX):
            raise ValueError
        key = base64.b64decode(secret[len(SECRET_PREFIX) :], validate=True)
    except ValueError:
        raise ApplicationError(
            "A secret is 'whsec_' followed by base64 (Standard Webhooks); leave it empty to have one generated.",
            field="secret",
        ) from None
    if not SECRET_MIN_BYTES <= len(key) <= SECRET_MAX_BYTES:
        raise ApplicationError(
            f"The secret holds {len(key)} bytes; use {SECRET_MIN_BYTES} to {SECRET_MAX_BYTES} random bytes.",
            field="secret",
        )
    return secret


def address_refused(address: str) -> bool:
    """True for an address a webhook may not reach unless AUDIT_WEBHOOK_ALLOW_PRIVATE_ADDRESSES is on: private,
    loopback, link-local, shared, reserved, unspecified or multicast (IPv4-mapped IPv6 judged as IPv4)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return not ip.is_global or ip.is_multicast


def webhook_url_check(url: str) -> str:
    """The URL, stripped, if a webhook may call it: http or https, a host, no user name or password, no fragment,
    and (unless private addresses are allowed) not a private or loopback address or `localhost`. The address a
    name resolves to is checked again at each attempt. Raises ApplicationError (field "url") otherwise."""
    url = (url or "").strip()
    if not url:
        raise ApplicationError("Give the receiver's URL (https://...).", field="url")
    if len(url) > MAX_URL_LENGTH:
        raise ApplicationError(f"The URL is longer than {MAX_URL_LENGTH} characters.", field="url")
    if any(c.isspace() or ord(c) < 32 for c in url):
        raise ApplicationError("The URL contains spaces or control characters.", field="url")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018  (raises ValueError for a port that is not a number in range)
    except ValueError as exc:
        raise ApplicationError(f"The URL is not valid: {exc}.", field="url") from None
    if parts.scheme.lower() not in ("http", "https"):
        raise ApplicationError("Webhook URLs must start with http:// or https://.", field="url")
    if not parts.hostname:
        raise ApplicationError("The URL names no host.", field="url")
    if parts.username is not None or parts.password is not None:
        raise ApplicationError(
            "The URL must not contain a user name or password; the signature authenticates each message.",
            field="url",
        )
    if parts.fragment or url.endswith("#"):
        raise ApplicationError("The URL must not contain a fragment (#...); receivers never see it.", field="url")
    if not settings.AUDIT_WEBHOOK_ALLOW_PRIVATE_ADDRESSES:
        host = parts.hostname.rstrip(".").lower()
        try:
            refused = address_refused(host)
        except ValueError:  # a name, not an address: checked after resolution at each attempt
            refused = host == "localhost" or host.endswith(".localhost")
        if refused:
            raise ApplicationError(
                "Webhooks may not call private, loopback or link-local addresses on this platform.", field="url"
            )
    return url


def _events_check(events) -> list[str]:
    if isinstance(events, str) or not isinstance(events, list | tuple) or not events:
        raise ApplicationError(f"Subscribe to at least one event: {', '.join(WEBHOOK_SUBSCRIBABLE)}.", field="events")
    unknown = [str(e) for e in events if e not in WEBHOOK_SUBSCRIBABLE]
    if unknown:
        raise ApplicationError(
            f"Unknown event(s) {', '.join(unknown)}; choose from {', '.join(WEBHOOK_SUBSCRIBABLE)}.", field="events"
        )
    return [str(e) for e in WEBHOOK_SUBSCRIBABLE if e in events]  # one order, no duplicates


def _described(endpoint: WebhookEndpoint) -> dict:
    """What the trail keeps of an endpoint (never its secret)."""
    return {
        "url": endpoint.url,
        "events": list(endpoint.events),
        "enabled": endpoint.enabled,
        "description": endpoint.description,
    }


@transaction.atomic
def webhook_endpoint_create(
    *,
    actor,
    workspace: Workspace,
    url: str,
    events: list[str],
    secret: str = "",
    description: str = "",
    enabled: bool = True,
    request_id: str = "",
) -> WebhookEndpoint:
    """An admin adds a receiver to `workspace`. The secret is generated when none is given (the caller shows it to
    the admin). Writes event webhook.created (without the secret). Raises NotFoundError / PermissionDeniedError for
    non-admins, ApplicationError (field url, events or secret) for bad input; nothing is written then."""
    workspace_require_role(user=actor, workspace=workspace, roles=ADMINS)
    endpoint = WebhookEndpoint.objects.create(
        workspace=workspace,
        url=webhook_url_check(url),
        events=_events_check(events),
        secret=_secret_check(secret) if secret else webhook_secret_generate(),
        description=(description or "").strip()[:200],
        enabled=bool(enabled),
        created_by=actor,
    )
    event_record(
        action=EventAction.WEBHOOK_CREATED,
        obj=endpoint,
        actor=actor,
        workspace=workspace,
        request_id=request_id,
        after=_described(endpoint),
    )
    return endpoint


@transaction.atomic
def webhook_endpoint_update(
    *,
    actor,
    endpoint: WebhookEndpoint,
    url: str | None = None,
    events: list[str] | None = None,
    secret: str | None = None,
    rotate_secret: bool = False,
    description: str | None = None,
    enabled: bool | None = None,
    request_id: str = "",
) -> WebhookEndpoint:
    """An admin changes a receiver (fields left None stay); `secret` sets one, `rotate_secret` generates one.
    Messages already pending are signed with the secret current at each attempt. Writes event webhook.updated with
    before/after (the secret only as `secret_changed`). Raises as webhook_endpoint_create."""
    workspace_require_role(user=actor, workspace=endpoint.workspace, roles=ADMINS)
    endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
    before = _described(endpoint)
    if url is not None:
        endpoint.url = webhook_url_check(url)
    if events is not None:
        endpoint.events = _events_check(events)
    if description is not None:
        endpoint.description = description.strip()[:200]
    if enabled is not None:
        endpoint.enabled = bool(enabled)
    old_secret = endpoint.secret
    if rotate_secret:
        endpoint.secret = webhook_secret_generate()
    elif secret:
        endpoint.secret = _secret_check(secret)
    endpoint.save()
    event_record(
        action=EventAction.WEBHOOK_UPDATED,
        obj=endpoint,
        actor=actor,
        workspace=endpoint.workspace,
        request_id=request_id,
        before=before,
        after={**_described(endpoint), "secret_changed": endpoint.secret != old_secret},
    )
    return endpoint


@transaction.atomic
def webhook_endpoint_delete(*, actor, endpoint: WebhookEndpoint, request_id: str = "") -> None:
    """An admin removes a receiver and its delivery log; messages still pending are dropped. Writes event
    webhook.deleted (before: the endpoint). Raises NotFoundError / PermissionDeniedError for non-admins."""
    workspace_require_role(user=actor, workspace=endpoint.workspace, roles=ADMINS)
    event_record(
        action=EventAction.WEBHOOK_DELETED,
        obj=endpoint,
        actor=actor,
        workspace=endpoint.workspace,
        request_id=request_id,
        before={**_described(endpoint), "deliveries": endpoint.deliveries.count()},
    )
    endpoint.delete()


@transaction.atomic
def webhook_endpoint_test(*, actor, endpoint: WebhookEndpoint, request_id: str = "") -> WebhookDelivery:
    """An admin sends a `webhook.test` message to one receiver (enabled or not, subscribed or not): a delivery row
    enqueued on commit, retried like any other. Writes event webhook.tested. Raises as webhook_endpoint_create."""
    workspace_require_role(user=actor, workspace=endpoint.workspace, roles=ADMINS)
    data = {
        "workspace": endpoint.workspace.slug,
        "endpoint_id": endpoint.pk,
        "sent_by": actor.get_username(),
        "message": "A test message from the fairness audit platform; its signature verifies with your secret.",
    }
    delivery = _delivery_create(endpoint, WebhookEventType.TEST, data)
    event_record(
        action=EventAction.WEBHOOK_TESTED,
        obj=endpoint,
        actor=actor,
        workspace=endpoint.workspace,
        request_id=request_id,
        after={"delivery": delivery.pk, "message_id": delivery.message_id},
    )
    return delivery


def _delivery_create(endpoint: WebhookEndpoint, event_type: str, data: dict) -> WebhookDelivery:
    payload = {"type": str(event_type), "timestamp": timezone.now().isoformat(), "data": data}
    delivery = WebhookDelivery.objects.create(
        endpoint=endpoint, event_type=str(event_type), payload=payload, next_attempt_at=timezone.now()
    )
    # robust: a broker outage must not fail the committed change; webhook_deliveries_sweep sends it later.
    transaction.on_commit(lambda: webhook_enqueue(delivery.pk), robust=True)
    return delivery


def webhook_enqueue(delivery_id: int) -> None:
    """Put one attempt of delivery `delivery_id` on the io queue (callers do it on commit)."""
    from audits.tasks import webhook_delivery_send_task  # tasks import services; import late to avoid a cycle

    webhook_delivery_send_task.delay(delivery_id)


def webhook_event_emit(*, workspace: Workspace, event_type: str, data: dict) -> list[WebhookDelivery]:
    """Announce `event_type` with `data` to the workspace's enabled endpoints that subscribe to it: one pending
    delivery each, enqueued on the `io` queue when the caller's transaction commits.

    Call it inside the transaction of the change it announces (a rolled-back change sends nothing). It never
    raises: a webhook problem must not fail an audit or a review, so errors are logged and nothing is sent
    (a savepoint keeps the caller's transaction usable). `data` holds ids, links and aggregates only."""
    if event_type not in WebhookEventType.values:
        logger.error("webhook_event_emit: unknown event type %r", event_type)
        return []
    try:
        with transaction.atomic():
            endpoints = [
                e for e in WebhookEndpoint.objects.filter(workspace=workspace, enabled=True) if event_type in e.events
            ]
            return [
                _delivery_create(endpoint, event_type, {"workspace": workspace.slug, **data}) for endpoint in endpoints
            ]
    except Exception:  # never let a notification break the change it announces
        logger.exception("webhook_event_emit(%s) failed for workspace %s", event_type, workspace.pk)
        return []
