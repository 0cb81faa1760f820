"""Report and run lists: every filter narrows the list (each case would fail if the filter were ignored), an
unknown parameter answers 400 naming it, the cursor walks every item once, list items carry verdict counts,
review state and sha256, and out-of-range pagination values answer 400 instead of a 500."""

from datetime import timedelta

import pytest
from django.utils import timezone

from audits.choices import RunStatus
from audits.models import AuditRun, ReportReview
from audits.reports.verdict_counts import verdict_counts
from audits.selectors_dashboard import VERDICT_ORDER
from audits.services.reviews import review_start, review_submit
from tests.api_errors import error_attr, error_detail
from tests.frontend.report_helpers import stored_report


@pytest.fixture
def reports(auditor, reviewer, workspace):
    """Four reports of four plans (each with its own dataset and model): a tabular probe report submitted and
    taken into review, and text, language-model and encoder probe reports nobody submitted."""
    made = {kind: stored_report(auditor, workspace, kind) for kind in ("tabular", "text", "language_model", "encoder")}
    review_submit(user=auditor, report=made["tabular"])
    review_start(user=reviewer, review=made["tabular"].review)
    return made


def _ids(client, url, **params) -> set[int]:
    response = client.get(url, params)
    assert response.status_code == 200, response.json()
    return {item["id"] for item in response.json()["results"]}


def test_list_items_carry_verdict_counts_review_state_and_sha256(auditor_client, reports):
    items = {r["id"]: r for r in auditor_client.get("/api/v1/reports/").json()["results"]}

    tabular = items[reports["tabular"].pk]
    assert tabular["sha256"] == reports["tabular"].sha256 and tabular["review_state"] == "in_review"
    document = reports["tabular"].document
    # by hand: every result's verdict and every probe's verdict, counted
    expected = {}
    for finding in [*document["results"], *document["probes"]]:
        expected[finding["verdict"]] = expected.get(finding["verdict"], 0) + 1
    assert tabular["verdict_counts"] == expected and sum(expected.values()) > 0
    assert items[reports["text"].pk]["review_state"] == "not_submitted"
    run = auditor_client.get("/api/v1/runs/", {"plan": reports["tabular"].run.plan_id}).json()["results"][0]
    assert run["verdict_counts"] == expected and run["review_state"] == "in_review"


def test_report_filters_by_model_plan_dataset_and_review_state(auditor_client, reports):
    tabular, text = reports["tabular"], reports["text"]
    url = "/api/v1/reports/"

    assert _ids(auditor_client, url, model=tabular.run.plan.model_id) == {tabular.pk}
    assert _ids(auditor_client, url, plan=text.run.plan_id) == {text.pk}
    assert _ids(auditor_client, url, dataset=text.run.plan.dataset_id) == {text.pk}
    assert _ids(auditor_client, url, review_state="in_review") == {tabular.pk}
    assert _ids(auditor_client, url, review_state="not_submitted") == {r.pk for r in reports.values()} - {tabular.pk}
    assert _ids(auditor_client, url, review_state="approved") == set()
    assert _ids(auditor_client, url, workspace="credit-risk") == {r.pk for r in reports.values()}


def test_report_verdict_filter_keeps_the_reports_having_that_verdict(auditor_client, reports):
    split = 0
    for verdict in VERDICT_ORDER:
        expected = {r.pk for r in reports.values() if verdict in verdict_counts(r.document)}
        assert _ids(auditor_client, "/api/v1/reports/", verdict=verdict) == expected, verdict
        split += 0 < len(expected) < len(reports)
    assert split, "the stored reports must differ in some verdict for this test to mean anything"


def test_created_after_and_updated_since_follow_creation_and_review_moves(auditor_client, auditor, reports):
    old = [reports["text"], reports["encoder"]]
    past = timezone.now() - timedelta(days=3)
    # Reports are immutable (triggers refuse UPDATE); backdate their creation as a DBA would, triggers bypassed.
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")
        cursor.execute("UPDATE audits_auditreport SET created_at = %s WHERE id = ANY(%s)", [past, [r.pk for r in old]])
        cursor.execute("SET session_replication_role = origin")
    since = (timezone.now() - timedelta(days=1)).isoformat()
    recent = {r.pk for r in reports.values()} - {r.pk for r in old}

    assert _ids(auditor_client, "/api/v1/reports/", created_after=since) == recent
    assert _ids(auditor_client, "/api/v1/reports/", updated_since=since) == recent
    review_submit(user=auditor, report=reports["encoder"])  # a review that moves now updates the old report
    assert _ids(auditor_client, "/api/v1/reports/", updated_since=since) == recent | {reports["encoder"].pk}
    assert _ids(auditor_client, "/api/v1/reports/", created_after=since) == recent


