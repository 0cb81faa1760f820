"""Comparing two reports names the findings that appeared and those that were resolved."""

from audits.reports.diff import report_diff


def test_diff_names_new_and_resolved_findings():
    def document(verdicts):
        results = [
            {"attribute": "sex", "decision_class": "", "group": g, "metric": "disparate_impact", "value": v,
             "verdict": verdict}
            for g, (v, verdict) in verdicts.items()
        ]  # fmt: skip
        return {"results": results, "probes": [], "fingerprints": {"model_sha256": "m", "dataset_sha256": "d"}}

    diff = report_diff(
        document({"female": (0.7, "fail"), "other": (0.95, "pass")}),
        document({"female": (0.9, "pass"), "other": (0.7, "fail")}),
    )

    assert diff["new_findings"] == ["disparate_impact:sex=female"]
    assert diff["resolved_findings"] == ["disparate_impact:sex=other"]
    assert [round(r["delta"], 3) for r in diff["metrics"]] == [-0.2, 0.25]
