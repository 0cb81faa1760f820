"""Words shared by every plain-language reading of a report (no imports beyond the standard library, so the
renderings can use them without importing the exports or the formatter): verdicts, probes, confidence levels and
the regressions section's one-sentence summary."""

VERDICT_WORDS = {"insufficient_data": "insufficient data", "not_computable": "not computable"}
PROBE_NAMES = {
    "tabular_counterfactual": "counterfactual probe",
    "text_counterfactual": "text counterfactual probe",
    "crows_pairs": "CrowS-Pairs",
    "bbq": "BBQ",
    "weat": "WEAT/SEAT",
    "discrim_eval": "discrim-eval decision probe",
}


def verdict_word(verdict: str) -> str:
    return VERDICT_WORDS.get(verdict, verdict)


def level_words(alpha: float | None) -> str:
    """An interval's confidence level, e.g. '95%'."""
    return f"{(1 - (alpha or 0.05)) * 100:g}%"


_KIND_WORDS = {
    "verdict_change": ("verdict change", "verdict changes"),
    "metric_move": ("metric move", "metric moves"),
    "probe_failure": ("new probe failure", "new probe failures"),
    "group_below_minimum": ("group under the minimum size", "groups under the minimum size"),
    "check_failure": ("check that passed and fails now", "checks that passed and fail now"),
}


def regression_counts(section: dict | None) -> dict[str, int]:
    """How many items of each kind the regressions section holds (kinds found only, in the order above)."""
    kinds = [item["kind"] for item in (section or {}).get("items") or []]
    return {kind: kinds.count(kind) for kind in _KIND_WORDS if kind in kinds}


def regressions_sentence(section: dict | None) -> str:
    """The regressions section in one sentence ('' for a report without one: its plan had no approved report)."""
    if not section:
        return ""
    approved = f"approved report #{section['baseline']['report_id']}"
    total = len(section["items"])
    if not total:
        return f"No regression since {approved} (metric tolerance {section['tolerance']:g})."
    parts = [f"{n} {_KIND_WORDS[kind][n != 1]}" for kind, n in regression_counts(section).items()]
    return f"{total} regression{'s' if total != 1 else ''} since {approved}: {', '.join(parts)}."
