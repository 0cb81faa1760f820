"""The append-only, hash-chained trail (design.md section 7)."""

from typing import Any

from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.utils import timezone

from audits.canonical import canonical_dumps, sha256_hex
from audits.choices import EventAction, EventObjectType
from audits.constants import GENESIS_HASH
from audits.models import (
    AuditEvent,
    AuditPlan,
    AuditReport,
    AuditRun,
    AuditSchedule,
    Dataset,
    Membership,
    ModelArtifact,
    ReportReview,
    WebhookEndpoint,
    Workspace,
    WorkspaceLexicon,
)

from .checkpoints import checkpoint_after_event

# Any constant works: it names the one advisory lock that serialises writers of the chain.
_CHAIN_LOCK_KEY = 724_911_001

# The trail label of each kind of object an event can be about (explicit: a renamed class keeps its label).
OBJECT_TYPES: dict[type, EventObjectType] = {
    Workspace: EventObjectType.WORKSPACE,
    Membership: EventObjectType.MEMBERSHIP,
    Dataset: EventObjectType.DATASET,
    ModelArtifact: EventObjectType.MODEL,
    WorkspaceLexicon: EventObjectType.LEXICON,
    AuditPlan: EventObjectType.PLAN,
    AuditRun: EventObjectType.RUN,
    AuditReport: EventObjectType.REPORT,
    ReportReview: EventObjectType.REVIEW,
    AuditSchedule: EventObjectType.SCHEDULE,
    WebhookEndpoint: EventObjectType.WEBHOOK,
    # Account-level events (API tokens) are about the user: a token's primary key is its secret key.
    get_user_model(): EventObjectType.USER,
}


def event_payload(event: AuditEvent) -> dict[str, Any]:
    """The fields covered by an event's hash (everything but the hash itself)."""
    return {
        "workspace": event.workspace_id,
        "actor": event.actor_id,
        "actor_label": event.actor_label,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "request_id": event.request_id,
        "task_id": event.task_id,
        "before": event.before,
        "after": event.after,
        "created_at": event.created_at.isoformat(),
        "prev_hash": event.prev_hash,
    }


def event_hash(event: AuditEvent) -> str:
    return sha256_hex(event.prev_hash + canonical_dumps(event_payload(event)))


def chain_lock() -> None:
    """Take the chain's lock until the end of the current transaction (PostgreSQL; SQLite's write lock elsewhere).
    Re-entrant: event_record takes it again for each event."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_CHAIN_LOCK_KEY])


@transaction.atomic
def event_record(
    *,
    action: EventAction,
    obj: Any,
    actor=None,
    actor_label: str = "",
    workspace: Workspace | None = None,
    before: dict | None = None,
    after: dict | None = None,
    request_id: str = "",
    task_id: str = "",
) -> AuditEvent:
    """Append one trail entry, chained to the previous one.

    Call it inside the transaction that makes the change, so the change and its entry commit together.
    Concurrent writers are serialised (advisory lock on PostgreSQL; SQLite's write lock elsewhere). A compliance
    event gets the chain's head (itself) signed as a checkpoint in the same transaction (services.checkpoints).
    Raises ValueError for an action outside EventAction or an object of a kind the trail does not name
    (a programming error: the trail's vocabulary is closed).
    """
    if action not in EventAction.values:
        raise ValueError(f"{action!r} is not a trail action (audits.choices.EventAction)")
    # __class__, not type(): request.user is a lazy proxy whose __class__ is the user model.
    object_type = OBJECT_TYPES.get(obj.__class__)
    if object_type is None:
        raise ValueError(f"the trail names no object of type {obj.__class__.__name__}")
    chain_lock()
    last = AuditEvent.objects.order_by("-id").values_list("hash", flat=True).first()
    event = AuditEvent(
        workspace=workspace,
        actor=actor if actor is not None and actor.is_authenticated else None,
        actor_label=actor_label or (actor.get_username() if actor is not None else "system"),
        action=str(action),
        object_type=str(object_type),
        object_id=str(obj.pk),
        request_id=request_id,
        task_id=task_id,
        before=before,
        after=after,
        created_at=timezone.now(),
        prev_hash=last or GENESIS_HASH,
    )
    event.hash = event_hash(event)
    event.save()
    checkpoint_after_event(event)
    return event
