"""Limitations and risks read off a report, worded for model cards (Model Card Toolkit and Hugging Face)."""

from collections import defaultdict

from audits.renderings.formatting import fmt_interval, fmt_number, fmt_p
from explainers.metrics.definitions import METRIC_DEFINITIONS

from .findings import probe_findings, probe_slice, result_slice

# Metrics of the selection rate alone (no outcome needed): their gaps call for another mitigation than error rates.
_SELECTION = {metric for metric, definition in METRIC_DEFINITIONS.items() if not definition.requires_outcome}
_MITIGATION_SELECTION = (
    "Find which inputs or thresholds drive the gap in selection rate between {slice} and {reference}; consider "
    "re-weighing or re-sampling the training data, or group-aware thresholds where the law allows them; "
    "re-audit, and have a reviewer approve, before the model decides about people."
)
_MITIGATION_ERRORS = (
    "Compare error rates of {slice} and {reference}: check the outcome labels of both groups for bias, "
    "the calibration of the scores per group, and the decision threshold; retrain or post-process "
    "(e.g. equalized-odds thresholds), then re-audit before deployment."
)
_MITIGATION_PROBES = {
    "tabular_counterfactual": (
        "Decisions change when only the protected value changes: remove the protected column (and examine the "
        "proxies the report names) from the model's features, retrain, and re-run the probe."
    ),
    "text_counterfactual": (
        "Decisions change when only protected terms change: augment the training data with counterfactual term "
        "swaps, inspect the attributions of the flipped pairs, and re-run the probe."
    ),
    "crows_pairs": (
        "The language model prefers stereotypical sentences: do not use its scores or generations for decisions "
        "about people without debiasing or output filtering, and re-audit after mitigation."
    ),
    "bbq": (
        "The language model answers by stereotype where the context does not say, or against the context: do not "
        "use it to answer questions about people without debiasing or abstention on underdetermined questions, and "
        "re-audit after mitigation."
    ),
    "weat": (
        "The encoder associates the target groups with the attribute words: debias the embeddings or avoid using "
        "similarity scores between these concepts in decisions about people, then re-audit."
    ),
    "discrim_eval": (
        "The model's yes/no decisions depend on the demographics named in the prompt: add explicit "
        "non-discrimination instructions or fine-tune, and re-run the decision probe before use."
    ),
}


def limitations(document: dict) -> list[str]:
    """Groups too small to judge, metrics that could not be computed, and the probes' own caveats."""
    notes = []
    data = document.get("data") or {}
    total = data.get("rows_total")
    if data.get("rows_dropped_missing_decision_or_outcome"):
        dropped = data["rows_dropped_missing_decision_or_outcome"]
        notes.append(f"{dropped} of {total} rows were left out for a missing decision or outcome.")
    for attribute, dropped in (data.get("rows_dropped_missing_attribute") or {}).items():
        if dropped:
            notes.append(f"{dropped} of {total} rows were left out of {attribute} for a missing value.")
    small: dict[str, list[str]] = defaultdict(list)
    missing: dict[tuple[str, str, str], list[str]] = defaultdict(list)
    for result in document["results"]:
        if result["verdict"] == "insufficient_data":
            label = result_slice(result)
            if result["reason"] not in small[label]:
                small[label].append(result["reason"])
        elif result["verdict"] == "not_computable":
            key = (result["metric"], result["attribute"], result["reason"])
            if result_slice(result) not in missing[key]:
                missing[key].append(result_slice(result))
    for label, reasons in small.items():
        notes.append(f"Insufficient data for {label}: {'; '.join(r for r in reasons if r) or 'too few rows'}.")
    for (metric, attribute, reason), slices in missing.items():
        count = f"{len(slices)} slice" + ("s" if len(slices) != 1 else "")
        notes.append(f"{metric} not computable for {attribute} ({reason or 'no reason given'}): {count}.")
    for row in probe_findings(document):
        if row["verdict"] == "insufficient_data":
            notes.append(f"{row['probe']} {probe_slice(row)}: insufficient data ({row['statistic']}).")
    for entry in document.get("attributions") or []:
        for note in entry.get("notes") or []:
            notes.append(f"Attributions ({entry['method']}) for {entry['attribute']}: {note}")
        if entry.get("non_converged"):
            notes.append(
                f"Attributions for {entry['attribute']}: {len(entry['non_converged'])} explanations did not meet "
                "their completeness bound."
            )
    notes.extend(f"Convention: {w}" for w in document["summary"].get("convention_warnings") or [])
    return notes


