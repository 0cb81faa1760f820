"""Review services: every step writes its entry and its trail event; a refused attempt is recorded as
review.refused and changes nothing else; a refused call that is no attempt to decide leaves no trace."""

import pytest

from audits.choices import ReviewAction, ReviewStatus, Role
from audits.exceptions import ApplicationError, NotFoundError, PermissionDeniedError
from audits.models import AuditEvent, ReportReview, ReportSignature, ReviewEntry
from audits.services.reviews import review_comment, review_decide, review_start, review_submit
from tests.audits.factories import AuditPlanFactory, AuditReportFactory, AuditRunFactory, MembershipFactory


def _event(action: str, review: ReportReview) -> AuditEvent:
    return AuditEvent.objects.get(action=action, object_type="ReportReview", object_id=str(review.pk))


def _state() -> tuple[int, int, int]:
    return AuditEvent.objects.count(), ReviewEntry.objects.count(), ReportSignature.objects.count()


def _started(report, auditor, reviewer) -> ReportReview:
    review = review_submit(user=auditor, report=report)
    return review_start(user=reviewer, review=review)


def test_submit_opens_a_review_with_its_entry_and_event(report, auditor):
    review = review_submit(user=auditor, report=report, comment="ready", request_id="req-1")

    assert (review.status, review.submitted_by, review.workspace) == ("submitted", auditor, report.workspace)
    (entry,) = review.entries.all()
    assert (entry.action, entry.actor, entry.comment) == (ReviewAction.SUBMIT, auditor, "ready")
    event = _event("review.submit", review)
    assert (event.workspace_id, event.actor_id, event.request_id) == (report.workspace_id, auditor.pk, "req-1")
    assert event.after == {"report": report.pk, "entry": entry.pk, "status": "submitted"}


def test_a_report_is_submitted_once(report, auditor):
    review_submit(user=auditor, report=report)
    before = _state()

    with pytest.raises(ApplicationError, match="submitted already"):
        review_submit(user=auditor, report=report)

    assert ReportReview.objects.filter(report=report).count() == 1
    assert _state() == before


def test_reviewers_and_outsiders_cannot_submit(report, reviewer, outsider):
    before = _state()

    with pytest.raises(PermissionDeniedError, match="'reviewer'"):
        review_submit(user=reviewer, report=report)
    with pytest.raises(NotFoundError):
        review_submit(user=outsider, report=report)

    assert not ReportReview.objects.exists()
    assert _state() == before


def test_start_moves_a_submitted_review_into_review_once(report, auditor, reviewer):
    review = review_submit(user=auditor, report=report)

    review_start(user=reviewer, review=review, request_id="req-2")

    assert review.status == ReviewStatus.IN_REVIEW
    entry = review.entries.get(action=ReviewAction.START)
    event = _event("review.start", review)
    assert (event.actor_id, event.workspace_id, event.request_id) == (reviewer.pk, report.workspace_id, "req-2")
    assert event.after == {"report": report.pk, "entry": entry.pk, "status": "in_review"}
    before = _state()
    with pytest.raises(ApplicationError, match="not 'submitted'"):
        review_start(user=reviewer, review=review)
    assert _state() == before


def test_an_approval_is_recorded_and_signed(report, auditor, reviewer):
    review = _started(report, auditor, reviewer)

    review_decide(user=reviewer, review=review, decision="approve", comment="checked", request_id="req-3")

    assert (review.status, review.decided_by) == (ReviewStatus.APPROVED, reviewer) and review.decided_at
    entry = review.entries.get(action=ReviewAction.APPROVE)
    assert entry.comment == "checked"
    event = _event("review.approve", review)
    assert (event.actor_id, event.workspace_id, event.request_id) == (reviewer.pk, report.workspace_id, "req-3")
    assert event.after == {"report": report.pk, "entry": entry.pk, "status": "approved"}
    signature = ReportSignature.objects.get(report=report, kind="approval")
    assert signature.review_entry_id == entry.pk
    assert AuditEvent.objects.get(action="report.approval_signed").after["signature"] == signature.pk