def test_run_filters_by_status_plan_model_dataset_and_time(auditor_client, reports):
    tabular = reports["tabular"].run
    queued = AuditRun.objects.exclude(pk__in=[r.run_id for r in reports.values()]).first()
    assert queued is None  # every stored report's run is queued-then-reported; add a plain queued run
    from tests.audits.factories import AuditRunFactory

    waiting = AuditRunFactory(user=tabular.requested_by, plan=tabular.plan)
    url = "/api/v1/runs/"

    assert _ids(auditor_client, url, status=RunStatus.QUEUED) == set(
        AuditRun.objects.filter(status=RunStatus.QUEUED).values_list("pk", flat=True)
    )
    assert waiting.pk in _ids(auditor_client, url, status=RunStatus.QUEUED)
    assert _ids(auditor_client, url, plan=tabular.plan_id) == {tabular.pk, waiting.pk}
    assert _ids(auditor_client, url, model=tabular.plan.model_id) == {tabular.pk, waiting.pk}
    assert _ids(auditor_client, url, dataset=tabular.plan.dataset_id) == {tabular.pk, waiting.pk}
    future = (timezone.now() + timedelta(hours=1)).isoformat()
    assert _ids(auditor_client, url, created_after=future) == set()
    assert _ids(auditor_client, url, updated_since=future) == set()
    AuditRun.objects.filter(pk=waiting.pk).update(heartbeat_at=timezone.now() + timedelta(hours=2))
    assert _ids(auditor_client, url, updated_since=future) == {waiting.pk}


@pytest.mark.parametrize("url", ["/api/v1/reports/", "/api/v1/runs/", "/api/v1/trail/"])
def test_an_unknown_parameter_is_a_400_naming_it(auditor_client, url, workspace):
    response = auditor_client.get(url, {"verdicts": "fail", "page_size": 5})

    assert response.status_code == 400 and "'verdicts'" in error_detail(response)
    assert response.json()["errors"][0]["code"] == "unknown_parameter"


@pytest.mark.parametrize(
    ("params", "attr"),
    [
        ({"verdict": "bad"}, "verdict"),
        ({"review_state": "done"}, "review_state"),
        ({"model": "1.5"}, "model"),
        ({"plan": str(2**63)}, "plan"),
        ({"updated_since": "yesterday"}, "updated_since"),
        ({"page_size": "0"}, "page_size"),
        ({"cursor": "!!not-base64"}, "cursor"),
        ({"cursor": "cD1hYmM="}, "cursor"),  # "p=abc": a position that is not an id
    ],
)
def test_bad_filter_or_pagination_values_are_400_naming_the_parameter(auditor_client, workspace, params, attr):
    response = auditor_client.get("/api/v1/reports/", params)

    assert response.status_code == 400, response.content
    assert error_attr(response) == attr


def test_the_cursor_walks_every_report_once_newest_first(auditor_client, reports):
    seen, url, pages = [], "/api/v1/reports/?page_size=3", 0
    while url:
        body = auditor_client.get(url).json()
        seen += [item["id"] for item in body["results"]]
        url, pages = body["next"], pages + 1
        assert pages < 10

    assert pages == 2 and seen == sorted((r.pk for r in reports.values()), reverse=True)


@pytest.mark.parametrize("url", ["/api/v1/datasets/", "/api/v1/models/", "/api/v1/plans/", "/api/v1/reviews/"])
@pytest.mark.parametrize("param", ["limit", "offset"])
def test_limit_and_offset_beyond_64_bits_are_400_not_500(auditor_client, workspace, url, param):
    response = auditor_client.get(url, {param: str(2**63)})

    assert response.status_code == 400 and error_attr(response) == param


def test_limit_is_capped_at_the_maximum_page_size(auditor_client, reports):
    response = auditor_client.get("/api/v1/plans/", {"limit": 2**63 - 1, "offset": 1})

    assert response.status_code == 200 and response.json()["count"] == 4 and len(response.json()["results"]) == 3
    assert "limit=500" in response.json()["previous"]


def test_an_outsider_lists_no_reports_or_runs(outsider_client, reports):
    assert outsider_client.get("/api/v1/reports/").json()["results"] == []
    assert outsider_client.get("/api/v1/runs/").json()["results"] == []
    assert ReportReview.objects.count() == 1
