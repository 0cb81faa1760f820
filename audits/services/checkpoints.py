"""Signed checkpoints of the trail's head (design.md section 7).

The hash chain alone shows an edited or removed entry in the middle, but not the last entries removed, nor a
trail re-chained from a forged entry onwards (anyone with the database can recompute sha256). A checkpoint is a
DSSE envelope, signed with the platform's Ed25519 key (which never lives in the database), stating the head:
the last event's id, its hash and how many events lead to it. services.trail checks that the chain still reaches
the latest checkpoint with that hash and count; `manage.py trail_checkpoint --out FILE` exports one, so a copy
kept elsewhere catches even a database rolled back as a whole (checkpoints included).

Every compliance event is checkpointed in its own transaction (event_record calls checkpoint_after_event under
the chain's lock), so an event and the checkpoint naming it commit together and a compliance event with no
checkpoint after it is itself evidence of tampering. Report views are not chain events: they go to the access log
(services.report_access), which the periodic task (audits.tasks.trail_checkpoint_task) folds into the chain in
batches; report.viewed events written before the access log existed get no checkpoint of their own.
"""

import logging
from dataclasses import dataclass

from django.core.exceptions import ImproperlyConfigured
from django.db import connection, transaction
from django.utils import timezone

from audits.canonical import canonical_dumps
from audits.choices import EventAction
from audits.models import AuditEvent, TrailCheckpoint
from audits.signing import dsse
from audits.signing.keys import current_key_id, public_key_pem, signing_key

logger = logging.getLogger(__name__)

CHECKPOINT_PREDICATE_TYPE = "https://fairness-audit.local/attestations/trail-checkpoint/v1"
# The chain's lock (services.events._CHAIN_LOCK_KEY; events imports this module, so the number is repeated and a
# test checks they agree): checkpoints are written in chain order. PostgreSQL advisory locks are re-entrant.
_CHAIN_LOCK_KEY = 724_911_001
# Read events, not changes: a checkpoint each would sign at the rate pages are read. The periodic task covers them.
# A what-if changes nothing either (its event holds hashes only).
UNCHECKPOINTED_ACTIONS = frozenset({EventAction.REPORT_VIEWED, EventAction.MODEL_WHAT_IF})


class CheckpointError(ValueError):
    """A checkpoint envelope that does not verify, or does not state a trail head."""


@dataclass(frozen=True)
class CheckpointClaim:
    """What a verified checkpoint states about the chain."""

    event_id: int
    event_hash: str
    event_count: int
    signed_at: str


def checkpoint_after_event(event: AuditEvent) -> None:
    """Called by event_record after each event, inside its transaction and under the chain's lock: a compliance
    event gets the head (itself) signed at once, which adds one Ed25519 signature (~0.2 ms), two indexed reads and
    one insert to the event's transaction; report views add nothing. With no signing key configured the checkpoint
    is skipped and logged, not raised (verification then names the uncovered event); production requires a key."""
    if event.action in UNCHECKPOINTED_ACTIONS:
        return
    try:
        _checkpoint_head(event.pk, event.hash)
    except ImproperlyConfigured as exc:
        logger.error("trail checkpoint not signed: %s", exc)


@transaction.atomic
def trail_checkpoint_create() -> TrailCheckpoint | None:
    """Sign the chain's current head unless the latest checkpoint names it already; return the new checkpoint,
    or None when there was nothing new to sign (the periodic task and `manage.py trail_checkpoint`).

    Takes the chain's lock, so the head and the count are read with no event being written and checkpoints follow
    the chain's order. Writes a TrailCheckpoint row (no trail event: it is about the trail). Raises
    ImproperlyConfigured when no signing key is configured.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_CHAIN_LOCK_KEY])
    head = AuditEvent.objects.order_by("-id").values_list("id", "hash").first()
    return _checkpoint_head(*head) if head is not None else None


def _checkpoint_head(head_id: int, head_hash: str) -> TrailCheckpoint | None:
    """Sign (head_id, head_hash) as the head, the chain's lock held by the caller. The count adds the events after
    the previous checkpoint to its count (an index range, not a scan of the trail)."""
    last = TrailCheckpoint.objects.order_by("-id").values_list("event_id", "event_count").first()
    if last is not None and last[0] >= head_id:
        return None
    since, counted = last if last is not None else (0, 0)
    count = counted + AuditEvent.objects.filter(id__gt=since, id__lte=head_id).count()
    key, key_id = signing_key(), current_key_id()  # before any write: a missing key leaves nothing half-done
    predicate = {
        "event_id": head_id,
        "event_hash": head_hash,
        "event_count": count,
        "signed_at": timezone.now().isoformat(),
    }
    statement = dsse.statement(
        [{"name": f"audit-trail-event-{head_id}", "sha256": head_hash}], CHECKPOINT_PREDICATE_TYPE, predicate
    )
    envelope = dsse.sign_envelope(statement, key, key_id)
    return TrailCheckpoint.objects.create(
        event_id=head_id,
        event_hash=head_hash,
        event_count=count,
        envelope_json=canonical_dumps(envelope),
        key_id=key_id,
    )


def checkpoint_latest() -> TrailCheckpoint | None:
    return TrailCheckpoint.objects.order_by("-id").first()


def checkpoint_claim(envelope: dict | str | bytes) -> CheckpointClaim:
    """Verify a checkpoint envelope with the platform's public key and return what it states.

    Raises CheckpointError naming the reason (bad signature, another kind of statement, missing fields);
    ImproperlyConfigured when no signing key is configured."""
    try:
        statement = dsse.verify_envelope(envelope, public_key_pem())
    except dsse.EnvelopeError as exc:
        raise CheckpointError(str(exc)) from None
    if statement.get("predicateType") != CHECKPOINT_PREDICATE_TYPE:
        raise CheckpointError(f"not a trail checkpoint (predicateType {statement.get('predicateType')!r})")
    predicate = statement.get("predicate") or {}
    try:
        claim = CheckpointClaim(
            event_id=int(predicate["event_id"]),
            event_hash=str(predicate["event_hash"]),
            event_count=int(predicate["event_count"]),
            signed_at=str(predicate["signed_at"]),
        )
    except (KeyError, TypeError, ValueError):
        raise CheckpointError("the predicate lacks event_id, event_hash, event_count or signed_at") from None
    if claim.event_hash not in dsse.subject_digests(statement):
        raise CheckpointError("the checkpoint's subject is not the event hash it states")
    return claim


def checkpoint_row_claim(checkpoint: TrailCheckpoint) -> CheckpointClaim:
    """The claim of a stored checkpoint, whose plain columns must repeat its signed statement.

    Raises CheckpointError naming the reason."""
    claim = checkpoint_claim(checkpoint.envelope_json)
    stored = (checkpoint.event_id, checkpoint.event_hash, checkpoint.event_count)
    if stored != (claim.event_id, claim.event_hash, claim.event_count):
        raise CheckpointError(
            f"its columns (event {checkpoint.event_id}, count {checkpoint.event_count}) differ from its signed "
            f"statement (event {claim.event_id}, count {claim.event_count}): the row was edited"
        )
    return claim


def checkpoint_export(checkpoint: TrailCheckpoint) -> str:
    """The checkpoint as a file: its DSSE envelope (JSON, one line), verifiable with the platform's public key
    (`manage.py verify_trail --checkpoint FILE`, or audits/signing/dsse.py alone)."""
    return checkpoint.envelope_json + "\n"
