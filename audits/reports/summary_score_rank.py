"""Text-summary lines of the continuous-score and ranking sections (the CLI's `report_summary`)."""

from collections import Counter

from audits.reports.score_rank_findings import score_rank_errors, score_rank_findings

_TITLES = {"continuous": "Continuous scores", "ranking": "Ranking"}


def _number(value) -> str:
    return "-" if value is None else f"{value:.3f}"


def score_rank_lines(document: dict) -> list[str]:
    """Per section and attribute: each finding with its interval and verdict; then what was not computable."""
    lines = []
    findings = score_rank_findings(document)
    for section in ("continuous", "ranking"):
        data = document.get(section)
        if not data:
            continue
        lines.append("")
        column = data.get("score_column") or data.get("rank_column")
        extra = f", top-{data['top_k']}, {data['bootstrap_method'].split(' (')[0]}" if section == "ranking" else ""
        lines.append(f"{_TITLES[section]} ({column}{extra}):")
        for finding in (f for f in findings if f["section"] == section):
            interval = f" [{_number(finding['ci_low'])}, {_number(finding['ci_high'])}]"
            lines.append(
                f"  {finding['attribute']}={finding['group']} vs {finding['reference_group']}: {finding['metric']} "
                f"{_number(finding['value'])}{interval} band {finding['band_low']:.3g}..{finding['band_high']:.3g} "
                f"{finding['verdict']}" + (f" ({finding['reason']})" if finding["reason"] else "")
            )
        counts = Counter(f["verdict"] for f in findings if f["section"] == section)
        lines.append("  Verdicts: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
    for error in score_rank_errors(document):
        lines.append(f"  {error['section']} {error['attribute']}: not computed ({error['error']})")
    missing = document.get("not_computable")
    if missing and missing["metrics"]:
        lines.append(f"Not computable: {', '.join(missing['metrics'])}. {missing['reason']}")
    return lines
