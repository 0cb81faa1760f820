"""Plans, runs and reports over the API, with the task run in-process."""

import hashlib
import json

import pytest

from audits.models import AuditEvent, AuditReport, AuditRun
from audits.reports.schema import report_errors
from tests.api_errors import error_attr
from tests.factories import credit_frame, csv_upload, upload_form


@pytest.fixture
def uploaded(auditor_client):
    response = auditor_client.post("/api/v1/datasets/", upload_form(csv_upload(credit_frame())), format="multipart")
    assert response.status_code == 201, response.json()
    return response.json()


def _run_plan(client, dataset, django_capture_on_commit_callbacks, **plan_fields):
    plan = client.post(
        "/api/v1/plans/",
        {"dataset": dataset["id"], "model": dataset["model"]["id"], "n_boot": 500, **plan_fields},
        format="json",
    )
    assert plan.status_code == 201, plan.json()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/api/v1/plans/{plan.json()['id']}/run/")
    return response


def test_run_action_answers_202_and_ends_in_a_valid_report(
    auditor_client, uploaded, eager_celery, django_capture_on_commit_callbacks
):
    # Per comparison, as the planted disparity's verdict below is stated; the family-wise default is tested next.
    response = _run_plan(
        auditor_client, uploaded, django_capture_on_commit_callbacks, verdict_error_control="per_comparison"
    )

    assert response.status_code == 202 and response.json()["status"] == "queued"
    run = auditor_client.get(f"/api/v1/runs/{response.json()['id']}/").json()
    assert run["status"] == "succeeded" and run["progress"] == 100, run["error"]
    report = auditor_client.get(f"/api/v1/reports/{run['report']}/").json()
    document = report["document"]
    assert report_errors(document) == []
    di_female = next(r for r in document["results"] if r["metric"] == "disparate_impact" and r["group"] == "female")
    assert (
        di_female["reference_group"] == "male" and di_female["contract"]["reference_rule"] == "highest_selection_rate"
    )
    assert di_female["ci_low"] <= di_female["value"] <= di_female["ci_high"]
    assert di_female["verdict"] == "fail"  # planted: 0.45 / 0.70 ~ 0.64, far below 0.8
    assert document["fingerprints"]["dataset_sha256"] == uploaded["sha256"]
    assert document["fingerprints"]["code_version"] == "test"
    actions = list(
        AuditEvent.objects.filter(object_id=str(run["id"]), object_type="AuditRun").values_list("action", flat=True)
    )
    assert actions == ["run.queued", "run.started", "run.succeeded"]


def test_verdicts_hold_as_a_family_by_default_and_the_report_says_so(
    auditor_client, uploaded, eager_celery, django_capture_on_commit_callbacks
):
    run_id = _run_plan(auditor_client, uploaded, django_capture_on_commit_callbacks).json()["id"]

    report = AuditReport.objects.get(run_id=run_id)
    plan = auditor_client.get(f"/api/v1/plans/{report.run.plan_id}/").json()
    document = report.document
    assert plan["verdict_error_control"] == "familywise" == document["plan"]["verdict_error_control"]
    assert report_errors(document) == []
    family = document["verdict_error_control"]
    assert family["rule"] == "familywise" and family["critical_value"] > 1.96
    judged = [r for r in document["results"] if r["verdict"] in ("pass", "fail", "inconclusive") and not r["reason"]]
    assert family["comparisons"] == len(judged) > 0
    for result in judged:  # the simultaneous interval decides, and holds the per-comparison one
        assert result["contract"]["verdict_error_control"] == "familywise"
        assert result["adjusted_ci_low"] <= result["ci_low"] <= result["ci_high"] <= result["adjusted_ci_high"]
    for result in document["results"]:  # a fail only where the Holm-adjusted test finds evidence
        assert result["verdict"] != "fail" or result["p_value_holm"] <= document["plan"]["alpha"]


def test_a_plan_with_an_unknown_verdict_error_control_is_refused(auditor_client, uploaded):
    response = auditor_client.post(
        "/api/v1/plans/",
        {"dataset": uploaded["id"], "model": uploaded["model"]["id"], "verdict_error_control": "bonferroni"},
        format="json",
    )

    assert response.status_code == 400 and error_attr(response) == "verdict_error_control"


