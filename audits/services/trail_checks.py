"""Cross-checks of the compliance tables against the trail (design.md section 7), for services.trail.

The chain proves the events were not changed; these checks prove the tables say what the events say: every
report was created and signed in the trail with the sha256 it has now, every review's status is the one its
append-only entries imply (and each entry is in the trail), an approved review has its approval signature, and
every membership is exactly what the membership events leave. Each check returns the first inconsistency as
(object, reason). The index is ids and short strings only, collected while the chain is streamed.
"""

from collections import defaultdict
from dataclasses import dataclass, field

from audits.canonical import sha256_hex
from audits.choices import EventAction, ReviewAction, ReviewStatus
from audits.models import AuditEvent, AuditReport, Membership, ReportReview, ReportSignature, ReviewEntry
from audits.signing import dsse
from audits.signing.keys import public_key_pem

_SIGNING_EVENTS = {EventAction.REPORT_SIGNED, EventAction.REPORT_APPROVAL_SIGNED}
_ENTRY_EVENTS = {f"review.{action}" for action in ReviewAction.values}
# A review's status after each entry, from the status before it (services.reviews enforces the same order).
_NEXT_STATUS = {
    (None, ReviewAction.SUBMIT): ReviewStatus.SUBMITTED,
    (ReviewStatus.SUBMITTED, ReviewAction.COMMENT): ReviewStatus.SUBMITTED,
    (ReviewStatus.SUBMITTED, ReviewAction.START): ReviewStatus.IN_REVIEW,
    (ReviewStatus.IN_REVIEW, ReviewAction.COMMENT): ReviewStatus.IN_REVIEW,
    (ReviewStatus.IN_REVIEW, ReviewAction.APPROVE): ReviewStatus.APPROVED,
    (ReviewStatus.IN_REVIEW, ReviewAction.REJECT): ReviewStatus.REJECTED,
    (ReviewStatus.IN_REVIEW, ReviewAction.REQUEST_CHANGES): ReviewStatus.CHANGES_REQUESTED,
}
_DECISIONS = (ReviewAction.APPROVE, ReviewAction.REJECT, ReviewAction.REQUEST_CHANGES)


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


@dataclass
class TrailIndex:
    """What the chain says about compliance objects: ids and short strings, one entry per object."""

    reports: dict[int, tuple[int, str]] = field(default_factory=dict)  # report -> (event, sha256 at creation)
    signatures: dict[int, tuple[int, int, str]] = field(default_factory=dict)  # signature -> (event, report, kind)
    entries: dict[int, tuple[int, int, str]] = field(default_factory=dict)  # review entry -> (event, review, action)
    # membership -> (event, workspace, username, role); username and role None once removed
    memberships: dict[int, tuple[int, int | None, str | None, str | None]] = field(default_factory=dict)
    at: dict[int, tuple[str, int]] = field(default_factory=dict)  # watched event -> (hash, events up to it)
    folds: list[tuple[int, int | None, dict]] = field(default_factory=list)  # views_recorded: (event, workspace, after)

    def add(self, event: AuditEvent) -> None:
        after = event.after if isinstance(event.after, dict) else {}
        object_id = _int(event.object_id)
        if event.action == EventAction.REPORT_CREATED:
            self.reports[object_id] = (event.pk, str(after.get("sha256")))
        elif event.action in _SIGNING_EVENTS and _int(after.get("signature")) is not None:
            self.signatures[_int(after["signature"])] = (event.pk, object_id, str(after.get("kind")))
        elif event.action in _ENTRY_EVENTS and _int(after.get("entry")) is not None:
            self.entries[_int(after["entry"])] = (event.pk, object_id, event.action.removeprefix("review."))
        elif event.action == EventAction.MEMBERSHIP_SET:
            self.memberships[object_id] = (event.pk, event.workspace_id, after.get("user"), after.get("role"))
        elif event.action == EventAction.MEMBERSHIP_REMOVED:
            self.memberships[object_id] = (event.pk, event.workspace_id, None, None)
        elif event.action == EventAction.REPORT_VIEWS_RECORDED:
            self.folds.append((event.pk, event.workspace_id, after))


def trail_cross_check(index: TrailIndex) -> tuple[str, str] | None:
    """The first inconsistency between the compliance tables and the trail, as (object, reason); None if none.
    Reports first (by id), then reviews, then memberships. Reads only."""
    return _reports(index) or _reviews(index) or _memberships(index)


def _reports(index: TrailIndex) -> tuple[str, str] | None:
    stored: dict[int, list[tuple[int, str]]] = defaultdict(list)
    for signature_id, report_id, kind in ReportSignature.objects.order_by("id").values_list("id", "report_id", "kind"):
        stored[report_id].append((signature_id, kind))
    signed: dict[int, list[tuple[int, int, str]]] = defaultdict(list)
    for signature_id, (event_id, report_id, kind) in sorted(index.signatures.items()):
        signed[report_id].append((signature_id, event_id, kind))
    seen = set()
    reports = AuditReport.objects.only("id", "sha256", "canonical_json").order_by("id")
    for report in reports.iterator(chunk_size=100):  # small batches: each brings its canonical JSON
        seen.add(report.pk)
        reason = _report_reason(report, index, stored[report.pk], signed[report.pk])
        if reason:
            return f"report {report.pk}", reason
    for report_id, (event_id, _) in sorted(index.reports.items()):
        if report_id not in seen:
            return f"report {report_id}", f"is in the trail (event {event_id}) but missing from the database"
    return None


