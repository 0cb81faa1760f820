"""review_allowed_actions (what the report page offers) agrees with what the review services accept."""

import pytest
from django.db import transaction

from audits.choices import ReviewAction, Role
from audits.exceptions import ApplicationError
from audits.models import ReportReview
from audits.services import reviews
from audits.services.workspaces import membership_set, user_get_or_create
from tests.frontend.report_helpers import stored_report


class _Rollback(Exception):
    pass


def _service_accepts(user, report, action: str) -> bool:
    """Whether the service would do `action` for `user` now (tried, then rolled back)."""
    try:
        with transaction.atomic():
            review = ReportReview.objects.filter(report=report).first()
            if action == ReviewAction.SUBMIT:
                reviews.review_submit(user=user, report=report)
            elif review is None:
                return False
            elif action == ReviewAction.START:
                reviews.review_start(user=user, review=review)
            elif action == ReviewAction.COMMENT:
                reviews.review_comment(user=user, review=review, comment="a comment")
            else:
                reviews.review_decide(user=user, review=review, decision=action, comment="because")
            raise _Rollback
    except _Rollback:
        return True
    except ApplicationError:
        return False


@pytest.fixture
def people(auditor, reviewer, workspace):
    admin = user_get_or_create(username="ada-admin")
    second = user_get_or_create(username="sam-auditor")
    viewer = user_get_or_create(username="vic-viewer")
    membership_set(workspace=workspace, user=admin, role=Role.ADMIN, actor=auditor)
    membership_set(workspace=workspace, user=second, role=Role.AUDITOR, actor=auditor)
    membership_set(workspace=workspace, user=viewer, role=Role.VIEWER, actor=auditor)
    return {"requester": auditor, "reviewer": reviewer, "admin": admin, "second auditor": second, "viewer": viewer}


def _report_in(state: str, auditor, reviewer, workspace):
    report = stored_report(auditor, workspace, "encoder", tag=state)
    if state == "not submitted":
        return report
    review = reviews.review_submit(user=auditor, report=report)
    if state == "submitted":
        return report
    reviews.review_start(user=reviewer, review=review)
    if state == "approved":
        reviews.review_decide(user=reviewer, review=review, decision=ReviewAction.APPROVE)
    return report


@pytest.mark.parametrize("state", ["not submitted", "submitted", "in review", "approved"])
def test_the_offered_actions_are_exactly_those_the_services_accept(state, people, auditor, reviewer, workspace):
    report = _report_in(state, auditor, reviewer, workspace)
    for name, user in people.items():
        offered = set(reviews.review_allowed_actions(user=user, report=report).actions)
        accepted = {action for action in ReviewAction.values if _service_accepts(user, report, action)}
        assert offered == accepted, f"{name} on a report {state}"


def test_the_reason_names_the_rule_that_stops_the_user(people, auditor, reviewer, workspace):
    report = _report_in("submitted", auditor, reviewer, workspace)

    def reason(name: str) -> str:
        return reviews.review_allowed_actions(user=people[name], report=report).reason

    assert reason("requester") == "Only reviewers and admins can review; your role is 'auditor'."
    assert reason("viewer") == "Only reviewers and admins can review; your role is 'viewer'."
    assert reason("reviewer") == reason("admin") == ""
    assert reviews.review_allowed_actions(user=user_get_or_create(username="nobody"), report=report).actions == ()


def test_an_admin_who_requested_or_an_admin_who_submitted_is_told_another_reviewer_must_decide(
    people, auditor, workspace
):
    requester = user_get_or_create(username="ray-admin")
    membership_set(workspace=workspace, user=requester, role=Role.ADMIN, actor=auditor)
    requested = stored_report(requester, workspace, "encoder", tag="requested")
    reviews.review_submit(user=people["admin"], report=requested)

    by_requester = reviews.review_allowed_actions(user=requester, report=requested)
    by_submitter = reviews.review_allowed_actions(user=people["admin"], report=requested)

    assert by_requester.reason.startswith("You created this audit's plan (its attributes and bands); another reviewer")
    assert by_submitter.reason.startswith("You submitted this report; another reviewer must decide")
    assert ReviewAction.START not in by_requester.actions + by_submitter.actions
    assert not _service_accepts(requester, requested, ReviewAction.START)
    assert ReviewAction.START in reviews.review_allowed_actions(user=people["reviewer"], report=requested).actions
