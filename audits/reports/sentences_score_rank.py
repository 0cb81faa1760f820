"""Plain-language sentences of the continuous-score and ranking findings (the report page's reading)."""

from collections import Counter

from audits.renderings.formatting import fmt_number
from audits.reports.score_rank_findings import score_rank_findings

from .words import verdict_word

_NAMES = {
    "mean_difference": "difference of mean scores",
    "mean_ratio": "ratio of mean scores",
    "scoring_rate_impact_ratio": "scoring-rate impact ratio (NYC LL144)",
    "ks_statistic": "Kolmogorov-Smirnov distance of the score distributions",
    "wasserstein_distance": "Wasserstein distance of the score distributions",
    "mae_ratio": "ratio of mean absolute errors",
    "rmse_ratio": "ratio of root mean squared errors",
    "worst_group_mae_ratio": "worst-group error ratio (worst group's MAE over all rows')",
    "exposure_ratio": "exposure ratio (mean position-discounted exposure per member)",
    "top_k_share_ratio": "top-k share over population share",
}


def score_rank_attributes(document: dict) -> list[str]:
    sections = [(document.get(section) or {}).get("by_attribute") or {} for section in ("continuous", "ranking")]
    return [name for by_attribute in sections for name in by_attribute]


def score_rank_sentences(document: dict, level: str) -> list[dict]:
    """Every computed continuous or ranking finding as {text, verdict}."""
    out = []
    for f in score_rank_findings(document):
        if f["value"] is None:
            continue
        interval = ""
        if f["ci_low"] is not None:
            interval = f" ({level} CI {fmt_number(f['ci_low'])} to {fmt_number(f['ci_high'])})"
        against = "" if f["reference_group"].startswith("(") else f" against {f['reference_group']}"
        text = (
            f"{f['attribute']}: {_NAMES.get(f['metric'], f['metric'])} of {f['group']}{against} is "
            f"{fmt_number(f['value'])}{interval}; band {f['band_low']:.3g} to {f['band_high']:.3g}: "
            f"{verdict_word(f['verdict'])}."
        )
        out.append({"text": text, "verdict": f["verdict"]})
    return out


def score_rank_counts(document: dict) -> Counter:
    return Counter(f["verdict"] for f in score_rank_findings(document))