def _report_reason(report, index: TrailIndex, stored: list, signed: list) -> str:
    if sha256_hex(report.canonical_json) != report.sha256:
        return "its content does not match its sha256 (the report was edited)"
    created = index.reports.get(report.pk)
    if created is None:
        return "has no report.created event in the trail"
    if created[1] != report.sha256:
        return (
            f"its sha256 is not the one its report.created event {created[0]} recorded "
            "(the report was replaced and its sha256 recomputed)"
        )
    present = {signature_id for signature_id, _ in stored}
    for signature_id, event_id, kind in signed:
        if signature_id not in present:
            return f"its {kind} signature {signature_id} (event {event_id}) is missing from the database"
    if not any(kind == "report" for _, kind in stored):
        return "has no report signature"
    for signature_id, kind in stored:
        if signature_id not in index.signatures:
            return f"its {kind} signature {signature_id} has no signing event in the trail"
    return ""


def _reviews(index: TrailIndex) -> tuple[str, str] | None:
    entries: dict[int, list[tuple[int, str, int]]] = defaultdict(list)
    rows = ReviewEntry.objects.order_by("review_id", "id").values_list("review_id", "id", "action", "actor_id")
    for review_id, entry_id, action, actor_id in rows.iterator(chunk_size=5000):
        entries[review_id].append((entry_id, action, actor_id))
    approvals = dict(
        ReportSignature.objects.filter(kind="approval", review_entry__isnull=False).values_list("review_entry_id", "id")
    )
    reviews = ReportReview.objects.order_by("id").values_list("id", "report_id", "status", "decided_by_id")
    for review_id, report_id, status, decided_by in reviews.iterator(chunk_size=5000):
        reason = _review_reason(review_id, status, decided_by, entries[review_id], index, approvals)
        if reason:
            return f"review {review_id} (report {report_id})", reason
    present = {entry_id for rows in entries.values() for entry_id, _, _ in rows}
    for entry_id, (event_id, review_id, action) in sorted(index.entries.items()):
        if entry_id not in present:
            return f"review {review_id}", f"its entry {entry_id} ({action}, event {event_id}) is missing"
    return None


def _review_reason(review_id, status, decided_by, entries, index: TrailIndex, approvals: dict) -> str:
    """The review's status replayed from its entries, compared with the stored one."""
    implied, decision = None, None
    for entry_id, action, actor_id in entries:
        if index.entries.get(entry_id, (None, None, None))[1:] != (review_id, action):
            return f"its entry {entry_id} ({action}) is not in the trail"
        following = _NEXT_STATUS.get((implied, action))
        if following is None:
            return f"its entry {entry_id} ({action}) cannot follow status '{implied or 'none'}'"
        implied = following
        if action in _DECISIONS:
            decision = (entry_id, action, actor_id)
    if implied is None:
        return "has no entries (not even its submission)"
    if status != implied:
        return f"its status is '{status}' but its entries say '{implied}'"
    if decided_by != (decision[2] if decision else None):
        return f"decided_by is user {decided_by} but its entries say {decision[2] if decision else 'nobody'}"
    if implied == ReviewStatus.APPROVED:
        signature_id = approvals.get(decision[0])
        if signature_id is None:
            return f"is approved (entry {decision[0]}) but has no approval signature"
        return _approval_reason(signature_id, decision)
    return ""


def _approval_reason(signature_id: int, decision: tuple) -> str:
    """The approval signature (already verified by services.trail) names this decision and this reviewer."""
    envelope = ReportSignature.objects.filter(pk=signature_id).values_list("envelope_json", flat=True).get()
    try:
        predicate = dsse.verify_envelope(envelope, public_key_pem()).get("predicate") or {}
    except dsse.EnvelopeError as exc:
        return f"its approval signature {signature_id} does not verify: {exc}"
    if (predicate.get("decision"), predicate.get("reviewer_id")) != (decision[1], decision[2]):
        return f"its approval signature {signature_id} does not name entry {decision[0]}'s decision and reviewer"
    return ""


def _memberships(index: TrailIndex) -> tuple[str, str] | None:
    seen = set()
    rows = Membership.objects.order_by("id").values_list("id", "workspace_id", "user__username", "role")
    for membership_id, workspace_id, username, role in rows.iterator(chunk_size=5000):
        seen.add(membership_id)
        name = f"membership {membership_id} ({username} in workspace {workspace_id})"
        state = index.memberships.get(membership_id)
        if state is None:
            return name, f"role '{role}' is not in the trail (no membership.set event)"
        event_id, trail_workspace, trail_user, trail_role = state
        if trail_role is None:
            return name, f"was removed by event {event_id} but is still present (role '{role}')"
        if (trail_workspace, trail_user) != (workspace_id, username):
            return name, f"event {event_id} gave this membership to {trail_user} in workspace {trail_workspace}"
        if trail_role != role:
            return name, f"role is '{role}' but the trail says '{trail_role}' (event {event_id})"
    for membership_id, (event_id, workspace_id, username, role) in sorted(index.memberships.items()):
        if role is not None and membership_id not in seen:
            return (
                f"membership {membership_id} ({username} in workspace {workspace_id})",
                f"was deleted without a membership.removed event (event {event_id} gave it role '{role}')",
            )
    return None
