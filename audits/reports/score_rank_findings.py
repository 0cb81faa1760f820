"""The findings of a report's continuous-score and ranking sections as flat rows (aggregates and group labels only),
shared by the CSV export, the CI gate and the renderings. Sections absent (older reports, binary audits): no rows.
"""

SECTIONS = ("continuous", "ranking")


def score_rank_findings(document: dict) -> list[dict]:
    """One row per finding: section ("continuous" | "ranking"), metric, attribute, group, reference_group, value,
    ci_low, ci_high, band_low, band_high, verdict, reason, n_group, n_reference; in report order."""
    rows = []
    for section in SECTIONS:
        for attribute, result in ((document.get(section) or {}).get("by_attribute") or {}).items():
            for finding in result.get("findings", []):
                rows.append({"section": section, **finding, "attribute": attribute})
    return rows


def score_rank_errors(document: dict) -> list[dict]:
    """Attributes whose section could not be computed, with the reason: {"section", "attribute", "error"}."""
    return [
        {"section": section, "attribute": attribute, "error": result["error"]}
        for section in SECTIONS
        for attribute, result in ((document.get(section) or {}).get("by_attribute") or {}).items()
        if "error" in result
    ]
