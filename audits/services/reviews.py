"""Review and sign-off of reports (design.md section 7): submitted -> in review -> approved / rejected /
changes requested. Only reviewers and admins decide; nobody decides on an audit they designed (its plan), requested
or submitted. Every step, refused attempts included, is in the trail; an approval adds a signed statement."""

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from audits.choices import REVIEW_EVENTS, EventAction, ReviewAction, ReviewStatus, Role
from audits.exceptions import ApplicationError, PermissionDeniedError
from audits.models import AuditReport, ReportReview, ReviewEntry

from .events import event_record
from .signatures import approval_sign
from .webhook_events import webhook_review_decided
from .workspaces import WRITE_ROLES, workspace_require_role, workspace_role

DECISIONS = {
    ReviewAction.APPROVE: ReviewStatus.APPROVED,
    ReviewAction.REJECT: ReviewStatus.REJECTED,
    ReviewAction.REQUEST_CHANGES: ReviewStatus.CHANGES_REQUESTED,
}
OPEN = (ReviewStatus.SUBMITTED, ReviewStatus.IN_REVIEW)  # a comment is accepted only while the review is open
DECIDERS = (Role.REVIEWER, Role.ADMIN)
MAX_COMMENT = 10_000


def _entry(review: ReportReview, action: str, user, comment: str, request_id: str, after: dict) -> ReviewEntry:
    entry = ReviewEntry.objects.create(review=review, action=action, actor=user, comment=comment[:MAX_COMMENT])
    event_record(
        action=REVIEW_EVENTS[action],
        obj=review,
        actor=user,
        workspace=review.workspace,
        request_id=request_id,
        after={"report": review.report_id, "entry": entry.pk, **after},
    )
    return entry


@transaction.atomic
def review_submit(*, user, report: AuditReport, comment: str = "", request_id: str = "") -> ReportReview:
    """Submit `report` for review (auditors and admins). One review per report: a re-audit makes a new report.

    Writes a ReviewEntry and event review.submit. Raises ApplicationError if the report is already submitted.
    """
    workspace_require_role(user=user, workspace=report.workspace)
    if ReportReview.objects.filter(report=report).exists():
        raise ApplicationError("This report has been submitted already; re-audit to get a new report.")
    review = ReportReview.objects.create(workspace=report.workspace, report=report, submitted_by=user)
    _entry(review, ReviewAction.SUBMIT, user, comment, request_id, {"status": review.status})
    return review


def _refuse(review: ReportReview, user, action: str, reason: str, request_id: str) -> PermissionDeniedError:
    """Record a refused attempt in the trail (its own transaction, so the refusal survives) and return the error."""
    with transaction.atomic():
        event_record(
            action=EventAction.REVIEW_REFUSED,
            obj=review,
            actor=user,
            workspace=review.workspace,
            request_id=request_id,
            after={"report": review.report_id, "attempted": action, "reason": reason},
        )
    return PermissionDeniedError(reason)


def _decider_refusal(review: ReportReview, user, role: str) -> str:
    """Why `user` (with `role`) may not start or decide `review`, or '' when they may: the one rule that
    review_start, review_decide and review_allowed_actions share."""
    if role not in DECIDERS:
        return f"Only reviewers and admins can review; your role is '{role}'."
    why = " (whoever designed, requested or submitted an audit cannot review it)."
    if user.pk == review.report.run.plan.created_by_id:
        return "You created this audit's plan (its attributes and bands); another reviewer must decide" + why
    if user.pk == review.report.run.requested_by_id:
        return "You requested this audit; another reviewer must decide" + why
    if user.pk == review.submitted_by_id:
        return "You submitted this report; another reviewer must decide" + why
    return ""


def _check_decider(review: ReportReview, user, action: str, request_id: str) -> None:
    role = workspace_require_role(user=user, workspace=review.workspace, roles=tuple(Role))
    reason = _decider_refusal(review, user, role)
    if reason:
        raise _refuse(review, user, action, reason, request_id)


def review_start(*, user, review: ReportReview, request_id: str = "") -> ReportReview:
    """A reviewer takes the review: submitted -> in review. Writes review.start (or review.refused)."""
    _check_decider(review, user, ReviewAction.START, request_id)
    with transaction.atomic():
        current = _status(review)
        if current != ReviewStatus.SUBMITTED:
            raise ApplicationError(f"The review is '{current}', not 'submitted'.")
        # The entry first: the database lets the row take only the status its entries imply.
        _entry(review, ReviewAction.START, user, "", request_id, {"status": ReviewStatus.IN_REVIEW})
        ReportReview.objects.filter(pk=review.pk).update(status=ReviewStatus.IN_REVIEW, updated_at=timezone.now())
        review.refresh_from_db()
    return review


