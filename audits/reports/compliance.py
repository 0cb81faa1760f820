"""The report's limitations and its compliance crosswalk (design.md section 7).

The crosswalk says which report sections answer which record need; it is a reading aid for reviewers,
not a legal opinion. Sources: EU AI Act (Regulation (EU) 2024/1689) Annex IV point 2(g) (validation and
testing procedures, metrics, test logs and reports dated and signed by the responsible persons), NIST AI RMF
1.0 MEASURE 2.11 (fairness and bias are evaluated and results documented), ISO/IEC 42001:2023 (documented
information on AI system impact assessment and verification, clauses 7.5 and 8.4, Annex A.6.2.4).
"""

CROSSWALK = (
    {
        "framework": "EU AI Act, Annex IV 2(g)",
        "need": "validation and testing procedures, metrics used, test logs and reports, dated and signed",
        "sections": ["plan", "contracts", "results", "probes", "provenance", "fingerprints", "signatures (DSSE)"],
    },
    {
        "framework": "NIST AI RMF 1.0, MEASURE 2.11",
        "need": "fairness and bias evaluated, results documented",
        "sections": ["results", "significance", "probes", "attributions", "limitations", "summary"],
    },
    {
        "framework": "ISO/IEC 42001:2023, 7.5 and 8.4; Annex A.6.2.4",
        "need": "documented information of verification and impact assessment, controlled and retained",
        "sections": ["fingerprints", "provenance", "review (approval statement)", "trail (hash chain)"],
    },
)


def limitations(results: list[dict], probes: list[dict], attributions: list[dict]) -> list[str]:
    """Plain statements of what this audit could not establish, from its own results (sorted, deterministic)."""
    found = set()
    for result in results:
        where = f"{result['attribute']}={result['group']}" + (
            f" (class {result['decision_class']})" if result.get("decision_class") else ""
        )
        if result["verdict"] == "insufficient_data":
            found.add(f"{result['metric']} for {where}: too few rows for a verdict (insufficient_data)")
        elif result["verdict"] == "not_computable":
            found.add(f"{result['metric']} for {where}: not computable (no outcome labels or empty denominator)")
        method = (result.get("contract") or {}).get("estimated_from_proxies")
        if method:
            found.add(
                f"{result['attribute']}: groups estimated from proxies ({method}), not recorded; unbiased only if "
                "the decision carries no information about race beyond the proxies"
            )
    for probe in probes:
        if probe["verdict"] == "insufficient_data":
            found.add(f"probe {probe['probe']} on {probe['attribute']}: too few rows or pairs for a verdict")
    for entry in attributions:
        if entry.get("all_converged") is False:
            found.add(f"attributions for {entry['attribute']}: some sets missed the completeness bound (listed)")
        faith = entry.get("faithfulness") or {}
        if faith.get("faithful") is False:
            found.add(f"attributions for {entry['attribute']}: not more faithful than a random ranking")
    return sorted(found)
