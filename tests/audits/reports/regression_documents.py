"""A stored report with a regressions section, built by the real code against a baseline made from it: the baseline
approved more women (so disparate impact moved down), judged disparate impact inconclusive and passed the probe."""

import copy

from audits.reports.regressions import regressions_between
from explainers.metrics.regressions import RegressionRules
from tests.audits.exports.documents import load_report

BASELINE_ID = 7
BASELINE_SHA256 = "ab" * 32
RULES = RegressionRules(tolerance=0.05, n_boot=500, alpha=0.05, min_group_size=30, min_denominator=10)


def baseline_of(document: dict) -> dict:
    baseline = copy.deepcopy(document)
    female = next(g for g in baseline["attributes"][0]["groups"] if g["group"] == "female")
    female.update(tp=240, fn=11, fp=150, tn=379, n_selected=390)  # selection rate 243/780 -> 390/780
    for result in baseline["results"]:
        if result["metric"] == "disparate_impact":
            result["verdict"] = "inconclusive"
    baseline["probes"][0]["verdict"] = "pass"
    return baseline


def report_with_regressions() -> tuple[dict, str]:
    """(document with its `regressions` section, its sha256 as stored in the fixture)."""
    document, _, sha256 = load_report("tabular_probe_report.json")
    document["regressions"] = regressions_between(
        document, baseline_of(document), baseline_id=BASELINE_ID, baseline_sha256=BASELINE_SHA256, rules=RULES
    )
    return document, sha256
