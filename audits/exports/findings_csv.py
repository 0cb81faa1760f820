"""The findings of a report as CSV: one row per metric result, then one per continuous-score or ranking finding
(kind ``continuous`` / ``ranking``), then one per probe slice, pair or attribution summary,
then one per user-stated check (kind ``check``: ``metric`` its text, ``value`` its margin, ``before``/``after`` the
values of its two sides), then one per regression against the plan's last approved report (kind
``regression.<kind>``: ``before`` and ``after`` hold the two values or verdicts, ``value`` the difference,
``ci_low``/``ci_high`` its interval).
``adjusted_ci_low``/``adjusted_ci_high``: the interval that decided a metric's verdict under the plan's
verdict_error_control (simultaneous, FCR-adjusted, or equalized odds' from its components); empty when the
per-comparison interval decided.
``estimated_from_proxies`` names the method when a metric's groups were estimated (BISG / BIFSG), not recorded.

Aggregates and group labels only (no example texts, no rows of the dataset). Numbers are written exactly as in
the report (``repr`` of the float round-trips), empty when not available. Text cells that a spreadsheet would run
as a formula get a leading apostrophe (OWASP "CSV injection"); numeric cells are never altered.
"""

import csv
import io

from audits.reports.score_rank_findings import score_rank_findings

from .findings import probe_findings
from .findings_explanations import explanation_rows

COLUMNS = (
    "kind", "probe", "attribute", "decision_class", "group", "reference_group", "source_group", "target_group",
    "metric", "value", "ci_low", "ci_high", "p_value", "p_value_holm", "verdict", "n", "n_reference", "before", "after",
    "adjusted_ci_low", "adjusted_ci_high",
    "estimated_from_proxies",
)  # fmt: skip
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _text(value) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def _number(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    return repr(value)


def _value(value) -> str:
    """A regression's before or after: a verdict (text) or a number."""
    return _text(value) if isinstance(value, str) else _number(value)


def _metric_row(result: dict) -> dict:
    return {
        "kind": "metric",
        "probe": "",
        "attribute": _text(result["attribute"]),
        "decision_class": _text(result["decision_class"]),
        "group": _text(result["group"]),
        "reference_group": _text(result["reference_group"]),
        "source_group": "",
        "target_group": "",
        "metric": result["metric"],
        "value": _number(result["value"]),
        "ci_low": _number(result["ci_low"]),
        "ci_high": _number(result["ci_high"]),
        "p_value": _number(result["p_value"]),
        "p_value_holm": _number(result["p_value_holm"]),
        "verdict": result["verdict"],
        "n": _number(result["n_group"]),
        "n_reference": _number(result["n_reference"]),
        # The interval that decided the verdict under the plan's verdict_error_control (empty: the per-comparison).
        "adjusted_ci_low": _number(result.get("adjusted_ci_low")),
        "adjusted_ci_high": _number(result.get("adjusted_ci_high")),
        # The method (e.g. "BISG (surgeo 1.1.2)") when the group was estimated from proxies, not recorded.
        "estimated_from_proxies": _text(result["contract"].get("estimated_from_proxies", "")),
    }


def _probe_row(row: dict) -> dict:
    text = {k: _text(row[k]) for k in ("attribute", "group", "reference_group", "source_group", "target_group")}
    numbers = {k: _number(row[k]) for k in ("value", "ci_low", "ci_high", "p_value", "n")}
    return {
        "kind": row["kind"],
        "probe": row["probe"],
        "decision_class": "",
        "metric": _text(row["statistic"]),
        "p_value_holm": "",
        "verdict": row["verdict"],
        "n_reference": "",
        "adjusted_ci_low": "",
        "adjusted_ci_high": "",
        **text,
        **numbers,
    }


def _regression_row(item: dict) -> dict:
    probe = item["kind"] == "probe_failure"
    low, high = item["interval"] or (None, None)
    row = dict.fromkeys(COLUMNS, "")
    row.update(
        kind=f"regression.{item['kind']}",
        probe=item["metric"] if probe else "",
        attribute=_text(item["attribute"]),
        group=_text(item["group"]),
        metric="" if probe else _text(item["metric"]),
        value=_number(item["difference"]),
        ci_low=_number(low),
        ci_high=_number(high),
        verdict=item["after"] if item["kind"] in ("verdict_change", "probe_failure", "check_failure") else "",
        before=_value(item["before"]),
        after=_value(item["after"]),
    )
    return row


def _check_row(item: dict) -> dict:
    """A user-stated check: ``metric`` its text, ``value`` its margin D (>= 0 when it holds) with D's interval."""
    row = dict.fromkeys(COLUMNS, "")
    row.update(
        kind="check",
        metric=_text(item["text"]),
        value=_number(item["margin"]),
        ci_low=_number(item["ci_low"]),
        ci_high=_number(item["ci_high"]),
        p_value=_number(item["p_value"]),
        verdict=item["verdict"],
        before=_number(item["left"]),
        after=_number(item["right"]),
    )
    return row


def _score_rank_row(finding: dict) -> dict:
    """A continuous-score or ranking finding (kind "continuous" or "ranking")."""
    row = dict.fromkeys(COLUMNS, "")
    row.update(
        kind=finding["section"],
        attribute=_text(finding["attribute"]),
        group=_text(finding["group"]),
        reference_group=_text(finding["reference_group"]),
        metric=finding["metric"],
        value=_number(finding["value"]),
        ci_low=_number(finding["ci_low"]),
        ci_high=_number(finding["ci_high"]),
        verdict=finding["verdict"],
        n=_number(finding["n_group"]),
        n_reference=_number(finding["n_reference"]),
    )
    return row


def findings_rows(document: dict) -> list[dict]:
    regressions = (document.get("regressions") or {}).get("items") or []
    return (
        [_metric_row(r) for r in document["results"]]
        + [_score_rank_row(f) for f in score_rank_findings(document)]
        + [_probe_row(r) for r in probe_findings(document)]
        + [_check_row(item) for item in (document.get("checks") or {}).get("items") or []]
        + [_regression_row(item) for item in regressions]
        + explanation_rows(document, COLUMNS, _text, _number)
    )


def findings_csv(document: dict) -> str:
    """CSV text (RFC 4180, CRLF line ends) with a header row of ``COLUMNS``."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(findings_rows(document))
    return buffer.getvalue()