def test_download_returns_the_exact_bytes_whose_sha256_is_stored(
    auditor_client, uploaded, eager_celery, django_capture_on_commit_callbacks
):
    run_id = _run_plan(auditor_client, uploaded, django_capture_on_commit_callbacks).json()["id"]
    report = AuditReport.objects.get(run_id=run_id)

    response = auditor_client.get(f"/api/v1/reports/{report.pk}/download/")

    assert response.status_code == 200
    assert hashlib.sha256(response.content).hexdigest() == report.sha256 == response["X-Report-SHA256"]
    assert json.loads(response.content)["provenance"]["run_id"] == run_id


def test_declared_reference_group_is_used_and_recorded(
    auditor_client, eager_celery, django_capture_on_commit_callbacks
):
    form = upload_form(csv_upload(credit_frame()), reference=["sex=female"])
    dataset = auditor_client.post("/api/v1/datasets/", form, format="multipart").json()

    run_id = _run_plan(auditor_client, dataset, django_capture_on_commit_callbacks).json()["id"]

    document = AuditReport.objects.get(run_id=run_id).document
    sex = next(a for a in document["attributes"] if a["attribute"] == "sex")
    assert (sex["reference_group"], sex["reference_rule"]) == ("female", "declared")


def test_same_plan_and_seed_give_identical_findings(
    auditor_client, uploaded, eager_celery, django_capture_on_commit_callbacks
):
    first = _run_plan(auditor_client, uploaded, django_capture_on_commit_callbacks).json()["id"]
    second = _run_plan(auditor_client, uploaded, django_capture_on_commit_callbacks).json()["id"]

    a, b = (AuditReport.objects.get(run_id=r).document for r in (first, second))
    assert a["results"] == b["results"] and a["provenance"] != b["provenance"]


def test_plan_with_unknown_metric_is_refused(auditor_client, uploaded):
    response = auditor_client.post(
        "/api/v1/plans/",
        {"dataset": uploaded["id"], "model": uploaded["model"]["id"], "metrics": ["accuracy_gap"]},
        format="json",
    )

    assert response.status_code == 400 and error_attr(response) == "metrics.0"


def test_reviewer_cannot_start_a_run(auditor_client, reviewer_client, uploaded):
    plan = auditor_client.post(
        "/api/v1/plans/", {"dataset": uploaded["id"], "model": uploaded["model"]["id"]}, format="json"
    ).json()

    response = reviewer_client.post(f"/api/v1/plans/{plan['id']}/run/")

    assert response.status_code == 403 and AuditRun.objects.count() == 0


def test_outsider_gets_404_for_every_foreign_object(
    auditor_client, outsider_client, uploaded, eager_celery, django_capture_on_commit_callbacks
):
    run_id = _run_plan(auditor_client, uploaded, django_capture_on_commit_callbacks).json()["id"]
    run = AuditRun.objects.get(pk=run_id)
    urls = [
        f"/api/v1/datasets/{uploaded['id']}/",
        f"/api/v1/models/{uploaded['model']['id']}/",
        f"/api/v1/plans/{run.plan_id}/",
        f"/api/v1/runs/{run_id}/",
        f"/api/v1/reports/{run.report.pk}/",
        f"/api/v1/reports/{run.report.pk}/download/",
    ]
    for url in urls:
        assert outsider_client.get(url).status_code == 404, url
    assert outsider_client.post(f"/api/v1/plans/{run.plan_id}/run/").status_code == 404
    plan = outsider_client.post(
        "/api/v1/plans/", {"dataset": uploaded["id"], "model": uploaded["model"]["id"]}, format="json"
    )
    assert plan.status_code == 400 and error_attr(plan) == "dataset"


def test_anonymous_gets_no_reports(anonymous_client):
    assert anonymous_client.get("/api/v1/reports/").status_code in (401, 403)
    assert anonymous_client.get("/api/v1/runs/").status_code in (401, 403)


def test_token_authentication_works(auditor, workspace, client):
    token = client.post("/api/v1/auth/token/", {"username": "alice-auditor", "password": "pw-alice"}).json()["token"]

    response = client.get("/api/v1/workspaces/", HTTP_AUTHORIZATION=f"Token {token}")

    assert response.status_code == 200
    assert [(w["slug"], w["role"]) for w in response.json()["results"]] == [("credit-risk", "auditor")]
