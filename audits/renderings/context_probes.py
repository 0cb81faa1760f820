"""Template context of the probe sections: counterfactual probes with their attributions, and model probes."""

from .formatting import fmt_interval, fmt_number, fmt_p, fmt_percent, fmt_signed

TEMPLATES = {
    "text_counterfactual": "audits/report_export/probe_text.html",
    "tabular_counterfactual": "audits/report_export/probe_tabular.html",
    "crows_pairs": "audits/report_export/probe_crows.html",
    "bbq": "audits/report_export/probe_bbq.html",
    "weat": "audits/report_export/probe_weat.html",
    "discrim_eval": "audits/report_export/probe_decision.html",
}


def _tokens(tokens: list, scale: float) -> list[dict]:
    """Words shaded by signed weight: blue pushes towards the explained label, red away; protected words marked."""
    out = []
    for word, weight, protected in tokens:
        alpha = 0.0 if not scale or weight is None else min(abs(weight) / scale, 1.0) * 0.8
        colour = "33, 102, 172" if (weight or 0) >= 0 else "178, 24, 43"
        out.append(
            {
                "word": word,
                "style": f"background-color: rgba({colour}, {alpha:.2f})",
                "title": fmt_signed(weight, 4),
                "protected": bool(protected),
            }
        )
    return out


def _rendered(example: dict) -> dict:
    weights = [abs(w) for _, w, _ in example["text_tokens"] + example["counterfactual_tokens"] if w is not None]
    scale = max(weights, default=0.0)
    return {
        "source_group": example["source_group"],
        "target_group": example["target_group"],
        "delta": fmt_signed(example.get("delta")),
        "flipped": example.get("flipped"),
        "protected_share": fmt_number(example.get("protected_share"), 2),
        "text": _tokens(example["text_tokens"], scale),
        "counterfactual": _tokens(example["counterfactual_tokens"], scale),
    }


def _text_attributions(entry: dict | None) -> dict | None:
    if entry is None:
        return None
    return {
        "method": entry["method"],
        "implementation": entry.get("implementation", ""),
        "target_label": entry.get("target_label", ""),
        "n_pairs": entry.get("n_pairs"),
        "all_converged": entry.get("all_converged"),
        "notes": entry.get("notes") or [],
        "summaries": [
            {
                "source_group": row["source_group"],
                "target_group": row["target_group"],
                "n_pairs": row["n_pairs"],
                "n_flipped": row["n_flipped"],
                "protected_share": fmt_number(row.get("mean_protected_share"), 2),
                "neutral_share": fmt_number(row.get("mean_protected_share_neutral"), 2),
                "top_protected": fmt_percent(row.get("flipped_top_protected_rate")),
                "faithful": fmt_percent(row.get("faithful_rate")),
            }
            for row in entry.get("summaries") or []
        ],
        "rendered": [_rendered(example) for example in entry.get("rendered") or []],
    }


def _text(probe: dict, attribution: dict | None) -> dict:
    pairs = [
        {
            "source_group": pair["source_group"],
            "target_group": pair["target_group"],
            "n": pair["n"],
            "flip_rate": fmt_number(pair["flip_rate"]),
            "flip_interval": fmt_interval(pair.get("flip_ci_low"), pair.get("flip_ci_high")),
            "control_flip_rate": fmt_number(pair.get("control_flip_rate")),
            "excess": fmt_signed(pair["excess_flip_rate"]),
            "excess_interval": fmt_interval(pair.get("excess_flip_ci_low"), pair.get("excess_flip_ci_high")),
            "mean_delta": fmt_signed(pair.get("mean_delta")),
            "delta_interval": fmt_interval(pair.get("delta_ci_low"), pair.get("delta_ci_high")),
            "verdict": pair["verdict"],
        }
        for pair in probe["pairs"]
    ]
    examples = [
        {
            "source_group": e["source_group"],
            "target_group": e["target_group"],
            "text": e["text"],
            "counterfactual": e["counterfactual"],
            "score": fmt_number(e.get("score")),
            "counterfactual_score": fmt_number(e.get("counterfactual_score")),
            "flipped": e.get("decision") != e.get("counterfactual_decision"),
        }
        for e in probe.get("examples") or []
    ]
    return {"pairs": pairs, "examples": examples, "attributions": _text_attributions(attribution)}


