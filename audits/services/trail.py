"""Verifying the trail (design.md section 7): recompute every link of the hash chain, check that it still reaches
the latest signed checkpoint (and, optionally, a checkpoint kept outside the database), then that every signature
verifies and that reports, reviews, signatures and memberships are what the trail says. Names the first
inconsistency found, in that order."""

from dataclasses import asdict, dataclass, field

from audits.constants import GENESIS_HASH
from audits.models import AuditEvent, ReportSignature

from .checkpoints import (
    UNCHECKPOINTED_ACTIONS,
    CheckpointClaim,
    CheckpointError,
    checkpoint_claim,
    checkpoint_latest,
    checkpoint_row_claim,
)
from .events import event_hash
from .report_access import access_log_check
from .signatures import signature_verify
from .trail_checks import TrailIndex, trail_cross_check


@dataclass(frozen=True)
class TrailVerification:
    """The outcome. A broken chain sets first_broken_id, a signature that does not verify
    first_broken_signature_id; any other inconsistency names its object in broken_object ("checkpoint 3",
    "report 12", "review 4 (report 12)", "membership 9 (...)", "event 80"). `reason` says what is wrong."""

    ok: bool
    checked: int
    first_broken_id: int | None = None
    reason: str = ""
    signatures_checked: int = 0
    first_broken_signature_id: int | None = None
    broken_object: str = ""
    checkpoint: dict | None = field(default=None)  # the latest stored checkpoint the chain reached

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass
class _Claim:
    name: str  # "checkpoint 3" or "checkpoint file"
    claim: CheckpointClaim | None
    error: str = ""


def _claims(checkpoint_envelope) -> tuple[list[_Claim], dict | None]:
    claims = []
    latest = checkpoint_latest()
    summary = None
    if latest is not None:
        name = f"checkpoint {latest.pk}"
        try:
            claim = checkpoint_row_claim(latest)
            claims.append(_Claim(name, claim))
            summary = {
                "id": latest.pk,
                "event_id": claim.event_id,
                "event_count": claim.event_count,
                "signed_at": claim.signed_at,
            }
        except CheckpointError as exc:
            claims.append(_Claim(name, None, f"does not verify: {exc}"))
    if checkpoint_envelope is not None:
        try:
            claims.append(_Claim("checkpoint file", checkpoint_claim(checkpoint_envelope)))
        except CheckpointError as exc:
            claims.append(_Claim("checkpoint file", None, f"does not verify: {exc}"))
    return claims, summary


def _claim_reason(claim: CheckpointClaim, index: TrailIndex, last_id: int, checked: int) -> str:
    """Why the chain as it is does not reach `claim`, or ''."""
    reached = index.at.get(claim.event_id)
    if reached is None:
        if claim.event_id > last_id:
            return (
                f"names event {claim.event_id} ({claim.event_count} events) but the chain ends at event {last_id} "
                f"({checked} events): events were removed from the end of the trail"
            )
        return f"names event {claim.event_id}, which is missing from the chain: events were removed and re-chained"
    chain_hash, count = reached
    if chain_hash != claim.event_hash:
        return (
            f"the chain's hash at event {claim.event_id} is not the signed one: the trail was re-chained "
            "(an entry forged or changed and every later hash recomputed)"
        )
    if count != claim.event_count:
        return f"{count} events lead to event {claim.event_id}, the signed count is {claim.event_count}: events removed"
    return ""


def trail_verify(*, batch_size: int = 2000, checkpoint_envelope: str | bytes | dict | None = None) -> TrailVerification:
    """Walk the chain in id order (streamed in batches); an entry breaks it if its prev_hash is not the previous
    entry's hash, or if its own hash does not match its content (it was edited, e.g. with triggers disabled).
    Then: the latest stored checkpoint (and `checkpoint_envelope`, a checkpoint file's content, when given) must
    verify and be reached with its hash and count; every compliance event must be covered by the latest
    checkpoint (report views excepted: the periodic task signs after them); every ReportSignature must verify
    (signatures_checked counts those that did before the first failure); and reports, reviews and memberships
    must agree with the trail (services.trail_checks), and the access log's folded batches with their
    report.views_recorded events (services.report_access). Reads only; writes nothing. Raises ImproperlyConfigured
    when signatures or checkpoints exist but no signing key is configured."""
    claims, summary = _claims(checkpoint_envelope)
    watched = {c.claim.event_id for c in claims if c.claim is not None}
    latest_claim = claims[0].claim if claims and claims[0].name != "checkpoint file" else None
    covered_up_to = latest_claim.event_id if latest_claim is not None else 0
    index = TrailIndex()
    previous, checked, last_id, uncovered = GENESIS_HASH, 0, 0, None
    for event in AuditEvent.objects.order_by("id").iterator(chunk_size=batch_size):
        if event.prev_hash != previous:
            return TrailVerification(False, checked, event.pk, "prev_hash does not match the previous entry's hash")
        if event_hash(event) != event.hash:
            return TrailVerification(False, checked, event.pk, "content does not match its hash (entry was edited)")
        previous, last_id = event.hash, event.pk
        checked += 1
        if event.pk in watched:
            index.at[event.pk] = (event.hash, checked)
        index.add(event)
        if uncovered is None and event.pk > covered_up_to and event.action not in UNCHECKPOINTED_ACTIONS:
            uncovered = event
    for claim in claims:
        reason = claim.error or _claim_reason(claim.claim, index, last_id, checked)
        if reason:
            return TrailVerification(False, checked, reason=reason, broken_object=claim.name, checkpoint=summary)
    if uncovered is not None:
        reason = (
            f"{uncovered.action} of {uncovered.created_at:%Y-%m-%d %H:%M:%S} is not covered by a signed checkpoint "
            "(one is signed with every compliance event): it was added behind the platform's back, or the "
            "checkpoints after it were deleted"
        )
        broken = f"event {uncovered.pk}"
        return TrailVerification(False, checked, reason=reason, broken_object=broken, checkpoint=summary)
    signatures = 0
    # Small batches: each signature brings its report's canonical JSON along.
    for signature in ReportSignature.objects.select_related("report").order_by("id").iterator(chunk_size=100):
        reason = signature_verify(signature)
        if reason is not None:
            return TrailVerification(False, checked, None, reason, signatures, signature.pk, checkpoint=summary)
        signatures += 1
    found = trail_cross_check(index) or access_log_check(index.folds)
    if found is not None:
        return TrailVerification(False, checked, None, found[1], signatures, broken_object=found[0], checkpoint=summary)
    return TrailVerification(True, checked, signatures_checked=signatures, checkpoint=summary)
