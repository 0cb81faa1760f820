"""Delivering one webhook message: sign it (Standard Webhooks), POST it with short timeouts, log the attempt.

Runs in the `io` queue's task (audits.tasks.webhook_delivery_send_task), never inside an audit. A 2xx answer
delivers the message; anything else (an error status, a redirect, a refused or timed-out connection, an address
the platform may not call) is an attempt that failed: retried after base * 2**(attempt-1) seconds until
AUDIT_WEBHOOK_MAX_ATTEMPTS attempts, then the delivery is failed. Every attempt uses the same `webhook-id` (so a
receiver can drop duplicates) and a fresh `webhook-timestamp` and signature.
"""

import http.client
import json
import socket
import ssl
import time
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from standardwebhooks import Webhook

from audits.choices import DeliveryStatus
from audits.models import WebhookDelivery

from .webhooks import address_refused, webhook_enqueue

USER_AGENT = "auditplatform-webhooks/1"
# Only the start of a receiver's answer is read (for the log): a huge or endless body cannot hold the worker.
MAX_ANSWER_BYTES = 1024
MAX_ERROR_CHARS = 500


class DeliveryRefused(Exception):
    """The platform will not call this URL (its host resolves to an address that is not allowed)."""


@dataclass(frozen=True)
class AttemptOutcome:
    ok: bool
    response_code: int | None
    latency_ms: int | None
    error: str


def webhook_body(payload: dict) -> bytes:
    """The bytes sent and signed: compact JSON with sorted keys (receivers must verify the raw body as received)."""
    return json.dumps(payload, separators=(",", ":"), sort_keys=True, ensure_ascii=False).encode()


def webhook_headers(*, secret: str, message_id: str, body: bytes, now=None) -> dict[str, str]:
    """The Standard Webhooks headers of one attempt, signed with the standardwebhooks library."""
    now = now or timezone.now()
    signature = Webhook(secret).sign(msg_id=message_id, timestamp=now, data=body)
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": signature,
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
    }


def webhook_retry_delay(attempts: int) -> float:
    """Seconds to wait after attempt number `attempts` (1-based) fails: base * 2**(attempts-1)."""
    return settings.AUDIT_WEBHOOK_RETRY_BASE_SECONDS * 2 ** max(0, attempts - 1)


def _address(host: str, port: int) -> str:
    """The address to connect to: the first the host resolves to, all of them checked when private addresses are
    not allowed (the connection goes to the address checked, so a name cannot re-resolve elsewhere)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise DeliveryRefused(f"cannot resolve {host}: {exc.strerror or exc}") from None
    addresses = [info[4][0] for info in infos]
    if not settings.AUDIT_WEBHOOK_ALLOW_PRIVATE_ADDRESSES and any(address_refused(a) for a in addresses):
        raise DeliveryRefused(f"{host} resolves to a private, loopback or reserved address; not allowed")
    return addresses[0]


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """HTTP to a checked address, with a connect timeout and a separate read timeout."""

    def __init__(self, host, port, *, address, connect_timeout, read_timeout):
        super().__init__(host, port, timeout=connect_timeout)
        self._address, self._read_timeout = address, read_timeout

    def connect(self):
        self.sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock.settimeout(self._read_timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """HTTPS to a checked address; the certificate is verified against the URL's host name."""

    def __init__(self, host, port, *, address, connect_timeout, read_timeout):
        super().__init__(host, port, timeout=connect_timeout, context=ssl.create_default_context())
        self._address, self._read_timeout = address, read_timeout

    def connect(self):
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)
        self.sock.settimeout(self._read_timeout)


