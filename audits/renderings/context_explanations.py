"""Template context of the optional global-explanation and explanation-quality sections (issue 16 §2, §3).

Numbers are formatted once here (``formatting.py``), so the page, the HTML and the PDF agree; the attention heatmap
is inline SVG drawn here (no script, no external reference), with every label escaped.
"""

from html import escape

from django.utils.safestring import mark_safe

from .formatting import fmt_interval, fmt_number, fmt_p, fmt_percent, fmt_signed

CELL = 34
HEAD_LABEL = 70


def _colour(share: float) -> str:
    """White to dark blue as the share of attention goes from 0 to 1."""
    level = max(0.0, min(1.0, share))
    red, green, blue = (round(255 - level * (255 - c)) for c in (8, 48, 107))
    return f"#{red:02x}{green:02x}{blue:02x}"


def attention_heatmap(shares: list[list[float]], title: str) -> str:
    """Layers (rows) x heads (columns), each cell coloured by its share and labelled with it to two decimals."""
    if not shares:
        return ""
    layers, heads = len(shares), len(shares[0])
    width, height = HEAD_LABEL + heads * CELL + 10, 20 + layers * CELL + 10
    parts = [
        f'<text x="{HEAD_LABEL + h * CELL + CELL / 2:.1f}" y="14" text-anchor="middle" fill="#445">h{h + 1}</text>'
        for h in range(heads)
    ]
    for layer, row in enumerate(shares):
        y = 20 + layer * CELL
        parts.append(
            f'<text x="{HEAD_LABEL - 6}" y="{y + CELL / 2 + 4:.1f}" text-anchor="end">layer {layer + 1}</text>'
        )
        for head, value in enumerate(row):
            x = HEAD_LABEL + head * CELL
            ink = "#fff" if value > 0.5 else "#111"
            parts.append(
                f'<rect x="{x}" y="{y}" width="{CELL - 2}" height="{CELL - 2}" fill="{_colour(value)}">'
                f"<title>layer {layer + 1}, head {head + 1}: {value:.3f}</title></rect>"
                f'<text x="{x + CELL / 2 - 1:.1f}" y="{y + CELL / 2 + 3:.1f}" text-anchor="middle" font-size="9" '
                f'fill="{ink}">{value:.2f}</text>'
            )
    return (
        f'<svg class="chart heatmap" width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img" '
        f'font-size="11" font-family="DejaVu Sans, sans-serif"><title>{escape(title)}</title>'
        + "".join(parts)
        + "</svg>"
    )


def _cost(cost: dict | None) -> str:
    if not cost:
        return ""
    per = cost.get("seconds_per_1000")
    per_text = f", {per:.2f} s per 1,000 examples" if per is not None else ""
    return f"{cost['seconds']:.2f} s for {cost['examples']} examples{per_text}"


def _cluster_row(cluster: dict) -> dict:
    dominant = cluster.get("dominant")
    return {
        "cluster": cluster["cluster"] + 1,
        "n": cluster["n"],
        "words": ", ".join(cluster["top_words"]),
        "rate": fmt_number(cluster["decision_rate"]),
        "rest": fmt_number(cluster["rest_decision_rate"]),
        "difference": fmt_signed(cluster["difference"]),
        "interval": fmt_interval(*(cluster["interval"] or [None, None])),
        "p_holm": fmt_p(cluster.get("p_holm")),
        "dominant": (
            f"{dominant['attribute']} = {dominant['group']}: {fmt_percent(dominant['share'])} "
            f"(sample {fmt_percent(dominant['population_share'])})"
            if dominant
            else "none"
        ),
        "composition": "; ".join(
            f"{attribute}: " + ", ".join(f"{row['group']} {fmt_percent(row['share'])}" for row in rows[:4])
            for attribute, rows in cluster["composition"].items()
        ),
        "flagged": cluster["flagged"],
    }


