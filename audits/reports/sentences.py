"""A report read as plain sentences: what was audited, the verdict counts, and the top findings with their
intervals and bands ("sex: selection rate of female is 0.486 of male's (95% CI 0.438 to 0.536); below the
0.8 to 1.25 band: fail"). Shared by the report page and any other reader that wants words before tables.

Numbers are written by the renderings' one formatter, so a sentence shows the same digits as the tables.
The regressions against the plan's last approved report are worded in ``regression_sentences`` (re-exported here).
Probe findings are the verdict-deciding statistics the exports already pick (``headline_findings``).
"""

from audits.choices import ModelKind
from audits.exports.findings import is_headline, probe_rows
from audits.renderings.formatting import fmt_number, fmt_p, fmt_signed

from .regression_sentences import regression_sentence
from .sentences_score_rank import score_rank_attributes, score_rank_counts, score_rank_sentences
from .words import PROBE_NAMES, VERDICT_WORDS, level_words, regressions_sentence, verdict_word

# Re-exported: every reader of a report's words imports them from here.
__all__ = ["PROBE_NAMES", "VERDICT_WORDS", "regression_sentence", "regressions_sentence", "verdict_word"]

VERDICT_RANK = {"fail": 0, "inconclusive": 1, "pass": 2, "insufficient_data": 3, "not_computable": 4}
TOP = 6

# metric -> (quantity compared, how the value relates the group to the reference)
_RATIOS = {"disparate_impact": "selection rate", "equal_opportunity_ratio": "true positive rate"}
_DIFFERENCES = {
    "statistical_parity_difference": "selection rate",
    "equal_opportunity_difference": "true positive rate",
    "predictive_parity_difference": "precision (PPV)",
}


# How a slice's reference group was chosen, as words (the document keeps the key).
REFERENCE_RULE_WORDS = {
    "declared": "declared",
    "highest_selection_rate": "none declared: the group with the highest selection rate",
    "majority": "the largest group",
}


def reference_rule_words(rule: str) -> str:
    return REFERENCE_RULE_WORDS.get(rule, str(rule).replace("_", " "))


def _interval(low, high, level: str, signed: bool = False, digits: int = 3) -> str:
    if low is None or high is None:
        return ""
    write = fmt_signed if signed else fmt_number
    return f"{level} CI {write(low, digits)} to {write(high, digits)}"


def _deciding(result: dict) -> tuple:
    """The interval that decided the verdict: the adjusted one when the report has it, else the per-comparison."""
    if result.get("adjusted_ci_low") is not None:
        return result["adjusted_ci_low"], result["adjusted_ci_high"]
    return result["ci_low"], result["ci_high"]


_ADJUSTED_WORDS = {"familywise": "simultaneous", "fdr": "FCR-adjusted", "per_comparison": "from TPR and FPR"}


def _adjusted(result: dict, signed: bool) -> str:
    """'; simultaneous a to b' when an adjusted interval decided the verdict, else ''."""
    if result.get("adjusted_ci_low") is None:
        return ""
    write = fmt_signed if signed else fmt_number
    words = _ADJUSTED_WORDS.get((result.get("contract") or {}).get("verdict_error_control"), "adjusted")
    return f"; {words} {write(result['adjusted_ci_low'], 3)} to {write(result['adjusted_ci_high'], 3)}"


def _band_phrase(result: dict) -> str:
    band = f"the {result['band_low']:g} to {result['band_high']:g} band"
    verdict, (low, high) = result["verdict"], _deciding(result)
    if verdict == "fail":
        if high is not None and high < result["band_low"]:
            return f"below {band}"
        if low is not None and low > result["band_high"]:
            return f"above {band}"
        return f"outside {band}"
    if verdict == "pass":
        return f"inside {band}"
    if verdict == "inconclusive":
        return f"the interval straddles an edge of {band}"
    return band


_level = level_words


