"""Selectors that decide what a page shows: the reviews awaiting a user's decision, a dataset's group sizes."""

from audits.choices import Role
from audits.selectors import dataset_group_sizes, review_awaiting_list
from audits.services.reviews import review_decide, review_start, review_submit
from audits.services.workspaces import membership_set, user_get_or_create
from tests.audits.factories import AuditReportFactory, DatasetFactory
from tests.factories import credit_frame


def test_reviewers_see_open_reviews_of_reports_they_did_not_request(auditor, reviewer, workspace, outsider):
    report = AuditReportFactory(user=auditor, workspace=workspace)
    review = review_submit(user=auditor, report=report)
    admin = user_get_or_create(username="ada-admin")
    membership_set(workspace=workspace, user=admin, role=Role.ADMIN, actor=auditor)

    assert list(review_awaiting_list(user=reviewer)) == [review]
    assert list(review_awaiting_list(user=admin)) == [review]
    assert list(review_awaiting_list(user=auditor)) == []  # an auditor does not decide, and requested it
    assert list(review_awaiting_list(user=outsider)) == []

    review_start(user=reviewer, review=review)
    assert list(review_awaiting_list(user=reviewer)) == [review]  # in review is still open
    review_decide(user=reviewer, review=review, decision="approve", comment="ok")
    assert list(review_awaiting_list(user=reviewer)) == []


def test_an_admin_does_not_see_the_review_of_an_audit_they_requested(auditor, workspace):
    admin = user_get_or_create(username="ada-admin")
    membership_set(workspace=workspace, user=admin, role=Role.ADMIN, actor=auditor)
    review_submit(user=admin, report=AuditReportFactory(user=admin, workspace=workspace))

    assert list(review_awaiting_list(user=admin)) == []


def test_dataset_group_sizes_flag_groups_under_the_minimum(auditor, workspace):
    frame = credit_frame(n=200)
    frame.loc[:9, "age_band"] = "over-90"
    dataset = DatasetFactory(user=auditor, workspace=workspace, frame=frame)

    rows = {row["attribute"].name: row for row in dataset_group_sizes(dataset=dataset)}
    strict = {row["attribute"].name: row for row in dataset_group_sizes(dataset=dataset, min_group_size=150)}

    assert rows["age_band"]["small"] == ["over-90"] and rows["sex"]["small"] == []
    sizes = {g["name"]: g["size"] for g in rows["sex"]["groups"]}
    assert sizes == frame["sex"].value_counts().to_dict()
    assert strict["sex"]["small"] == [g for g, n in sizes.items() if n < 150]
