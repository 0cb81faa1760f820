"""`/metrics`: a Prometheus scrape of each model's latest approved report and of the runs, behind a scrape token."""

import os
import re
import subprocess
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from django.test import Client
from django.utils import timezone
from prometheus_client.openmetrics.parser import text_string_to_metric_families as openmetrics_families
from prometheus_client.parser import text_string_to_metric_families

from audits.choices import RunStatus
from audits.models import AuditRun
from audits.services.reviews import review_decide, review_start, review_submit
from tests.audits.factories import AuditReportFactory
from tests.factories import credit_frame

TOKEN = "scrape-token-for-tests"


@pytest.fixture
def metrics_on(settings):
    settings.AUDIT_METRICS_TOKEN = TOKEN


def _scrape(token: str = TOKEN):
    return Client().get("/metrics", HTTP_AUTHORIZATION=f"Bearer {token}")


def _families(response) -> dict:
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"].startswith("text/plain; version=0.0.4")
    return {family.name: family for family in text_string_to_metric_families(response.content.decode())}


def _approve(report, auditor, reviewer):
    review = review_submit(user=auditor, report=report)
    review_start(user=reviewer, review=review)
    review_decide(user=reviewer, review=review, decision="approve", comment="ok")


def _series(families, name, **labels) -> list:
    return [s for s in families[name].samples if s.name == name and labels.items() <= s.labels.items()]


def test_a_scrape_holds_the_approved_reports_disparate_impact_with_its_interval_and_verdict(
    metrics_on, auditor, reviewer, workspace
):
    report = AuditReportFactory(user=auditor, workspace=workspace)
    _approve(report, auditor, reviewer)

    families = _families(_scrape())

    result = next(
        r
        for r in report.document["results"]
        if (r["metric"], r["attribute"], r["group"]) == ("disparate_impact", "sex", "female")
    )
    (value,) = _series(
        families, "audit_fairness_metric_value", metric="disparate_impact", attribute="sex", group="female"
    )
    assert value.value == pytest.approx(result["value"], abs=1e-12)
    assert value.labels["verdict"] == result["verdict"] and value.labels["reference_group"] == "male"
    assert value.labels["report"] == str(report.pk) and value.labels["workspace"] == "credit-risk"
    frame = credit_frame()  # the factory's dataset: by hand, DI = SR(female) / SR(male)
    rates = frame.assign(fav=frame["decision"] == "approve").groupby("sex")["fav"].mean()
    assert value.value == pytest.approx(rates["female"] / rates["male"], abs=1e-12)
    labels = {k: v for k, v in value.labels.items()}
    (lower,) = _series(families, "audit_fairness_metric_ci_lower", **labels)
    (upper,) = _series(families, "audit_fairness_metric_ci_upper", **labels)
    assert (lower.value, upper.value) == pytest.approx((result["ci_low"], result["ci_high"]), abs=1e-12)
    assert lower.value < value.value < upper.value
    (band,) = _series(families, "audit_fairness_metric_band_lower", **labels)
    assert band.value == 0.8
    counts = {s.labels["verdict"]: s.value for s in _series(families, "audit_report_verdicts", report=str(report.pk))}
    assert counts == Counter(r["verdict"] for r in report.document["results"])
    assert report.document["summary"]["verdicts"].items() <= counts.items()


def test_only_the_latest_approved_report_of_a_model_is_shown(metrics_on, auditor, reviewer, workspace):
    first = AuditReportFactory(user=auditor, workspace=workspace)
    _approve(first, auditor, reviewer)
    newer = AuditReportFactory(user=auditor, workspace=workspace, run__plan=first.run.plan)  # not approved
    assert _series(_families(_scrape()), "audit_fairness_metric_value")[0].labels["report"] == str(first.pk)

    _approve(newer, auditor, reviewer)

    reports = {s.labels["report"] for s in _series(_families(_scrape()), "audit_fairness_metric_value")}
    assert reports == {str(newer.pk)}


