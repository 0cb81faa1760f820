"""The verdict counts of one report document: what lists show and filter by (`verdict_counts`, `?verdict=`)."""

from collections import Counter


def verdict_counts(document: dict) -> dict[str, int]:
    """Findings by verdict: every group-metric result and every probe's overall verdict, counted together
    (the same findings the report page's summary sentence counts). Verdicts that do not occur are left out."""
    counts = Counter(result["verdict"] for result in document.get("results") or [])
    counts.update(probe["verdict"] for probe in document.get("probes") or [])
    return dict(sorted(counts.items()))