def review_decide(*, user, review: ReportReview, decision: str, comment: str = "", request_id: str = ""):
    """Approve, reject or request changes (reviewers and admins other than the audit's requester and submitter).

    Only a started review (in review) can be decided: a submitted one must be started first, and a decided one is
    final; either raises ApplicationError and changes nothing (an out-of-order call is not a refused attempt, as
    for review_start). A row lock settles concurrent decisions: the first wins, the second gets ApplicationError.
    The entry is written before the row changes (a database trigger holds the status to what the entries imply).
    An approval is signed (a second DSSE statement naming the reviewer). Writes review.<decision>
    and, for an approval, report.approval_signed, and enqueues review.decided webhooks on commit; a refused attempt
    writes review.refused and raises PermissionDeniedError.
    """
    if decision not in DECISIONS:
        raise ApplicationError(f"Unknown decision '{decision}'; use one of {', '.join(DECISIONS)}.", field="decision")
    _check_decider(review, user, decision, request_id)
    if decision != ReviewAction.APPROVE and not comment.strip():
        raise ApplicationError("Say why in a comment when rejecting or requesting changes.", field="comment")
    with transaction.atomic():
        current = _status(review)
        if current != ReviewStatus.IN_REVIEW:
            if current == ReviewStatus.SUBMITTED:
                raise ApplicationError("The review is 'submitted': start it before deciding.")
            raise ApplicationError(f"The review is already '{current}'; decisions are final.")
        # The entry first: the database lets the row take only the status its entries imply.
        entry = _entry(review, decision, user, comment, request_id, {"status": DECISIONS[decision]})
        now = timezone.now()
        ReportReview.objects.filter(pk=review.pk).update(
            status=DECISIONS[decision], decided_by=user, decided_at=now, updated_at=now
        )
        review.refresh_from_db()
        if decision == ReviewAction.APPROVE:
            approval_sign(report=review.report, review_entry=entry)
        webhook_review_decided(review=review)
    return review


@transaction.atomic
def review_comment(*, user, review: ReportReview, comment: str, request_id: str = "") -> ReviewEntry:
    """Add a comment (auditors, reviewers, admins) while the review is open (submitted or in review).

    Writes review.comment. Raises ApplicationError for an empty comment or a review already decided: a decision
    is final and so is its record; a re-audit makes a new report to discuss.
    """
    workspace_require_role(user=user, workspace=review.workspace, roles=(Role.AUDITOR, *DECIDERS))
    if not comment.strip():
        raise ApplicationError("The comment is empty.", field="comment")
    # The row lock makes a comment racing a decision wait for it, then see the decided status.
    current = ReportReview.objects.select_for_update().filter(pk=review.pk).values_list("status", flat=True).first()
    if current not in OPEN:
        raise ApplicationError(f"The review is already '{current}'; comments close with the decision.")
    return _entry(review, ReviewAction.COMMENT, user, comment, request_id, {})


def _status(review: ReportReview) -> str:
    """The review's status, its row locked until the transaction ends: concurrent steps queue here and the later
    one sees the earlier one's status (row lock, then the trail's lock: the order review_comment takes them in)."""
    locked = ReportReview.objects.select_for_update().filter(pk=review.pk)
    return locked.values_list("status", flat=True).first() or "unknown"


@dataclass(frozen=True)
class ReviewOptions:
    """What a user may do to a report's review now (the actions, as ReviewAction values) and, when they may not
    review it, why; the page shows the buttons and the reason. Agrees with the services' own checks."""

    actions: tuple[str, ...]
    reason: str = ""


def review_allowed_actions(*, user, report: AuditReport) -> ReviewOptions:
    """The review steps `user` may take on `report` now, by the same rules the services enforce: submit (auditors
    and admins, no review yet), start (submitted) and approve / reject / request changes (in review) for reviewers
    and admins who neither designed (created the plan), requested nor submitted the audit, comment (auditors,
    reviewers, admins) while open.
    Reads only; raises nothing (a non-member gets no action)."""
    role = workspace_role(user=user, workspace=report.workspace)
    if role is None:
        return ReviewOptions(actions=())
    review = ReportReview.objects.filter(report=report).select_related("report__run__plan").first()
    if review is None:
        if role in WRITE_ROLES:
            return ReviewOptions(actions=(ReviewAction.SUBMIT,))
        return ReviewOptions(
            actions=(), reason=f"Auditors and admins submit reports for review; your role is '{role}'."
        )
    actions: list[str] = []
    refusal = _decider_refusal(review, user, role)
    if review.status == ReviewStatus.SUBMITTED and not refusal:
        actions.append(ReviewAction.START)
    if review.status == ReviewStatus.IN_REVIEW and not refusal:
        actions += list(DECISIONS)
    if review.status in OPEN and role in (Role.AUDITOR, *DECIDERS):
        actions.append(ReviewAction.COMMENT)
    reason = refusal if review.status in OPEN else ""
    return ReviewOptions(actions=tuple(actions), reason=reason)
