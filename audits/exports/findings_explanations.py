"""CSV rows of the optional global-explanation and explanation-quality sections (issue 16): aggregates only.

kind ``global.cluster``: one row per activation cluster (its dominant group, decision-rate difference against the
rest with its interval, p and Holm p; verdict ``flagged`` or ``not_flagged``); ``quality.stability`` and
``quality.consistency``: the mean rank correlation per method (verdict ``stable``/``unstable``); ``*.cost``: seconds
per 1,000 examples of each stage.
"""


def _blank(columns) -> dict:
    return dict.fromkeys(columns, "")


def explanation_rows(document: dict, columns, text, number) -> list[dict]:
    """Rows in ``columns``; ``text`` and ``number`` are the CSV writer's cell formatters."""
    rows = []
    found = document.get("global_explanations")
    if found:
        clusters = (found.get("text") or {}).get("clusters") or {}
        for cluster in clusters.get("clusters", []):
            dominant = cluster.get("dominant") or {}
            low, high = cluster.get("interval") or (None, None)
            row = _blank(columns)
            row.update(
                kind="global.cluster", probe=f"cluster {cluster['cluster'] + 1}",
                attribute=text(dominant.get("attribute")), group=text(dominant.get("group")),
                metric="decision_rate_difference", value=number(cluster["difference"]), ci_low=number(low),
                ci_high=number(high), p_value=number(cluster["p_value"]), p_value_holm=number(cluster.get("p_holm")),
                verdict="flagged" if cluster["flagged"] else "not_flagged", n=number(cluster["n"]),
            )  # fmt: skip
            rows.append(row)
        rows.append(_cost_row("global.cost", found["cost"], columns, number))
    quality = document.get("explanation_quality")
    if quality:
        text_part, tabular = quality.get("text") or {}, quality.get("tabular") or {}
        entries = [(s["method"], s["overall"], s["stable"]) for s in text_part.get("stability", [])]
        if tabular:
            stability = tabular["stability"]
            entries.append((stability["method"], stability["agreement"], stability["stable"]))
        for method, agreement, stable in entries:
            row = _blank(columns)
            row.update(
                kind="quality.stability", probe=method, metric="mean_spearman",
                value=number(agreement.get("mean_spearman")), n=number(agreement.get("n")),
                verdict="" if stable is None else ("stable" if stable else "unstable"),
            )  # fmt: skip
            rows.append(row)
        consistency = text_part.get("consistency") or tabular.get("consistency")
        if consistency:
            row = _blank(columns)
            agreement = consistency["agreement"]
            row.update(
                kind="quality.consistency", probe=" vs ".join(consistency["methods"]), metric="mean_spearman",
                value=number(agreement.get("mean_spearman")), n=number(agreement.get("n")),
            )  # fmt: skip
            rows.append(row)
        rows.append(_cost_row("quality.cost", quality["cost"], columns, number))
    return rows


def _cost_row(kind: str, cost: dict, columns, number) -> dict:
    row = _blank(columns)
    row.update(kind=kind, metric="seconds_per_1000", value=number(cost["seconds_per_1000"]), n=number(cost["examples"]))
    return row
