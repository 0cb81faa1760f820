"""A Hugging Face model card (README.md) from a canonical report (design.md section 7).

YAML front matter carries ``model-index``: one result for the group metrics on the audited dataset and one per
probe, each metric unverified (``verified: false``: the Hub did not compute it). The Markdown body repeats the
verdicts with intervals, the probes, the metric contracts and the fingerprints, with numbers written by the
renderings' formatter so the card reads like the HTML and PDF reports.
"""

import yaml

from audits.renderings.formatting import fmt_interval, fmt_number, fmt_p
from audits.reports.score_rank_findings import score_rank_findings

from .considerations import limitations, risks
from .findings import headline_findings, is_headline, probe_rows, probe_slice, result_slice

_TASKS = {
    "dataset_decisions": "tabular-classification",
    "skops_pipeline": "tabular-classification",
    "hf_classifier": "text-classification",
    "builtin_text": "text-classification",
    "hf_causal_lm": "text-generation",
    "hf_encoder": "feature-extraction",
}
_MARKDOWN_SPECIAL = str.maketrans({c: "\\" + c for c in "\\`*_[]|#"} | {"<": "&lt;", ">": "&gt;", "\n": " "})


def _md(text) -> str:
    """A label from the report as inert Markdown (table-safe, no links, no HTML)."""
    return str(text).translate(_MARKDOWN_SPECIAL)


def _dataset_entry(document: dict, probe: dict | None = None) -> dict:
    source = (probe or {}).get("data_source")
    if source:
        return {"name": source["name"], "type": probe["probe"], "revision": f"{source['package']} {source['version']}"}
    dataset = document["subject"]["dataset"]
    if dataset is None:
        return {"name": "built-in benchmarks", "type": "builtin"}
    return {"name": dataset["name"], "type": dataset["name"], "revision": f"sha256:{dataset['sha256']}"}


def _metric(kind: str, value, name: str) -> dict:
    return {"type": kind, "value": value, "name": name, "verified": False}


def model_index(document: dict) -> list[dict]:
    """The model-index of the card: numbers exactly as in the report (not-computable values left out)."""
    model = document["subject"]["model"]
    task = _TASKS.get(model["kind"], "other")
    results = []
    group_metrics = [
        _metric(r["metric"], r["value"], f"{r['metric']} {result_slice(r)} vs {r['reference_group']}")
        for r in document["results"]
        if r["value"] is not None
    ]
    if group_metrics:
        results.append(
            {
                "task": {"type": task, "name": "Fairness audit: group metrics"},
                "dataset": _dataset_entry(document),
                "metrics": group_metrics,
            }
        )
    scored = [
        _metric(f"{f['section']}.{f['metric']}", f["value"], f"{f['metric']} {f['attribute']}={f['group']} vs "
                f"{f['reference_group']}")
        for f in score_rank_findings(document)
        if f["value"] is not None
    ]  # fmt: skip
    if scored:
        results.append(
            {
                "task": {"type": task, "name": "Fairness audit: continuous scores and rankings"},
                "dataset": _dataset_entry(document),
                "metrics": scored,
            }
        )
    for probe in document.get("probes") or []:
        metrics = [
            _metric(f"{row['probe']}.{row['statistic']}", row["value"], f"{row['statistic']} {probe_slice(row)}")
            for row in probe_rows(probe)
            if is_headline(row)
        ]
        if metrics:
            results.append(
                {
                    "task": {"type": task, "name": f"Fairness probe: {probe['probe']} ({probe['attribute']})"},
                    "dataset": _dataset_entry(document, probe),
                    "metrics": metrics,
                }
            )
    return [{"name": model["name"], "results": results}] if results else []


def _front_matter(document: dict) -> dict:
    model = document["subject"]["model"]
    meta = {"tags": ["fairness-audit", "bias-evaluation"], "model_name": model["name"]}
    index = model_index(document)
    if index:
        meta["model-index"] = index
    return meta


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines + [""]