@pytest.mark.parametrize(("decision", "status"), [("reject", "rejected"), ("request_changes", "changes_requested")])
def test_rejections_and_change_requests_keep_their_reason_and_are_not_signed(
    report, auditor, reviewer, decision, status
):
    review = _started(report, auditor, reviewer)

    review_decide(user=reviewer, review=review, decision=decision, comment="band too wide")

    entry = review.entries.get(action=decision)
    assert review.status == status and entry.comment == "band too wide"
    assert _event(f"review.{decision}", review).after == {"report": report.pk, "entry": entry.pk, "status": status}
    assert not ReportSignature.objects.filter(kind="approval").exists()


def test_decisions_are_final(report, auditor, reviewer):
    review = _started(report, auditor, reviewer)
    review_decide(user=reviewer, review=review, decision="reject", comment="band too wide")
    before = _state()

    with pytest.raises(ApplicationError, match="decisions are final"):
        review_decide(user=reviewer, review=review, decision="approve")

    assert ReportReview.objects.get(pk=review.pk).status == ReviewStatus.REJECTED
    assert _state() == before


def test_a_submitted_review_must_be_started_before_it_is_decided(report, auditor, reviewer):
    review = review_submit(user=auditor, report=report)
    before = _state()

    for decision in ("approve", "reject", "request_changes"):
        with pytest.raises(ApplicationError, match="'submitted': start it before deciding"):
            review_decide(user=reviewer, review=review, decision=decision, comment="band too wide")

    review.refresh_from_db()
    assert (review.status, review.decided_by, review.decided_at) == (ReviewStatus.SUBMITTED, None, None)
    assert _state() == before  # an out-of-order call is no refused attempt: nothing in the trail
    review_start(user=reviewer, review=review)
    review_decide(user=reviewer, review=review, decision="approve")
    assert ReportReview.objects.get(pk=review.pk).status == ReviewStatus.APPROVED


def test_an_unknown_decision_or_a_rejection_without_reason_changes_nothing(report, auditor, reviewer):
    review = _started(report, auditor, reviewer)
    before = _state()

    with pytest.raises(ApplicationError, match="Unknown decision 'maybe'"):
        review_decide(user=reviewer, review=review, decision="maybe")
    with pytest.raises(ApplicationError, match="Say why"):
        review_decide(user=reviewer, review=review, decision="reject", comment="  ")

    assert ReportReview.objects.get(pk=review.pk).status == ReviewStatus.IN_REVIEW
    assert _state() == before


def test_an_auditor_who_tries_to_approve_is_refused_and_only_the_refusal_is_recorded(report, auditor):
    review = review_submit(user=auditor, report=report)
    events, entries, signatures = _state()

    with pytest.raises(PermissionDeniedError, match="Only reviewers and admins"):
        review_decide(user=auditor, review=review, decision="approve", request_id="req-4")

    refusal = AuditEvent.objects.get(action="review.refused")
    assert (refusal.object_type, refusal.object_id) == ("ReportReview", str(review.pk))
    assert (refusal.actor_id, refusal.workspace_id, refusal.request_id) == (auditor.pk, report.workspace_id, "req-4")
    assert refusal.after == {
        "report": report.pk,
        "attempted": "approve",
        "reason": "Only reviewers and admins can review; your role is 'auditor'.",
    }
    assert _state() == (events + 1, entries, signatures)
    review.refresh_from_db()
    assert (review.status, review.decided_by) == (ReviewStatus.SUBMITTED, None)