def metric_sentence(result: dict) -> str:
    """One group metric as a sentence with its interval, band and verdict."""
    group, reference, metric = result["group"], result["reference_group"], result["metric"]
    where = result["attribute"] + (
        f" (class '{result['decision_class']}' one-vs-rest)" if result["decision_class"] else ""
    )
    verdict = verdict_word(result["verdict"])
    if result["value"] is None:
        return f"{where}: {metric} of {group} against {reference} is {verdict}: {result['reason'] or 'no value'}."
    level = _level((result.get("contract") or {}).get("alpha"))
    value = fmt_number(result["value"])
    if metric in _RATIOS:
        claim = f"{_RATIOS[metric]} of {group} is {value} of {reference}'s"
        interval = _interval(result["ci_low"], result["ci_high"], level)
    elif metric in _DIFFERENCES:
        claim = f"{_DIFFERENCES[metric]} of {group} minus {reference}'s is {fmt_signed(result['value'])}"
        interval = _interval(result["ci_low"], result["ci_high"], level, signed=True)
    elif metric == "equalized_odds_difference":
        claim = f"the larger gap in true or false positive rate between {group} and {reference} is {value}"
        interval = _interval(result["ci_low"], result["ci_high"], level)
    else:
        claim = f"{metric} of {group} against {reference} is {value}"
        interval = _interval(result["ci_low"], result["ci_high"], level)
    interval = f" ({interval}{_adjusted(result, metric in _DIFFERENCES)})" if interval else ""
    if (result.get("contract") or {}).get("estimated_from_proxies"):
        claim += " (estimated from proxies)"  # groups estimated (BISG / BIFSG), never recorded
    return f"{where}: {claim}{interval}; {_band_phrase(result)}: {verdict}."


def _probe_sentence(row: dict, probe: dict) -> str:
    kind, verdict = probe["probe"], verdict_word(row["verdict"])
    level = _level(probe.get("alpha"))
    if kind == "crows_pairs":
        which = "all pairs" if row["group"] == "overall" else f"{row['group']} pairs"
        interval = _interval(row["ci_low"], row["ci_high"], level, digits=1)
        return (
            f"CrowS-Pairs, {which}: the model prefers the stereotypical sentence in {fmt_number(row['value'], 1)}% "
            f"of {row['n']} pairs ({interval}; 50 means no preference): {verdict}."
        )
    if kind == "bbq":
        which = "all categories" if row["group"] == "overall" else row["group"]
        interval = _interval(row["ci_low"], row["ci_high"], level, signed=True)
        where = "ambiguous contexts (s_AMB)" if row["statistic"] == "s_amb" else "disambiguated contexts (s_DIS)"
        return (
            f"BBQ, {which}: bias score in {where} {fmt_signed(row['value'])} over {row['n']} items ({interval}; "
            f"0 means no bias, positive follows the stereotype, tolerance {probe.get('tolerance', 0):g}): {verdict}."
        )
    if kind == "weat":
        return (
            f"WEAT/SEAT, {row['group']}: effect size d = {fmt_signed(row['value'], 2)} "
            f"(p {fmt_p(row['p_value'])}; {probe.get('effect_threshold', 0.5):g} or more in size is a medium "
            f"association): {verdict}."
        )
    if kind == "discrim_eval":
        interval = _interval(row["ci_low"], row["ci_high"], level, signed=True)
        return (
            f"Discrim-eval, {row['attribute']}: naming {row['group']} instead of {row['reference_group']} in the "
            f"prompt moves the mean yes-versus-no logit by {fmt_signed(row['value'])} ({interval}; threshold "
            f"{probe.get('threshold', 0):g}): {verdict}."
        )
    if kind == "tabular_counterfactual":
        interval = _interval(row["ci_low"], row["ci_high"], level)
        return (
            f"Counterfactual probe on {row['attribute']}: changing only {row['attribute']} changes the decision for "
            f"a share {fmt_number(row['value'])} of {row['n']} rows (causal discrimination rate, {interval}; "
            f"threshold {probe['threshold']:g}): {verdict}."
        )
    if kind == "text_counterfactual":
        interval = _interval(row["ci_low"], row["ci_high"], level, signed=True)
        return (
            f"Text probe {row['attribute']}: swapping {row['source_group']} terms for {row['target_group']} terms "
            f"flips the decision {fmt_signed(row['value'])} more often than control swaps ({interval}; threshold "
            f"{probe['threshold']:g}): {verdict}."
        )
    return (
        f"{PROBE_NAMES.get(kind, kind)} {row['attribute']}: {row['statistic']} {fmt_number(row['value'])}: {verdict}."
    )


