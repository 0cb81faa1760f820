"""Sentences that explain numbers a reader may take for mistakes, shared by the report renderings and summaries."""

# Beside each metric result (design.md section 4): the verdict and the p-value answer different questions.
VERDICT_AND_P = (
    "The verdict compares the 95% interval with the band: pass when the whole interval lies inside it, fail when "
    "the whole interval lies outside it, inconclusive when it straddles an edge. p (Holm) answers another "
    "question: whether the group's proportion behind the metric (selection rate, TPR, FPR or PPV) differs from the "
    "reference's at all, Holm-adjusted across every comparison of the audit. So a fail can stand beside a large p "
    "(the interval lies beyond the band, but after the adjustment the test finds no firm evidence of a difference): "
    "read such a fail with care."
)

# The same note for reports whose verdicts follow a verdict_error_control (design.md section 4, "Verdicts hold as
# a family"); VERDICT_AND_P stays for reports made before, which hold no such rule.
ADJUSTED_INTERVAL_WORDS = {
    "familywise": "simultaneous over every comparison of the audit, so every pass and every fail holds jointly at "
    "the stated level",
    "fdr": "adjusted for the false coverage-statement rate (Benjamini-Yekutieli), so on average at most alpha of "
    "the passes and fails are wrong",
    "per_comparison": "the interval of each comparison on its own (for equalized odds, derived from simultaneous "
    "intervals of its TPR and FPR differences)",
}


def verdict_note(document: dict) -> str:
    """The note beside a results table: VERDICT_AND_P, or for a report with a verdict_error_control, what decided."""
    rule = (document.get("plan") or {}).get("verdict_error_control")
    if not rule:
        return VERDICT_AND_P
    if rule == "per_comparison":  # the plan chose per-comparison verdicts: a fail can stand beside a large p (Holm)
        return (
            VERDICT_AND_P.replace("compares the 95% interval", "compares the verdict interval")
            + " This plan judges each comparison on its own (verdict_error_control = per_comparison); the default, "
            "family-wise, holds every pass and fail jointly."
        )
    return (
        "The verdict compares the verdict interval with the band: pass when the whole interval lies inside it, fail "
        "when it lies wholly outside, inconclusive when it straddles an edge. The verdict interval is "
        f"{ADJUSTED_INTERVAL_WORDS[rule]}; the per-comparison interval is shown beside it. p (Holm) asks whether the "
        "group's proportion behind the metric differs from the reference's at all, Holm-adjusted across every "
        "comparison of the audit; a fail is never reported where the rule's adjusted test finds no evidence of a "
        "difference."
    )


# Beside a protected share of a text attribution (design.md section 6).
PROTECTED_SHARE = (
    "Protected share: the part of the score change Δ carried by the swapped words; it can exceed 1 (or fall below "
    "0) when the context words push the other way, so the swapped words account for more than the whole change."
)


# Beside every number of an attribute estimated from proxies (BISG / BIFSG, explainers.estimated).
ESTIMATED_FROM_PROXIES = "estimated from proxies"


def estimated_note(section: dict) -> str:
    """What an estimated attribute's numbers are, for the report renderings and the page."""
    tables = "; ".join(section.get("tables") or [])
    keys = ("surname_column", "zip_column", "first_name_column")
    columns = ", ".join(section[k] for k in keys if section.get(k))
    return (
        f"Every number in this section is {ESTIMATED_FROM_PROXIES}: race was not recorded, it was estimated with "
        f"{section['method']} ({section['package']}; {tables}) from column(s) "
        f"{columns}. "
        f"The surname was found in the census surname table for {section['surname_coverage']:.1%} of rows; "
        f"{section['fallback_share']:.1%} of rows fell back to priors (geography or the national distribution). "
        "Each row counts toward every group with its estimated probability, so group sizes and counts are expected "
        "counts (rounded here) and intervals resample rows with their probabilities. The estimate is unbiased when "
        "the probabilities are calibrated and the decision carries no information about race beyond the proxies."
    )


def share_outside_unit(*values) -> bool:
    """Whether any of the shares (None ignored) lies outside [0, 1], where PROTECTED_SHARE explains why."""
    return any(value is not None and not 0 <= value <= 1 for value in values)