def _result_risk(result: dict) -> dict:
    slice_label = result_slice(result)
    interval = fmt_interval(result["ci_low"], result["ci_high"])
    name = (
        f"{result['metric']} {slice_label} vs {result['reference_group']}: {fmt_number(result['value'])} "
        f"{interval} outside the band {result['band_low']:g}..{result['band_high']:g} "
        f"(Holm-adjusted p {fmt_p(result['p_value_holm'])})"
    )
    template = _MITIGATION_SELECTION if result["metric"] in _SELECTION else _MITIGATION_ERRORS
    mitigation = template.format(slice=slice_label, reference=result["reference_group"])
    return {"name": name, "mitigation_strategy": mitigation}


def _probe_risk(row: dict) -> dict:
    value = fmt_number(row["value"])
    interval = fmt_interval(row["ci_low"], row["ci_high"])
    return {
        "name": f"{row['probe']} {probe_slice(row)}: {row['statistic']} {value} {interval}".rstrip(),
        "mitigation_strategy": _MITIGATION_PROBES[row["probe"]],
    }


def _failed_results(document: dict) -> list[dict]:
    return [result for result in document["results"] if result["verdict"] == "fail"]


def _failed_probe_rows(document: dict) -> list[dict]:
    return [row for row in probe_findings(document) if row["verdict"] == "fail" and row["statistic"] != "probe_verdict"]


def risks(document: dict) -> list[dict]:
    """Each failed finding as a named risk with a mitigation strategy (Model Card Toolkit 'risk' objects)."""
    return [_result_risk(r) for r in _failed_results(document)] + [
        _probe_risk(row) for row in _failed_probe_rows(document)
    ]


# Metrics of the rate at which a group receives the favourable decision (overall or among the truly favourable):
# below the band the group is at risk, above it the reference group is.
_FAVOURABLE_RATE = {
    "disparate_impact",
    "statistical_parity_difference",
    "equal_opportunity_difference",
    "equal_opportunity_ratio",
}
_HARMS = {
    "selection": "{at_risk} receives {decision} less often than {other}.",
    "opportunity": "Members of {at_risk} who merit {decision} receive it less often than those of {other}.",
    "equalized_odds_difference": "The model's error rates (true or false positive rate) differ between {at_risk} "
    "and {other}.",
    "predictive_parity_difference": "A favourable decision is right at a different rate for {at_risk} than for "
    "{other}.",
}


def _at_risk(result: dict) -> tuple[str, str, str]:
    """(group at risk, the group it is compared with, which harm) of a failed metric result."""
    group, reference = result_slice(result), result_slice({**result, "group": result["reference_group"]})
    metric = result["metric"]
    if metric not in _FAVOURABLE_RATE:
        return group, reference, metric
    harm = "selection" if metric in _SELECTION else "opportunity"
    below = result["value"] is not None and result["value"] < result["band_low"]
    return (group, reference, harm) if below else (reference, group, harm)


def fairness_assessments(document: dict) -> list[dict]:
    """Who each finding puts at risk, and how (CycloneDX ``fairnessAssessment`` fields, snake_case).

    Every failed metric and probe finding (harm and mitigation worded as in ``risks``), then every group the
    audit could not judge (a limitation: its harm is unmeasured, not absent)."""
    favourable = ", ".join(document["subject"]["model"].get("favourable_decision") or [])
    decision = f"the favourable decision ({favourable})" if favourable else "the favourable decision"
    out = []
    for result in _failed_results(document):
        at_risk, other, harm = _at_risk(result)
        risk = _result_risk(result)
        out.append(
            {
                "group_at_risk": at_risk,
                "benefits": f"The model allocates {decision}; the audit measures how it is shared between {at_risk} "
                f"and {other}.",
                "harms": f"{_HARMS[harm].format(at_risk=at_risk, other=other, decision=decision)} {risk['name']}.",
                "mitigation_strategy": risk["mitigation_strategy"],
            }
        )
    for row in _failed_probe_rows(document):
        risk = _probe_risk(row)
        out.append(
            {
                "group_at_risk": probe_slice(row),
                "benefits": f"Outputs that stay the same when only {row['attribute']} changes (what the probe tests).",
                "harms": f"The {row['probe']} probe finds that outputs depend on {row['attribute']}: {risk['name']}.",
                "mitigation_strategy": risk["mitigation_strategy"],
            }
        )
    unjudged: dict[str, list[str]] = defaultdict(list)
    for result in document["results"]:
        if result["verdict"] == "insufficient_data" and result["metric"] not in unjudged[result_slice(result)]:
            unjudged[result_slice(result)].append(result["metric"])
    for slice_label, metrics in unjudged.items():
        out.append(
            {
                "group_at_risk": slice_label,
                "benefits": "None established: the audit could not judge this group.",
                "harms": f"Unmeasured, not absent: too few rows for a verdict on {', '.join(metrics)}.",
                "mitigation_strategy": "Collect more labelled rows for this group and re-audit before relying on the "
                "model for it.",
            }
        )
    return out
