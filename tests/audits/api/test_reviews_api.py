"""Review and sign-off over the API: the author cannot approve, a reviewer can; every step and attempt is in the
trail; outsiders see nothing; a re-audit is compared with the previous approved report."""

import pytest

from audits.models import AuditEvent, ReportAccess, ReportSignature
from tests.api_errors import error_attr, error_detail
from tests.audits.factories import AuditPlanFactory, AuditReportFactory


@pytest.fixture
def report_of(auditor, workspace):
    """A report of `plan` (default: a new one) whose run the auditor requested."""

    def run(plan=None):
        return AuditReportFactory(user=auditor, run__plan=plan or AuditPlanFactory(user=auditor, workspace=workspace))

    return run


def _submit(client, report):
    response = client.post(f"/api/v1/reports/{report.pk}/submit/", {"comment": "ready"}, format="json")
    assert response.status_code == 201, response.json()
    return response.json()


def test_the_author_cannot_approve_and_a_reviewer_can_both_in_the_trail(
    auditor_client, reviewer_client, report_of, reviewer
):
    report = report_of()
    review = _submit(auditor_client, report)

    refused = auditor_client.post(f"/api/v1/reviews/{review['id']}/decide/", {"decision": "approve"}, format="json")
    started = reviewer_client.post(f"/api/v1/reviews/{review['id']}/start/")
    approved = reviewer_client.post(
        f"/api/v1/reviews/{review['id']}/decide/", {"decision": "approve", "comment": "checked"}, format="json"
    )

    assert refused.status_code == 403
    assert started.status_code == 200 and started.json()["status"] == "in_review"
    assert approved.status_code == 200, approved.json()
    assert approved.json()["status"] == "approved" and approved.json()["decided_by"] == reviewer.username
    actions = list(
        AuditEvent.objects.filter(object_type="ReportReview").order_by("id").values_list("action", "actor_label")
    )
    assert [a for a, _ in actions] == ["review.submit", "review.refused", "review.start", "review.approve"]
    refusal = AuditEvent.objects.get(action="review.refused")
    assert refusal.after["attempted"] == "approve" and "review" in refusal.after["reason"]
    assert set(ReportSignature.objects.filter(report=report).values_list("kind", flat=True)) == {"report", "approval"}


def test_a_reviewer_who_requested_the_audit_cannot_decide_it(reviewer, workspace, report_of, reviewer_client):
    from audits.choices import Role
    from audits.services.workspaces import membership_set

    membership_set(workspace=workspace, user=reviewer, role=Role.ADMIN, actor=reviewer)
    plan = AuditPlanFactory(user=reviewer, workspace=workspace)
    report = report_of(plan=plan)
    review = _submit(reviewer_client, report)

    response = reviewer_client.post(f"/api/v1/reviews/{review['id']}/decide/", {"decision": "approve"}, format="json")

    assert response.status_code == 403


def test_decisions_are_final_and_rejections_need_a_reason(auditor_client, reviewer_client, report_of):
    review = _submit(auditor_client, report_of())
    url = f"/api/v1/reviews/{review['id']}/decide/"
    assert reviewer_client.post(f"/api/v1/reviews/{review['id']}/start/").status_code == 200

    silent = reviewer_client.post(url, {"decision": "reject"}, format="json")
    rejected = reviewer_client.post(url, {"decision": "reject", "comment": "band too wide"}, format="json")
    again = reviewer_client.post(url, {"decision": "approve"}, format="json")

    assert silent.status_code == 400 and "comment" in error_detail(silent)
    assert rejected.status_code == 200 and rejected.json()["status"] == "rejected"
    assert again.status_code == 400 and "final" in error_detail(again)
    assert not ReportSignature.objects.filter(kind="approval").exists()