def finding_sentences(document: dict) -> list[dict]:
    """Every computed finding as {text, verdict}: group metrics, then each probe's verdict-deciding statistics."""
    out = [{"text": metric_sentence(r), "verdict": r["verdict"]} for r in document["results"] if r["value"] is not None]
    out += score_rank_sentences(document, f"{100 * (1 - document['plan']['alpha']):g}%")
    for probe in document.get("probes") or []:
        for row in probe_rows(probe):
            if is_headline(row):
                out.append({"text": _probe_sentence(row, probe), "verdict": row["verdict"]})
    return out


def _kind_label(kind: str) -> str:
    return str(ModelKind(kind).label) if kind in ModelKind.values else kind


def audited_sentence(document: dict) -> str:
    """What was audited, on what: model, dataset and rows, attributes, probes."""
    subject = document["subject"]
    model, dataset = subject["model"], subject["dataset"]
    probes = sorted({PROBE_NAMES.get(p["probe"], p["probe"]) for p in document.get("probes") or []})
    subject_text = f"Model “{model['name']}” ({_kind_label(model['kind'])})"
    if dataset is None:
        return (
            f"{subject_text} was probed on built-in benchmarks ({', '.join(probes) or 'none'}); "
            "no dataset was involved, so there are no group rates."
        )
    named = [a["attribute"] for a in document["attributes"]] + score_rank_attributes(document)
    attributes = list(dict.fromkeys(named))
    rows = (document.get("data") or {}).get("rows_total") or dataset["rows"]
    favourable = ", ".join(model.get("favourable_decision") or [])
    sentence = (
        f"{subject_text} was audited on dataset “{dataset['name']}” ({rows} rows) for "
        f"{', '.join(attributes) or 'no attribute'}"
    )
    if favourable:
        sentence += f"; the favourable decision is {favourable}"
    if probes:
        sentence += f"; probes: {', '.join(probes)}"
    return sentence + "."


def _counts(counts: dict) -> str:
    ordered = sorted(counts.items(), key=lambda kv: VERDICT_RANK.get(kv[0], 9))
    return ", ".join(f"{n} {verdict_word(v)}" for v, n in ordered)


def verdicts_sentence(document: dict) -> str:
    summary = document["summary"]
    parts = []
    if summary["verdicts"]:
        total = sum(summary["verdicts"].values())
        parts.append(f"{total} group comparisons: {_counts(summary['verdicts'])}")
    scored = score_rank_counts(document)
    if scored:
        parts.append(f"{sum(scored.values())} continuous-score and ranking comparisons: {_counts(dict(scored))}")
    probe_verdicts = summary.get("probe_verdicts") or {}
    if probe_verdicts:
        total = sum(probe_verdicts.values())
        parts.append(f"{total} probe{'s' if total != 1 else ''}: {_counts(probe_verdicts)}")
    return ("; ".join(parts) or "No group metric and no probe in this report") + "."


def report_reading(document: dict, top: int = TOP) -> dict:
    """The plain-language summary: audited (sentence), verdicts (sentence), regressions (sentence, '' without an
    approved baseline), findings (the `top` most severe findings as {text, verdict}, fail first, then
    inconclusive, then pass) and `more` (how many were left out)."""
    findings = sorted(finding_sentences(document), key=lambda f: VERDICT_RANK.get(f["verdict"], 9))
    return {
        "audited": audited_sentence(document),
        "verdicts": verdicts_sentence(document),
        "regressions": regressions_sentence(document.get("regressions")),
        "findings": findings[:top],
        "more": max(len(findings) - top, 0),
    }