def test_an_admin_who_submitted_the_report_cannot_start_or_decide_it(report, reviewer):
    MembershipFactory(workspace=report.workspace, user=reviewer, role=Role.ADMIN)
    review = review_submit(user=reviewer, report=report)

    with pytest.raises(PermissionDeniedError, match="requested or submitted"):
        review_start(user=reviewer, review=review)
    with pytest.raises(PermissionDeniedError, match="requested or submitted"):
        review_decide(user=reviewer, review=review, decision="reject", comment="not mine to judge")

    refusals = AuditEvent.objects.filter(action="review.refused", object_id=str(review.pk)).order_by("id")
    assert [(e.after["attempted"], e.actor_id) for e in refusals] == [("start", reviewer.pk), ("reject", reviewer.pk)]
    assert list(review.entries.values_list("action", flat=True)) == ["submit"]
    assert ReportReview.objects.get(pk=review.pk).status == ReviewStatus.SUBMITTED


def test_comments_are_entries_with_their_event_and_viewers_cannot_comment(report, auditor, reviewer, outsider):
    review = review_submit(user=auditor, report=report)
    viewer = MembershipFactory(workspace=report.workspace, role=Role.VIEWER).user

    entry = review_comment(user=reviewer, review=review, comment="see page 3", request_id="req-5")

    assert (entry.action, entry.actor, entry.comment) == (ReviewAction.COMMENT, reviewer, "see page 3")
    event = _event("review.comment", review)
    assert (event.actor_id, event.workspace_id, event.request_id) == (reviewer.pk, report.workspace_id, "req-5")
    assert event.after == {"report": report.pk, "entry": entry.pk}
    before = _state()
    with pytest.raises(ApplicationError, match="empty"):
        review_comment(user=auditor, review=review, comment="   ")
    with pytest.raises(PermissionDeniedError, match="'viewer'"):
        review_comment(user=viewer, review=review, comment="looks fine")
    with pytest.raises(NotFoundError):
        review_comment(user=outsider, review=review, comment="hello")
    assert _state() == before


def test_comments_are_accepted_while_the_review_is_open(report, auditor, reviewer):
    review = review_submit(user=auditor, report=report)
    review_comment(user=auditor, review=review, comment="before the start")
    review_start(user=reviewer, review=review)

    review_comment(user=reviewer, review=review, comment="during the review")

    assert list(review.entries.filter(action=ReviewAction.COMMENT).values_list("comment", flat=True)) == [
        "before the start",
        "during the review",
    ]


@pytest.mark.parametrize(
    ("decision", "status"), [("approve", "approved"), ("reject", "rejected"), ("request_changes", "changes_requested")]
)
def test_comments_after_a_decision_are_refused_and_change_nothing(report, auditor, reviewer, decision, status):
    review = _started(report, auditor, reviewer)
    review_decide(user=reviewer, review=review, decision=decision, comment="band too wide")
    before = _state()

    for user in (auditor, reviewer):
        with pytest.raises(ApplicationError, match=f"already '{status}'; comments close with the decision"):
            review_comment(user=user, review=review, comment="one more thing")

    assert _state() == before
    assert not review.entries.filter(action=ReviewAction.COMMENT).exists()


def test_the_admin_who_created_the_plan_cannot_review_its_report(auditor, reviewer, workspace):
    """Issue 14: whoever chose an audit's attributes and bands does not sign off its result, even as an admin and
    even when someone else asked for the run."""
    designer = MembershipFactory(workspace=workspace, role=Role.ADMIN).user
    plan = AuditPlanFactory(user=designer, workspace=workspace)
    report = AuditReportFactory(run=AuditRunFactory(user=auditor, workspace=workspace, plan=plan))
    review = review_submit(user=auditor, report=report)

    with pytest.raises(PermissionDeniedError, match="You created this audit's plan"):
        review_start(user=designer, review=review)

    assert ReportReview.objects.get(pk=review.pk).status == ReviewStatus.SUBMITTED
    assert _event("review.refused", review).actor == designer
    assert review_start(user=reviewer, review=review).status == ReviewStatus.IN_REVIEW
