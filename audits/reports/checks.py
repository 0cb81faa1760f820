"""The `checks` section of a report: the plan's user-stated checks with their verdicts (explainers.metrics.checks).

{"method": str, "verdicts": {verdict: count}, "items": [{"index", "text", "kind", "verdict", "left", "right",
 "margin", "ci_low", "ci_high", "p_value", "n", "method", "note", "n_boot", "seed", "alpha", "sentence"}]}
"""

from collections import Counter

from audits.execution.checks import METHOD


def check_sentence(item: dict) -> str:
    """The check's verdict in one plain sentence."""
    text = item["text"]
    if item["verdict"] == "insufficient_data":
        return f"“{text}” could not be judged: {item['note'] or 'too little data'}."
    interval = f"{item['ci_low']:+.3f} to {item['ci_high']:+.3f}"
    meaning = {
        "pass": "holds: the whole interval of its margin is on the right side",
        "fail": "is violated: the whole interval of its margin is on the wrong side",
        "inconclusive": "cannot be decided: the interval of its margin straddles zero",
    }[item["verdict"]]
    return f"“{text}” {meaning} (margin {item['margin']:+.3f}, {1 - item['alpha']:.0%} interval {interval})."


def checks_section(results: list[dict]) -> dict:
    items = [{**item, "sentence": check_sentence(item)} for item in results]
    return {
        "method": METHOD,
        "verdicts": dict(sorted(Counter(item["verdict"] for item in items).items())),
        "items": items,
    }
