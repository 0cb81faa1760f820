"""Model Card Toolkit JSON (schema v0.0.2) from a canonical report (design.md section 7).

Every metric result becomes one ``performance_metric`` (value as a string, sliced by attribute and group, with its
bootstrap interval), followed by the verdict-deciding statistic of each probe slice. Failed findings become
``ethical_considerations`` risks; small groups, metrics that could not be computed and probe caveats become
``limitations``. The official schema lives outside the repository, in ``../shared/schemas/``.
"""

from pathlib import Path

from audits.reports.score_rank_findings import score_rank_findings

from .considerations import limitations, risks
from .findings import headline_findings, probe_slice, result_slice

SCHEMA_VERSION = "0.0.2"
SCHEMA_FILE = "model_card.v0.0.2.schema.json"


def model_card_schema_path() -> Path:
    """The official schema: ``shared/schemas/`` beside the repository root (may be absent on a deployed host)."""
    return Path(__file__).resolve().parents[2].parent / "shared" / "schemas" / SCHEMA_FILE


def _string(value) -> str:
    # repr of a float round-trips exactly, so the card's numbers equal the report's.
    return "n/a" if value is None else str(value)


def _metric(kind: str, value, slice_label: str, low, high) -> dict:
    entry = {"type": kind, "value": _string(value), "slice": slice_label}
    if low is not None and high is not None:
        entry["confidence_interval"] = {"lower_bound": str(low), "upper_bound": str(high)}
    return entry


def performance_metrics(document: dict) -> list[dict]:
    metrics = [
        _metric(r["metric"], r["value"], result_slice(r), r["ci_low"], r["ci_high"]) for r in document["results"]
    ]
    metrics += [  # continuous-score and ranking findings, labelled by their section
        _metric(
            f"{f['section']}.{f['metric']}", f["value"], f"{f['attribute']}={f['group']}", f["ci_low"], f["ci_high"]
        )
        for f in score_rank_findings(document)
    ]
    for row in headline_findings(document):
        metrics.append(
            _metric(f"{row['probe']}.{row['statistic']}", row["value"], probe_slice(row), row["ci_low"], row["ci_high"])
        )
    return metrics


def card_overview(document: dict, sha256: str) -> str:
    subject, summary = document["subject"], document["summary"]
    dataset = subject["dataset"]
    on = f" on {dataset['name']} ({dataset['rows']} rows)" if dataset else " on built-in benchmarks"
    verdicts = ", ".join(f"{k} {v}" for k, v in summary["verdicts"].items()) or "no group metrics"
    probes = ", ".join(f"{k} {v}" for k, v in (summary.get("probe_verdicts") or {}).items())
    return (
        f"Fairness audit '{document['plan']['name']}' of {subject['model']['name']}{on}: {verdicts}"
        + (f"; probes: {probes}" if probes else "")
        + f". Audit report sha256 {sha256}."
    )


def card_documentation(document: dict) -> str:
    plan, significance = document["plan"], document["significance"]
    fingerprints = document["fingerprints"]
    return (
        f"Metrics: {', '.join(plan['metrics']) or 'none'}. Intervals: {plan['bootstrap_method']} "
        f"(B={plan['n_boot']}, seed {plan['seed']}, alpha {plan['alpha']}). Tests: {significance['method']}; "
        f"{significance['adjustment']}. Groups below {plan['min_group_size']} rows, or with fewer than "
        f"{plan['min_denominator']} rows in a denominator, are insufficient_data. Model sha256 "
        f"{fingerprints['model_sha256']}; dataset sha256 {fingerprints['dataset_sha256'] or 'none'}; code version "
        f"{fingerprints['code_version']}."
    )


def _data(document: dict) -> list[dict]:
    dataset = document["subject"]["dataset"]
    if dataset is None:
        return []
    sensitive = sorted({column for a in document["attributes"] for column in a["columns"]})
    outcome = document["subject"]["outcome"]
    return [
        {
            "name": dataset["name"],
            "description": (
                f"Audit dataset: {dataset['rows']} rows, {dataset['columns']} columns, sha256 {dataset['sha256']}"
                + (
                    f"; outcome column {outcome['column']} (favourable {', '.join(outcome['favourable'])})"
                    if outcome
                    else ""
                )
            ),
            "sensitive": {"sensitive_data": sensitive},
        }
    ]


def model_card(document: dict, sha256: str) -> dict:
    """The report as a Model Card Toolkit v0.0.2 document (validates against the official schema)."""
    model = document["subject"]["model"]
    finished = document["provenance"]["finished_at"]
    favourable = ", ".join(model.get("favourable_decision") or []) or "n/a"
    card = {
        "schema_version": SCHEMA_VERSION,
        "model_details": {
            "name": model["name"],
            "overview": card_overview(document, sha256),
            "documentation": card_documentation(document),
            "version": {"name": f"audit report {sha256[:12]}", "date": finished[:10]},
            "citations": [{"style": "text", "citation": f"Fairness audit report, sha256 {sha256}, {finished}"}],
        },
        "model_parameters": {
            "model_architecture": model.get("estimator") or model["kind"],
            "data": _data(document),
            "output_format": f"{model['kind']} decisions; favourable: {favourable}",
        },
        "quantitative_analysis": {"performance_metrics": performance_metrics(document)},
        "considerations": {
            "users": [{"description": "Auditors, reviewers and owners deciding whether the model may be used."}],
            "use_cases": [
                {"description": f"Evidence for the fairness review of {model['name']}; not a certification."}
            ],
            "limitations": [{"description": text} for text in limitations(document)],
            "ethical_considerations": risks(document),
        },
    }
    return card
