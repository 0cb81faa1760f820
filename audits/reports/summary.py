"""A plain-text summary of a report for terminals (the CLI and `make demo`)."""

from .summary_explanations import explanation_lines
from .summary_probes import MODEL_PROBE_LINES, attribution_lines
from .summary_score_rank import score_rank_lines

_SHOWN = ("disparate_impact", "statistical_parity_difference", "equal_opportunity_difference")
_LABELS = {"disparate_impact": "DI", "statistical_parity_difference": "SPD", "equal_opportunity_difference": "EOD"}


def _cell(result: dict | None) -> str:
    if result is None:
        return "-"
    if result["value"] is None:
        return result["verdict"]
    interval = ""
    if result["ci_low"] is not None and result["ci_high"] is not None:
        interval = f" [{result['ci_low']:.3f}, {result['ci_high']:.3f}]"
    if result.get("adjusted_ci_low") is not None:  # the interval that decided the verdict (verdict_error_control)
        interval += f" adj [{result['adjusted_ci_low']:.3f}, {result['adjusted_ci_high']:.3f}]"
    return f"{result['value']:.3f}{interval} {result['verdict']}"


def report_summary(document: dict, sha256: str = "") -> str:
    """Per attribute and group: n, selection rate, and DI / SPD / EOD with 95% interval and verdict."""
    lines = []
    dataset, model = document["subject"]["dataset"], document["subject"]["model"]
    plan = document["plan"]
    if dataset is None:
        lines.append(f"Model   {model['name']} ({model['kind']}, sha256 {model['sha256'][:12]}…), no dataset")
    else:
        lines.append(f"Dataset {dataset['name']} ({dataset['rows']} rows, sha256 {dataset['sha256'][:12]}…)")
        favourable = ", ".join(model.get("favourable_decision", []))
        decision = f"favourable decision: {favourable}" if favourable else "no binary decision: scores or ranks"
        lines.append(f"Model   {model['name']} ({decision})")
    lines.append(
        f"Bootstrap B={plan['n_boot']} seed={plan['seed']} alpha={plan['alpha']}; "
        f"insufficient_data below n={plan['min_group_size']} or {plan['min_denominator']} rows in a denominator"
    )
    by_key = {(r["attribute"], r["decision_class"], r["group"], r["metric"]): r for r in document["results"]}
    shown = [m for m in _SHOWN if m in plan["metrics"]]
    estimates = {e["attribute"]: e for e in document.get("estimated_attributes") or []}
    for attribute in document["attributes"]:
        name, cls = attribute["attribute"], attribute["decision_class"]
        lines.append("")
        title = f"{name}" + (f" — class '{cls}' one-vs-rest" if cls else "")
        lines.append(f"{title}: reference group '{attribute['reference_group']}' ({attribute['reference_rule']})")
        if attribute.get("estimated"):
            lines.append("  " + estimated_line(estimates.get(name)))
        header = ["group", "n", "sel.rate"] + [_LABELS[m] + " [95% CI] verdict" for m in shown]
        rows = [header]
        for group in attribute["groups"]:
            sr = group["selection_rate"]
            row = [group["group"], str(group["n"]), "-" if sr is None else f"{sr:.3f}"]
            if group["group"] == attribute["reference_group"]:
                row += ["(reference)"] * len(shown)
            else:
                row += [_cell(by_key.get((name, cls, group["group"], m))) for m in shown]
            rows.append(row)
        widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
        for index, row in enumerate(rows):
            lines.append("  " + "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)))
            if index == 0:
                lines.append("  " + "  ".join("-" * width for width in widths))
    lines.extend(score_rank_lines(document))
    for probe in document.get("probes", []):
        lines.append("")
        if probe["probe"] == "text_counterfactual":
            lines.extend(_text_probe_lines(probe))
            continue
        if probe["probe"] in MODEL_PROBE_LINES:
            lines.extend(MODEL_PROBE_LINES[probe["probe"]](probe))
            continue
        lines.append(
            f"Counterfactual probe on {probe['attribute']} ({probe['n_rows']} rows, protected column "
            f"{'used' if probe['protected_is_feature'] else 'not used'} by the model): causal discrimination rate "
            f"{probe['causal_discrimination_rate']:.3f} [{probe['cdr_ci_low']:.3f}, {probe['cdr_ci_high']:.3f}] "
            f"{probe['verdict']} (threshold {probe['threshold']:g})"
        )
        strongest = sorted(probe["pairs"], key=lambda p: -abs(p["mean_delta"]))[:6]
        for pair in strongest:
            lines.append(
                f"  {pair['source_group']} -> {pair['target_group']}: flip rate {pair['flip_rate']:.3f}, "
                f"mean delta {pair['mean_delta']:+.4f} [{pair['delta_ci_low']:+.4f}, {pair['delta_ci_high']:+.4f}]"
            )
        if len(probe["pairs"]) > len(strongest):
            lines.append(f"  ({len(probe['pairs']) - len(strongest)} more pairs in the report)")
        proxies = ", ".join(f"{p['feature']} ({p['association']:.2f})" for p in probe["proxies"][:3])
        if proxies:
            lines.append(f"  strongest proxies: {proxies}")
    for entry in document.get("attributions") or []:
        lines.append("")
        lines.extend(attribution_lines(entry))
    lines.extend(explanation_lines(document))
    verdicts = document["summary"]["verdicts"]
    for warning in document["summary"].get("convention_warnings", []):
        lines.append(f"Convention warning: {warning}")
    lines.append("")
    lines.append("Verdicts: " + (", ".join(f"{k} {v}" for k, v in verdicts.items()) or "no group metrics"))
    probe_verdicts = document["summary"].get("probe_verdicts") or {}
    if probe_verdicts:
        lines.append("Probe verdicts: " + ", ".join(f"{k} {v}" for k, v in probe_verdicts.items()))
    if sha256:
        lines.append(f"Report sha256 {sha256}")
    return "\n".join(lines)


def estimated_line(section: dict | None) -> str:
    """What every number of an estimated attribute is: method, coverage of the surname table, fallbacks."""
    if section is None:
        return "ESTIMATED FROM PROXIES"
    return (
        f"ESTIMATED FROM PROXIES: {section['method']} ({section['package']}, 2010 census tables); surname found for "
        f"{section['surname_coverage']:.1%} of rows, {section['fallback_share']:.1%} fell back to priors; "
        "n are expected counts"
    )


def _number(value, spec: str) -> str:
    """A probe statistic, or 'n/a' when it could not be computed (too few rows)."""
    return "n/a" if value is None else format(value, spec)


def _text_probe_lines(probe: dict) -> list[str]:
    lines = [f"Text counterfactual probe ({probe['attribute']}): verdict {probe['verdict']}"]
    for pair in probe["pairs"]:
        lines.append(
            f"  {pair['source_group']} -> {pair['target_group']}: n {pair['n']}, "
            f"flip rate {_number(pair['flip_rate'], '.3f')}, "
            f"excess over control {_number(pair['excess_flip_rate'], '+.3f')}, "
            f"mean |delta| {_number(pair['mean_abs_delta'], '.4f')}, verdict {pair['verdict']}"
        )
    return lines
