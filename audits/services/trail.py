"""Verifying the hash-chained trail (design.md section 7): recompute every link, name the first broken one,
then check every report signature."""

from dataclasses import asdict, dataclass

from audits.constants import GENESIS_HASH
from audits.models import AuditEvent, ReportSignature

from .events import event_hash
from .signatures import signature_verify


@dataclass(frozen=True)
class TrailVerification:
    ok: bool
    checked: int
    first_broken_id: int | None = None
    reason: str = ""
    signatures_checked: int = 0
    first_broken_signature_id: int | None = None

    def as_dict(self) -> dict:
        return asdict(self)


def trail_verify(*, batch_size: int = 2000) -> TrailVerification:
    """Walk the chain in id order; an entry breaks it if its prev_hash is not the previous entry's hash,
    or if its own hash does not match its content (it was edited, e.g. with triggers disabled).
    When the chain holds, check every ReportSignature in id order (signatures_checked counts those that
    verified before the first failure). Reads only; writes nothing. Raises ImproperlyConfigured when
    signatures exist but no signing key is configured."""
    previous = GENESIS_HASH
    checked = 0
    for event in AuditEvent.objects.order_by("id").iterator(chunk_size=batch_size):
        if event.prev_hash != previous:
            return TrailVerification(False, checked, event.pk, "prev_hash does not match the previous entry's hash")
        if event_hash(event) != event.hash:
            return TrailVerification(False, checked, event.pk, "content does not match its hash (entry was edited)")
        previous = event.hash
        checked += 1
    signatures = 0
    # Small batches: each signature brings its report's canonical JSON along.
    for signature in ReportSignature.objects.select_related("report").order_by("id").iterator(chunk_size=100):
        reason = signature_verify(signature)
        if reason is not None:
            return TrailVerification(False, checked, None, reason, signatures, signature.pk)
        signatures += 1
    return TrailVerification(True, checked, signatures_checked=signatures)
