"""Plain-text lines of the optional global-explanation and explanation-quality sections (issue 16)."""


def _cost(cost: dict) -> str:
    per = cost.get("seconds_per_1000")
    return f"{cost['seconds']:.2f} s, {cost['examples']} examples" + (f", {per:.2f} s per 1,000" if per else "")


def explanation_lines(document: dict) -> list[str]:
    lines = []
    found = document.get("global_explanations")
    if found:
        lines += ["", f"Global explanations ({_cost(found['cost'])})"]
        clusters = (found.get("text") or {}).get("clusters")
        if clusters:
            lines.append(
                f"  activation clusters: k={clusters['k']} at layer {clusters['layer']}, "
                f"{len(clusters['flagged'])} flagged (one group dominates and the decision rate differs)"
            )
            for cluster in clusters["clusters"]:
                if cluster["flagged"]:
                    dominant = cluster["dominant"]
                    lines.append(
                        f"  cluster {cluster['cluster'] + 1}: {dominant['attribute']}={dominant['group']} "
                        f"{dominant['share']:.0%} (sample {dominant['population_share']:.0%}), decision rate "
                        f"{cluster['decision_rate']:.3f} vs {cluster['rest_decision_rate']:.3f}, "
                        f"Holm p {cluster['p_holm']:.2g}; words: {', '.join(cluster['top_words'][:5])}"
                    )
        for entry in found.get("tabular") or []:
            top = ", ".join(f"{d['feature']} (range {d['range']:.3f})" for d in entry["partial_dependence"])
            lines.append(f"  {entry['attribute']}: partial dependence {top or 'none'}")
    quality = document.get("explanation_quality")
    if quality:
        lines += ["", f"Explanation quality ({_cost(quality['cost'])})"]
        text, tabular = quality.get("text") or {}, quality.get("tabular") or {}
        for entry in text.get("stability", []):
            lines.append(f"  {entry['reading']}")
        if tabular:
            lines.append(f"  {tabular['stability']['reading']}")
        consistency = text.get("consistency") or tabular.get("consistency")
        if consistency:
            lines.append(f"  {consistency['reading']}")
    return lines