def _tabular(probe: dict, attribution: dict | None) -> dict:
    pairs = [
        {
            "source_group": p["source_group"],
            "target_group": p["target_group"],
            "n": p["n"],
            "flip_rate": fmt_number(p["flip_rate"]),
            "flip_interval": fmt_interval(p.get("flip_ci_low"), p.get("flip_ci_high")),
            "mean_delta": fmt_signed(p["mean_delta"]),
            "delta_interval": fmt_interval(p.get("delta_ci_low"), p.get("delta_ci_high")),
        }
        for p in probe["pairs"]
    ]
    shap = None
    if attribution is not None:
        shap = {
            "method": attribution["method"],
            "n_rows": attribution.get("n_rows"),
            "output": attribution.get("output", ""),
            "protected_share": fmt_number(attribution.get("protected_share")),
            "faithful": (attribution.get("faithfulness") or {}).get("faithful"),
            "proxy_share": fmt_number(attribution.get("proxy_share")),
            "proxy_rule": attribution.get("proxy_rule"),
            "proxy_names": [p["feature"] for p in attribution.get("proxies") or [] if p.get("is_proxy")],
            "features": [
                {"feature": f["feature"], "share": fmt_number(f.get("share")), "mean_abs": fmt_number(f["mean_abs"])}
                for f in attribution.get("features") or []
            ],
        }
    return {
        "cdr": fmt_number(probe["causal_discrimination_rate"]),
        "cdr_interval": fmt_interval(probe["cdr_ci_low"], probe["cdr_ci_high"]),
        "pairs": pairs,
        "proxies": [{**p, "association": fmt_number(p["association"])} for p in probe.get("proxies") or []],
        "attributions": shap,
    }


def _crows_row(entry: dict) -> dict:
    return {
        "name": entry["name"],
        "n": entry["n"],
        "score": fmt_number(entry["score"], 1),
        "interval": fmt_interval(entry["ci_low"], entry["ci_high"], 1),
        "neutral_share": fmt_percent(entry.get("neutral_share")),
        "p": fmt_p(entry.get("p_value")),
        "verdict": entry["verdict"],
    }


def _crows(probe: dict, _attribution) -> dict:
    return {
        "overall": _crows_row(probe["overall"]),
        "bias_types": [_crows_row(e) for e in probe["bias_types"]],
        "directions": [_crows_row(e) for e in probe.get("directions") or []],
    }


def _bbq_row(entry: dict) -> dict:
    # BBQ's category ids (Sexual_orientation) read as words; the report document keeps the ids.
    row = {
        "name": entry["name"].replace("_", " "),
        "n_ambiguous": entry["n_ambiguous"],
        "n_disambiguated": entry["n_disambiguated"],
    }
    for key in ("accuracy_ambiguous", "accuracy_disambiguated", "s_amb", "s_dis"):
        formatter = fmt_number if key.startswith("accuracy") else fmt_signed
        row[key] = formatter(entry[key])
        row[f"{key}_interval"] = fmt_interval(entry[f"{key}_ci_low"], entry[f"{key}_ci_high"])
    row["verdict"] = entry["verdict"]
    return row


def _bbq(probe: dict, _attribution) -> dict:
    return {"overall": _bbq_row(probe["overall"]), "categories": [_bbq_row(e) for e in probe["categories"]]}


def _weat(probe: dict, _attribution) -> dict:
    tests = [
        {
            "name": t["name"],
            "targets": " vs ".join(t["targets"]),
            "attributes": " vs ".join(t["attributes"]),
            "effect_size": fmt_signed(t["effect_size"]),
            "p": fmt_p(t["p_value_two_sided"]),
            "sizes": f"{t['n_x']}/{t['n_y']}/{t['n_a']}/{t['n_b']}",
            "missing": len(t.get("missing") or []),
            "verdict": t["verdict"],
        }
        for t in probe["tests"]
    ]
    return {"tests": tests}


def _decision(probe: dict, _attribution) -> dict:
    attributes = [
        {
            "attribute": a["attribute"],
            "reference": a["reference"],
            "verdict": a["verdict"],
            "comparisons": [
                {
                    "group": c["group"],
                    "mean_logit_diff": fmt_signed(c["mean_logit_diff"]),
                    "interval": fmt_interval(c["ci_low"], c["ci_high"]),
                    "p_yes": fmt_number(c["p_yes"]),
                    "p_yes_reference": fmt_number(c["p_yes_reference"]),
                    "p": fmt_p(c.get("wilcoxon_p")),
                    "verdict": c["verdict"],
                }
                for c in a["comparisons"]
            ],
        }
        for a in probe["attributes"]
    ]
    return {"attributes": attributes}


_BUILDERS = {
    "text_counterfactual": _text,
    "tabular_counterfactual": _tabular,
    "crows_pairs": _crows,
    "bbq": _bbq,
    "weat": _weat,
    "discrim_eval": _decision,
}


def probe_sections(document: dict) -> list[dict]:
    """One section per probe, each with its template, the probe's own fields and its attributions if any."""
    attributions = {(a["probe"], a["attribute"]): a for a in document.get("attributions") or []}
    sections = []
    for probe in document.get("probes") or []:
        attribution = attributions.get((probe["probe"], probe["attribute"]))
        sections.append(
            {
                "template": TEMPLATES[probe["probe"]],
                "probe": probe,
                **_BUILDERS[probe["probe"]](probe, attribution),
            }
        )
    return sections
