"""A prometheus-client collector that reads the database at scrape time, and the `/metrics` view.

Series (documented in the README; TrustyAI's equivalents are `trustyai_spd`, `trustyai_dir`):

- ``audit_fairness_metric_value`` and ``audit_fairness_metric_ci_lower`` / ``_ci_upper``: each group metric of each
  model's latest approved report (point estimate and the ends of its interval), labelled ``workspace, model,
  model_id, dataset, report, attribute, decision_class, group, reference_group, metric, verdict``;
- ``audit_fairness_metric_band_lower`` / ``_band_upper``: the pass band each verdict was judged against;
- ``audit_report_verdicts``: how many results of that report have each verdict;
- ``audit_report_approved_timestamp_seconds``: when that report was approved;
- ``audit_runs``: runs by workspace and status;
- ``audit_run_queue_wait_seconds`` (histogram): created -> started, every started run;
- ``audit_run_duration_seconds`` (histogram, by final status): started -> finished, every finished run.
"""

import hmac
from bisect import bisect_left
from collections import Counter

from django.conf import settings
from django.http import Http404, HttpResponse
from prometheus_client import CollectorRegistry
from prometheus_client.core import GaugeMetricFamily, HistogramMetricFamily
from prometheus_client.exposition import choose_encoder

from audits import selectors_metrics

METRIC_LABELS = [
    "workspace", "model", "model_id", "dataset", "report", "attribute", "decision_class", "group",
    "reference_group", "metric", "verdict",
]  # fmt: skip
REPORT_LABELS = ["workspace", "model", "model_id", "dataset", "report"]
QUEUE_WAIT_BUCKETS = (0.5, 1, 5, 15, 30, 60, 300, 900, 3600, 21600)
DURATION_BUCKETS = (1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 7200)


def _histogram_buckets(values: list[float], bounds: tuple) -> list[tuple[str, float]]:
    """Cumulative bucket counts (le = upper bound), +Inf last, as the exposition format wants."""
    ordered = sorted(values)
    buckets = [(str(float(bound)), float(bisect_left(ordered, bound + 1e-12))) for bound in bounds]
    return [*buckets, ("+Inf", float(len(ordered)))]


class AuditCollector:
    """Reads the database on every scrape (no state in the web process, so every worker of the web server answers
    the same)."""

    def collect(self):
        yield from self._fairness()
        yield from self._runs()

    def _fairness(self):
        value = GaugeMetricFamily(
            "audit_fairness_metric_value",
            "Point estimate of a group fairness metric in each model's latest approved report.",
            labels=METRIC_LABELS,
        )
        lower = GaugeMetricFamily(
            "audit_fairness_metric_ci_lower", "Lower end of the metric's confidence interval.", labels=METRIC_LABELS
        )
        upper = GaugeMetricFamily(
            "audit_fairness_metric_ci_upper", "Upper end of the metric's confidence interval.", labels=METRIC_LABELS
        )
        band_lower = GaugeMetricFamily(
            "audit_fairness_metric_band_lower", "Lower end of the metric's pass band.", labels=METRIC_LABELS
        )
        band_upper = GaugeMetricFamily(
            "audit_fairness_metric_band_upper", "Upper end of the metric's pass band.", labels=METRIC_LABELS
        )
        verdicts = GaugeMetricFamily(
            "audit_report_verdicts",
            "Results of each model's latest approved report, by verdict.",
            labels=[*REPORT_LABELS, "verdict"],
        )
        approved_at = GaugeMetricFamily(
            "audit_report_approved_timestamp_seconds",
            "When each model's latest approved report was approved (Unix time).",
            labels=REPORT_LABELS,
        )
        for report in selectors_metrics.latest_approved_reports():
            plan = report.run.plan
            common = [
                report.workspace.slug,
                plan.model.name,
                str(plan.model_id),
                plan.dataset.name if plan.dataset else "",
                str(report.pk),
            ]
            results = report.document.get("results") or []
            for result in results:
                labels = [
                    *common, result["attribute"], result["decision_class"], result["group"],
                    result["reference_group"], result["metric"], result["verdict"],
                ]  # fmt: skip
                for family, key in ((value, "value"), (lower, "ci_low"), (upper, "ci_high")):
                    if result[key] is not None:
                        family.add_metric(labels, result[key])
                for family, key in ((band_lower, "band_low"), (band_upper, "band_high")):
                    if result.get(key) is not None:
                        family.add_metric(labels, result[key])
            for verdict, count in sorted(Counter(r["verdict"] for r in results).items()):
                verdicts.add_metric([*common, verdict], count)
            if report.review.decided_at is not None:
                approved_at.add_metric(common, report.review.decided_at.timestamp())
        yield from (value, lower, upper, band_lower, band_upper, verdicts, approved_at)

    def _runs(self):
        runs = GaugeMetricFamily("audit_runs", "Audit runs by workspace and status.", labels=["workspace", "status"])
        for row in selectors_metrics.run_counts_by_status():
            runs.add_metric([row["workspace__slug"], row["status"]], row["n"])
        yield runs
        waits = selectors_metrics.run_queue_waits()
        yield HistogramMetricFamily(
            "audit_run_queue_wait_seconds",
            "Seconds from queueing a run to a worker starting it.",
            buckets=_histogram_buckets(waits, QUEUE_WAIT_BUCKETS),
            sum_value=sum(waits),
        )
        durations = HistogramMetricFamily(
            "audit_run_duration_seconds", "Seconds from start to finish of each run.", labels=["status"]
        )
        by_status: dict[str, list[float]] = {}
        for status, seconds in selectors_metrics.run_durations():
            by_status.setdefault(status, []).append(seconds)
        for status, values in sorted(by_status.items()):
            durations.add_metric([status], _histogram_buckets(values, DURATION_BUCKETS), sum(values))
        yield durations


def metrics_view(request):
    """GET /metrics: Prometheus text format, for `Authorization: Bearer <AUDIT_METRICS_TOKEN>`.

    An empty AUDIT_METRICS_TOKEN turns the endpoint off (404); a missing or wrong token answers 401."""
    token = getattr(settings, "AUDIT_METRICS_TOKEN", "") or ""
    if not token:
        raise Http404("The metrics endpoint is off: set AUDIT_METRICS_TOKEN to turn it on.")
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), token.encode()):
        response = HttpResponse(
            "A scrape token is required: Authorization: Bearer <AUDIT_METRICS_TOKEN>.\n",
            status=401,
            content_type="text/plain; charset=utf-8",
        )
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    registry = CollectorRegistry(auto_describe=False)
    registry.register(AuditCollector())
    # The format the scraper asks for (Prometheus sends Accept): OpenMetrics or the text format, as the library's own
    # exposition server negotiates; text format 0.0.4 by default.
    encoder, content_type = choose_encoder(request.headers.get("Accept", ""))
    return HttpResponse(encoder(registry), content_type=content_type)
