"""Context of the continuous-score and ranking sections of the exported report (HTML and PDF)."""

from collections import Counter

from audits.reports.score_rank_findings import score_rank_findings
from explainers.metrics import METRIC_DEFINITIONS

from .formatting import fmt_interval, fmt_number

_TITLES = {"continuous": "Continuous scores", "ranking": "Ranking exposure"}


def _band(finding: dict) -> str:
    return f"{finding['band_low']:.3g} … {finding['band_high']:.3g}"


def _finding_row(finding: dict, formulas: dict) -> dict:
    return {
        "metric": finding["metric"],
        "metric_name": (formulas.get(finding["metric"]) or {}).get("name") or finding["metric"],
        "formula": (formulas.get(finding["metric"]) or {}).get("formula", ""),
        "group": finding["group"],
        "reference_group": finding["reference_group"],
        "value": fmt_number(finding["value"]),
        "interval": fmt_interval(finding["ci_low"], finding["ci_high"]),
        "band": _band(finding),
        "n": f"{finding['n_group']} / {finding['n_reference']}",
        "verdict": finding["verdict"],
        "reason": finding["reason"],
    }


def _continuous_groups(result: dict) -> list[dict]:
    return [
        {
            "group": g["group"],
            "n": g["n"],
            "is_reference": g["group"] == result["reference_group"],
            "cells": [fmt_number(g.get(k)) for k in ("mean", "scoring_rate", "mae", "rmse") if k in g],
        }
        for g in result["groups"]
    ]


def _ranking_groups(result: dict) -> list[dict]:
    return [
        {
            "group": g["group"],
            "n": g["n"],
            "is_reference": g["group"] == result["reference_group"],
            "cells": [fmt_number(g[k]) for k in ("exposure", "top_k_share", "population_share")],
        }
        for g in result["groups"]
    ]


def _description(section: str, data: dict) -> str:
    if section == "continuous":
        outcome = f" against the outcome {data['outcome_column']}" if data.get("outcome_column") else ""
        direction = "higher" if data["higher_is_favourable"] else "lower"
        method = data["bootstrap_method"][:1].upper() + data["bootstrap_method"][1:]
        return f"Score column {data['score_column']}{outcome} ({direction} is favourable). {method}."
    query = f", averaged per query ({data['query_column']})" if data.get("query_column") else ""
    return f"Rank column {data['rank_column']}{query}; {data['discount']}; top-k with k = {data['top_k']}. " + (
        f"Intervals: {data['bootstrap_method']}."
    )


def _contracts(metrics: dict) -> list[dict]:
    """Each metric's contract as recorded in the report: name, formula, default band and its unit."""
    return [
        {
            "metric": metric,
            "name": contract["name"],
            "formula": contract["formula"],
            "band": f"{contract['default_band'][0]:g} … {contract['default_band'][1]:g}"
            + (" SD" if contract.get("band_unit", "metric") != "metric" else ""),
            "computed": contract.get("computed", True),
        }
        for metric, contract in metrics.items()
    ]


def score_rank_sections(document: dict) -> list[dict]:
    """One entry per section present: title, description, and per attribute its groups and findings."""
    sections = []
    for section in ("continuous", "ranking"):
        data = document.get(section)
        if not data:
            continue
        attributes = []
        for attribute, result in data["by_attribute"].items():
            if "error" in result:
                attributes.append({"attribute": attribute, "error": result["error"]})
                continue
            continuous = section == "continuous"
            headers = ["Mean", "Scoring rate", "MAE", "RMSE"] if continuous else ["Exposure", "Top-k share", "Share"]
            attributes.append(
                {
                    "attribute": attribute,
                    "reference_group": result["reference_group"],
                    "reference_rule": result["reference_rule"].replace("_", " "),
                    "headers": headers[: 4 if result.get("has_outcome", True) else 2],
                    "groups": _continuous_groups(result) if continuous else _ranking_groups(result),
                    "findings": [_finding_row(f, data["metrics"]) for f in result["findings"]],
                    "bootstrap": f"B = {result['n_boot']}, seed {result['seed']}, alpha {result['alpha']:g}",
                    "extra": (
                        f"Median of the full sample: {fmt_number(result['median'])}; scoring-rate impact ratios are "
                        f"taken against {result['scoring_rate_reference']}, the highest scoring rate."
                        if continuous
                        else f"{result['rows']} ranked rows in {result['queries']} list(s), resampled by "
                        f"{result['resampled']}."
                    ),
                }
            )
        sections.append(
            {
                "key": section,
                "title": _TITLES[section],
                "description": _description(section, data),
                "attributes": attributes,
                "contracts": _contracts(data["metrics"]),
            }
        )
    return sections


def not_computable(document: dict) -> dict | None:
    """The metrics the audit could not compute, by their names (the ids stay in the report document)."""
    entry = document.get("not_computable")
    if not entry or not entry.get("metrics"):
        return None
    names = [METRIC_DEFINITIONS[m].name if m in METRIC_DEFINITIONS else m for m in entry["metrics"]]
    return {**entry, "names": names}


def score_rank_verdicts(document: dict) -> list[tuple[str, int]]:
    """Verdict counts of the continuous and ranking findings, worst first."""
    counts = Counter(f["verdict"] for f in score_rank_findings(document))
    order = ("fail", "inconclusive", "insufficient_data", "not_computable", "pass")
    return [(v, counts[v]) for v in order if counts[v]]