def test_a_decision_needs_a_started_review_and_closes_the_comments(auditor_client, reviewer_client, report_of):
    review = _submit(auditor_client, report_of())
    base = f"/api/v1/reviews/{review['id']}"

    early = reviewer_client.post(f"{base}/decide/", {"decision": "approve"}, format="json")
    noted = auditor_client.post(f"{base}/comment/", {"comment": "the band is the default"}, format="json")
    reviewer_client.post(f"{base}/start/")
    decided = reviewer_client.post(
        f"{base}/decide/", {"decision": "request_changes", "comment": "add B"}, format="json"
    )
    late = auditor_client.post(f"{base}/comment/", {"comment": "done, see the new report"}, format="json")

    assert early.status_code == 400 and "start it before deciding" in error_detail(early)
    assert noted.status_code == 201
    assert decided.status_code == 200 and decided.json()["status"] == "changes_requested"
    assert late.status_code == 400 and "comments close with the decision" in error_detail(late)
    actions = list(
        AuditEvent.objects.filter(object_type="ReportReview").order_by("id").values_list("action", flat=True)
    )
    assert actions == ["review.submit", "review.comment", "review.start", "review.request_changes"]


def test_outsiders_see_no_reviews_and_viewers_of_reports_are_recorded(
    auditor_client, outsider_client, report_of, auditor
):
    report = report_of()
    review = _submit(auditor_client, report)

    assert outsider_client.get(f"/api/v1/reviews/{review['id']}/").status_code == 404
    assert outsider_client.post(f"/api/v1/reviews/{review['id']}/start/").status_code == 404
    assert auditor_client.get(f"/api/v1/reports/{report.pk}/").status_code == 200
    viewed = ReportAccess.objects.get()
    assert (viewed.actor_id, viewed.report_id, viewed.via) == (auditor.pk, report.pk, "api")


def test_a_re_audit_is_compared_with_the_previous_approved_report(
    auditor, workspace, auditor_client, reviewer_client, report_of
):
    plan = AuditPlanFactory(user=auditor, workspace=workspace)
    first = report_of(plan=plan)
    review = _submit(auditor_client, first)
    assert reviewer_client.post(f"/api/v1/reviews/{review['id']}/start/").status_code == 200
    approved = reviewer_client.post(f"/api/v1/reviews/{review['id']}/decide/", {"decision": "approve"}, format="json")
    assert approved.status_code == 200, approved.json()
    second = report_of(plan=plan)

    response = auditor_client.get(f"/api/v1/reports/{second.pk}/diff/").json()

    assert response["previous_report"] == first.pk
    diff = response["diff"]
    assert diff["verdict_changes"] == [] and diff["new_findings"] == [] and diff["resolved_findings"] == []
    assert all(row["delta"] in (0, None) for row in diff["metrics"])  # same data, same seed: identical numbers
    assert auditor_client.get(f"/api/v1/reports/{first.pk}/diff/").json()["previous_report"] is None


def test_diff_against_compares_any_report_of_the_same_model_and_refuses_others(
    auditor, workspace, auditor_client, outsider_client, report_of
):
    # Per comparison: the planted disparate impact of these 600 rows fails on its own interval (the family-wise
    # default calls it inconclusive), and the lenient band turns that fail into a pass.
    plan = AuditPlanFactory(user=auditor, workspace=workspace, verdict_error_control="per_comparison")
    first = report_of(plan=plan)
    lenient = report_of(
        plan=AuditPlanFactory(
            user=auditor,
            workspace=workspace,
            dataset=plan.dataset,
            bands={"disparate_impact": [0.1, 10.0]},
            verdict_error_control="per_comparison",
        )  # fmt: skip
    )
    unrelated = report_of()

    response = auditor_client.get(f"/api/v1/reports/{lenient.pk}/diff/?against={first.pk}")

    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["previous_report"] == first.pk  # not approved, not the same plan: still comparable
    assert ("disparate_impact", "fail", "pass") in {
        (c["metric"], c["previous_verdict"], c["verdict"]) for c in body["diff"]["verdict_changes"]
    }
    refused = auditor_client.get(f"/api/v1/reports/{lenient.pk}/diff/?against={unrelated.pk}")
    assert refused.status_code == 400 and "same model or plan" in error_detail(refused)
    assert error_attr(refused) == "against"
    assert auditor_client.get(f"/api/v1/reports/{lenient.pk}/diff/?against=nope").status_code == 404
    assert outsider_client.get(f"/api/v1/reports/{lenient.pk}/diff/?against={first.pk}").status_code == 404