def _attention(entry: dict) -> dict:
    comparison = entry["ig_comparison"]
    title = f"Share of attention to {entry['lexicon']} terms per layer and head"
    return {
        "lexicon": entry["lexicon"],
        "n": entry["n_examples"],
        "heatmap": mark_safe(attention_heatmap(entry["shares"], title)),
        "uniform": fmt_number(entry["uniform_share"]),
        "max": fmt_number(entry["max_share"]),
        "spearman": fmt_number(comparison["mean_spearman"]),
        "attention_share": fmt_percent(comparison["protected_attention_share"]),
        "ig_share": fmt_percent(comparison["protected_ig_share"]),
        "caveat": entry["caveat"],
    }


def _grid(value) -> str:
    return fmt_number(value, 2) if isinstance(value, float) else str(value)


def _tabular(entry: dict) -> dict:
    groups = entry["groups"]
    return {
        "attribute": entry["attribute"],
        "method": entry["method"],
        "output": entry["output"],
        "n_rows": entry["n_rows"],
        "groups": groups,
        "importance": [
            {"feature": f["feature"], "values": [fmt_number(f["per_group"].get(g)) for g in groups]}
            for f in entry["importance"][:10]
        ],
        "dependence": [
            {
                "feature": d["feature"],
                "role": d["role"],
                "range": fmt_number(d["range"]),
                "points": ", ".join(
                    f"{_grid(v)}: {fmt_number(s)}" for v, s in list(zip(d["grid"], d["mean_score"], strict=True))[:12]
                ),
            }
            for d in entry["partial_dependence"]
        ],
    }


def global_section(document: dict) -> dict | None:
    section = document.get("global_explanations")
    if not section:
        return None
    text = section.get("text")
    clusters = None
    if text:
        found = text["clusters"]
        clusters = {
            "k": found["k"],
            "layer": found["layer"],
            "n_layers": found["n_layers"],
            "silhouette": fmt_number(found["silhouette"]),
            "rows": [_cluster_row(c) for c in found["clusters"]],
            "n_flagged": len(found["flagged"]),
            "rule": found["rule"],
            "n_rows": found["n_rows"],
        }
    return {
        "clusters": clusters,
        "attention": [_attention(a) for a in (text or {}).get("attention", []) if a["n_examples"]],
        "tabular": [_tabular(t) for t in section.get("tabular") or []],
        "notes": section.get("notes") or [],
        "cost": _cost(section.get("cost")),
    }


def _stability_row(entry: dict) -> dict:
    overall = entry.get("overall") or entry.get("agreement") or {}
    return {
        "method": entry["method"].replace("_", " "),
        "n": overall.get("n"),
        "spearman": fmt_number(overall.get("mean_spearman")),
        "overlap": fmt_percent(overall.get("mean_top_overlap")),
        "stable": entry["stable"],
        "reading": entry["reading"],
    }


def quality_section(document: dict) -> dict | None:
    section = document.get("explanation_quality")
    if not section:
        return None
    text, tabular = section.get("text") or {}, section.get("tabular") or {}
    stability = [_stability_row(s) for s in text.get("stability", [])]
    if tabular:
        stability.append(_stability_row(tabular["stability"]))
    consistency = text.get("consistency") or tabular.get("consistency")
    return {
        "stability": stability,
        "consistency": (
            {
                "methods": " vs ".join(m.replace("_", " ") for m in consistency["methods"]),
                "n": consistency["agreement"]["n"],
                "spearman": fmt_number(consistency["agreement"]["mean_spearman"]),
                "overlap": fmt_percent(consistency["agreement"]["mean_top_overlap"]),
                "reading": consistency["reading"],
            }
            if consistency
            else None
        ),
        "unstable": section.get("unstable_methods") or [],
        "cost": _cost(section.get("cost")),
    }


def explanation_sections(document: dict) -> dict:
    """{"global": ..., "quality": ...}, each None when the report has no such section."""
    return {"global": global_section(document), "quality": quality_section(document)}
