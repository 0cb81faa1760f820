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


def risks(document: dict) -> list[dict]:
    """Each failed finding as a named risk with a mitigation strategy (Model Card Toolkit 'risk' objects)."""
    out = []
    for result in document["results"]:
        if result["verdict"] != "fail":
            continue
        slice_label = result_slice(result)
        interval = fmt_interval(result["ci_low"], result["ci_high"])
        name = (
            f"{result['metric']} {slice_label} vs {result['reference_group']}: {fmt_number(result['value'])} "
            f"{interval} outside the band {result['band_low']:g}..{result['band_high']:g} "
            f"(Holm-adjusted p {fmt_p(result['p_value_holm'])})"
        )
        template = _MITIGATION_SELECTION if result["metric"] in _SELECTION else _MITIGATION_ERRORS
        out.append(
            {
                "name": name,
                "mitigation_strategy": template.format(slice=slice_label, reference=result["reference_group"]),
            }
        )
    for row in probe_findings(document):
        if row["verdict"] != "fail" or row["statistic"] == "probe_verdict":
            continue
        value = fmt_number(row["value"])
        interval = fmt_interval(row["ci_low"], row["ci_high"])
        out.append(
            {
                "name": f"{row['probe']} {probe_slice(row)}: {row['statistic']} {value} {interval}".rstrip(),
                "mitigation_strategy": _MITIGATION_PROBES[row["probe"]],
            }
        )
    return out