def _post(url: str, body: bytes, headers: dict[str, str]) -> AttemptOutcome:
    parts = urlsplit(url)
    https = parts.scheme.lower() == "https"
    port = parts.port or (443 if https else 80)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    connection_class = _PinnedHTTPSConnection if https else _PinnedHTTPConnection
    started = time.perf_counter()
    try:
        connection = connection_class(
            parts.hostname,
            port,
            address=_address(parts.hostname, port),
            connect_timeout=settings.AUDIT_WEBHOOK_CONNECT_TIMEOUT,
            read_timeout=settings.AUDIT_WEBHOOK_READ_TIMEOUT,
        )
        try:
            connection.request("POST", path, body=body, headers=headers)
            response = connection.getresponse()
            latency = int(round(1000 * (time.perf_counter() - started)))
            answer = response.read(MAX_ANSWER_BYTES).decode("utf-8", "replace")
        finally:
            connection.close()
    except DeliveryRefused as exc:
        return AttemptOutcome(False, None, None, f"Refused: {exc}")
    except TimeoutError:
        return AttemptOutcome(
            False, None, int(round(1000 * (time.perf_counter() - started))), "Timed out waiting for the receiver."
        )
    except (OSError, http.client.HTTPException) as exc:
        return AttemptOutcome(False, None, None, f"Connection error: {exc or type(exc).__name__}")
    if 200 <= response.status < 300:
        return AttemptOutcome(True, response.status, latency, "")
    if 300 <= response.status < 400:
        error = f"HTTP {response.status}: redirects are not followed; give the final URL."
    else:
        error = f"HTTP {response.status} {response.reason}: {' '.join(answer.split())}".rstrip(": ")
    return AttemptOutcome(False, response.status, latency, error)


def webhook_delivery_attempt(*, delivery_id: int) -> WebhookDelivery | None:
    """Make the next attempt of a pending delivery and log it (attempts, response code, latency, last error, next
    attempt). Returns the delivery: still pending (with `next_attempt_at`) when it should be retried, succeeded or
    failed otherwise; None when the delivery no longer exists (its endpoint was deleted). A delivery that is not
    pending is returned untouched, so a redelivered task message sends nothing. Writes no trail event (the log
    is the record) and raises nothing for a receiver's failure."""
    with transaction.atomic():
        delivery = (
            WebhookDelivery.objects.select_for_update(of=("self",))
            .select_related("endpoint")
            .filter(pk=delivery_id)
            .first()
        )
        if delivery is None or delivery.status != DeliveryStatus.PENDING:
            return delivery
        delivery.attempts += 1
        delivery.last_attempt_at = timezone.now()
        delivery.next_attempt_at = None
        delivery.save(update_fields=["attempts", "last_attempt_at", "next_attempt_at", "updated_at"])
    endpoint = delivery.endpoint
    body = webhook_body(delivery.payload)
    outcome = _post(
        endpoint.url, body, webhook_headers(secret=endpoint.secret, message_id=delivery.message_id, body=body)
    )
    delivery.response_code, delivery.latency_ms = outcome.response_code, outcome.latency_ms
    delivery.last_error = outcome.error[:MAX_ERROR_CHARS]
    if outcome.ok:
        delivery.status = DeliveryStatus.SUCCEEDED
    elif delivery.attempts >= settings.AUDIT_WEBHOOK_MAX_ATTEMPTS:
        delivery.status = DeliveryStatus.FAILED
    else:
        delivery.next_attempt_at = timezone.now() + timedelta(seconds=webhook_retry_delay(delivery.attempts))
    fields = ("status", "response_code", "latency_ms", "last_error", "next_attempt_at")
    # A plain update: if the endpoint was deleted meanwhile (its log with it), there is nothing left to record.
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        **{f: getattr(delivery, f) for f in fields}, updated_at=timezone.now()
    )
    return delivery


def webhook_deliveries_sweep(*, now=None) -> list[int]:
    """Re-enqueue pending deliveries that nobody is working on: due (or last tried) more than
    AUDIT_WEBHOOK_SWEEP_AFTER_SECONDS ago, e.g. because the broker was down when the message was enqueued.
    Marks each as due now, so the next sweep leaves it alone for another period. A duplicate message is
    harmless: an attempt starts only on a pending delivery, and receivers drop repeats by `webhook-id`.
    Returns the ids enqueued (on commit). Writes no trail event."""
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=settings.AUDIT_WEBHOOK_SWEEP_AFTER_SECONDS)
    stalled = WebhookDelivery.objects.filter(status=DeliveryStatus.PENDING).filter(
        Q(next_attempt_at__lt=cutoff)
        | Q(next_attempt_at__isnull=True, last_attempt_at__lt=cutoff)
        | Q(next_attempt_at__isnull=True, last_attempt_at__isnull=True, created_at__lt=cutoff)
    )
    ids = list(stalled.values_list("pk", flat=True)[:1000])
    with transaction.atomic():
        WebhookDelivery.objects.filter(pk__in=ids, status=DeliveryStatus.PENDING).update(next_attempt_at=now)
        for delivery_id in ids:
            transaction.on_commit(lambda d=delivery_id: webhook_enqueue(d), robust=True)
    return ids