def _results_section(document: dict) -> list[str]:
    if not document["results"]:
        return []
    rows = [
        [
            f"`{r['metric']}`", _md(result_slice(r)), _md(r["reference_group"]), fmt_number(r["value"]),
            fmt_interval(r["ci_low"], r["ci_high"]), f"{r['band_low']:g}..{r['band_high']:g}",
            fmt_p(r["p_value_holm"]), f"**{r['verdict']}**" if r["verdict"] == "fail" else r["verdict"],
        ]
        for r in document["results"]
    ]  # fmt: skip
    header = ["Metric", "Slice", "Reference", "Value", "95% interval", "Band", "p (Holm)", "Verdict"]
    return ["## Group metrics", "", *_table(header, rows)]


def _probe_section(document: dict) -> list[str]:
    rows = [
        [
            f"`{row['probe']}`", _md(probe_slice(row)), f"`{row['statistic']}`", fmt_number(row["value"]),
            fmt_interval(row["ci_low"], row["ci_high"]), row["verdict"],
        ]
        for row in headline_findings(document)
    ]  # fmt: skip
    if not document.get("probes"):
        return []
    verdicts = ", ".join(f"{_md(p['probe'])} ({_md(p['attribute'])}): {p['verdict']}" for p in document["probes"])
    return [
        "## Probes",
        "",
        verdicts,
        "",
        *_table(["Probe", "Slice", "Statistic", "Value", "95% interval", "Verdict"], rows),
    ]


def _counts(counts: dict) -> str:
    return ", ".join(f"{k} {v}" for k, v in counts.items())


def _body(document: dict, sha256: str) -> list[str]:
    subject, summary, fp = document["subject"], document["summary"], document["fingerprints"]
    model, dataset = subject["model"], subject["dataset"]
    on = f"dataset {_md(dataset['name'])} ({dataset['rows']} rows)" if dataset else "built-in benchmarks"
    lines = [
        f"# Fairness audit of {_md(model['name'])}",
        "",
        f"Audit {_md(document['plan']['name'])} of model {_md(model['name'])} ({model['kind']}) on {on}, "
        f"finished {document['provenance']['finished_at']}.",
        "",
        f"- Verdicts: {_counts(summary['verdicts']) or 'no group metrics'}",
        f"- Probe verdicts: {_counts(summary.get('probe_verdicts') or {}) or 'none'}",
        f"- Report sha256: `{sha256}`",
        "",
        *_results_section(document),
        *_probe_section(document),
    ]
    if document["contracts"]:
        rows = [
            [f"`{m}`", _md(c["name"]), _md(c["formula"]), f"{c['default_band'][0]:g}..{c['default_band'][1]:g}"]
            for m, c in document["contracts"].items()
        ]
        lines += ["## Metric contracts", "", *_table(["Metric", "Name", "Formula", "Default band"], rows)]
    risk_lines = [f"- {_md(r['name'])}. *Mitigation:* {_md(r['mitigation_strategy'])}" for r in risks(document)]
    lines += ["## Risks", "", *(risk_lines or ["No failed finding."]), ""]
    lines += ["## Limitations", "", *([f"- {_md(t)}" for t in limitations(document)] or ["None recorded."]), ""]
    lines += [
        "## Fingerprints",
        "",
        f"- Dataset sha256: `{fp['dataset_sha256'] or 'none'}`",
        f"- Model sha256: `{fp['model_sha256']}`",
        f"- Code version: {_md(fp['code_version'])}; device {_md(fp['device'])}; bootstrap seed {fp['bootstrap_seed']}",
        f"- Libraries: {_md(_counts(fp['libraries']))}",
        f"- Report sha256: `{sha256}`",
        "",
        "Generated from the canonical audit report; the numbers in `model-index` are unverified by the Hub.",
    ]
    return lines


def hf_model_card(document: dict, sha256: str) -> str:
    """README.md text: YAML front matter (model-index) and a Markdown body."""
    front = yaml.safe_dump(_front_matter(document), sort_keys=False, allow_unicode=True, width=100000)
    return "---\n" + front + "---\n\n" + "\n".join(_body(document, sha256)) + "\n"
