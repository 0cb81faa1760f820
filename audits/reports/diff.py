"""What changed since the previous approved report (design.md section 7): metric deltas, verdict changes,
new and resolved findings, probe verdict changes. Computed from the two canonical documents only."""


def _results(document: dict) -> dict[tuple, dict]:
    return {(r["attribute"], r.get("decision_class", ""), r["group"], r["metric"]): r for r in document["results"]}


def _probes(document: dict) -> dict[tuple, dict]:
    return {(p["probe"], p["attribute"]): p for p in document.get("probes", [])}


def _delta(new, old):
    return None if new is None or old is None else new - old


def report_diff(current: dict, previous: dict) -> dict:
    """JSON-ready comparison of `current` against `previous` (both report documents)."""
    now, before = _results(current), _results(previous)
    metrics, verdict_changes = [], []
    for key in sorted(now.keys() & before.keys()):
        new, old = now[key], before[key]
        row = {
            "attribute": key[0],
            "decision_class": key[1],
            "group": key[2],
            "metric": key[3],
            "value": new["value"],
            "previous_value": old["value"],
            "delta": _delta(new["value"], old["value"]),
            "verdict": new["verdict"],
            "previous_verdict": old["verdict"],
        }
        metrics.append(row)
        if new["verdict"] != old["verdict"]:
            verdict_changes.append(row)
    failed_now = {k for k, r in now.items() if r["verdict"] == "fail"}
    failed_before = {k for k, r in before.items() if r["verdict"] == "fail"}
    label = lambda k: f"{k[3]}:{k[0]}={k[2]}" + (f" (class {k[1]})" if k[1] else "")  # noqa: E731
    probes_now, probes_before = _probes(current), _probes(previous)
    probe_changes = [
        {"probe": k[0], "attribute": k[1], "verdict": probes_now[k]["verdict"], "previous_verdict": v["verdict"]}
        for k, v in sorted(probes_before.items())
        if k in probes_now and probes_now[k]["verdict"] != v["verdict"]
    ]
    return {
        "metrics": metrics,
        "verdict_changes": verdict_changes,
        "new_findings": sorted(label(k) for k in failed_now - failed_before),
        "resolved_findings": sorted(label(k) for k in failed_before - failed_now),
        "only_now": sorted(label(k) for k in now.keys() - before.keys()),
        "only_before": sorted(label(k) for k in before.keys() - now.keys()),
        "probe_verdict_changes": probe_changes,
        "dataset_changed": (
            current["fingerprints"].get("dataset_sha256") != previous["fingerprints"].get("dataset_sha256")
        ),
        "model_changed": current["fingerprints"]["model_sha256"] != previous["fingerprints"]["model_sha256"],
    }