def test_runs_by_status_and_the_queue_and_duration_histograms(metrics_on, auditor, workspace):
    report = AuditReportFactory(user=auditor, workspace=workspace)
    plan = report.run.plan
    now = timezone.now()
    queued = AuditRun.objects.create(workspace=workspace, plan=plan, requested_by=auditor)
    failed = AuditRun.objects.create(workspace=workspace, plan=plan, requested_by=auditor, status=RunStatus.FAILED)
    AuditRun.objects.filter(pk=failed.pk).update(
        created_at=now - timedelta(seconds=100), started_at=now - timedelta(seconds=40), finished_at=now
    )
    succeeded = AuditRun.objects.get(pk=report.run_id)
    AuditRun.objects.filter(pk=succeeded.pk).update(
        created_at=now - timedelta(seconds=10), started_at=now - timedelta(seconds=8), finished_at=now
    )

    families = _families(_scrape())

    runs = {s.labels["status"]: s.value for s in _series(families, "audit_runs", workspace="credit-risk")}
    assert runs == {"queued": 1, "failed": 1, "succeeded": 1} and queued.started_at is None
    waits = {s.name + s.labels.get("le", ""): s.value for s in families["audit_run_queue_wait_seconds"].samples}
    assert waits["audit_run_queue_wait_seconds_count"] == 2  # the queued run has not started
    assert waits["audit_run_queue_wait_seconds_sum"] == pytest.approx(60 + 2)
    assert (waits["audit_run_queue_wait_seconds_bucket1.0"], waits["audit_run_queue_wait_seconds_bucket5.0"]) == (0, 1)
    assert waits["audit_run_queue_wait_seconds_bucket60.0"] == 2
    durations = {
        (s.labels["status"], s.name, s.labels.get("le")): s.value
        for s in families["audit_run_duration_seconds"].samples
    }
    assert durations[("failed", "audit_run_duration_seconds_sum", None)] == pytest.approx(40)
    assert durations[("failed", "audit_run_duration_seconds_bucket", "30.0")] == 0
    assert durations[("failed", "audit_run_duration_seconds_bucket", "60.0")] == 1
    assert durations[("succeeded", "audit_run_duration_seconds_bucket", "+Inf")] == 1


def test_a_missing_or_wrong_token_is_refused_and_an_empty_setting_turns_the_endpoint_off(db, settings):
    settings.AUDIT_METRICS_TOKEN = TOKEN

    missing = Client().get("/metrics")
    wrong = _scrape("not-the-token")
    basic = Client().get("/metrics", HTTP_AUTHORIZATION=f"Basic {TOKEN}")

    for response in (missing, wrong, basic):
        assert response.status_code == 401 and "Bearer" in response["WWW-Authenticate"]
        assert "scrape token is required" in response.content.decode()
    settings.AUDIT_METRICS_TOKEN = ""
    assert _scrape("").status_code == 404 and _scrape(TOKEN).status_code == 404


def test_a_scraper_asking_for_openmetrics_gets_it(metrics_on, db):
    response = Client().get(
        "/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}", HTTP_ACCEPT="application/openmetrics-text; version=1.0.0"
    )

    assert response.status_code == 200 and response["Content-Type"].startswith("application/openmetrics-text")
    names = {f.name for f in openmetrics_families(response.content.decode())}
    assert {"audit_runs", "audit_run_queue_wait_seconds", "audit_run_duration_seconds"} <= names


def test_the_readme_curl_line_prints_the_approved_values(metrics_on, live_server, auditor, reviewer, workspace):
    report = AuditReportFactory(user=auditor, workspace=workspace)
    _approve(report, auditor, reviewer)
    readme = (Path(__file__).resolve().parents[3] / "README.md").read_text(encoding="utf-8")
    (block,) = [b for b in re.findall(r"```bash\n(.*?)```", readme, flags=re.S) if "/metrics" in b]
    script = block.replace("localhost:8000", live_server.url.removeprefix("http://"))

    done = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script],
        env={**os.environ, "AUDIT_METRICS_TOKEN": TOKEN},
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert done.returncode == 0, done.stderr
    families = {f.name: f for f in text_string_to_metric_families(done.stdout)}
    values = {s.labels["report"] for s in families["audit_fairness_metric_value"].samples}
    assert values == {str(report.pk)} and len(done.stdout.splitlines()) == sum(
        r["value"] is not None for r in report.document["results"]
    )
