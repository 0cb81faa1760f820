"""The template context of the exported report page: numbers formatted once, here, so HTML and PDF agree."""

from django.utils.safestring import mark_safe

from audits.reports.notes import PROTECTED_SHARE, estimated_note, verdict_note
from audits.reports.words import PROBE_NAMES, regressions_sentence, verdict_word

from .charts import disparate_impact_chart, selection_rate_chart
from .context_explanations import explanation_sections
from .context_probes import probe_sections
from .context_score_rank import not_computable, score_rank_sections, score_rank_verdicts
from .formatting import NOT_AVAILABLE, fmt_interval, fmt_number, fmt_p, fmt_signed

VERDICT_ORDER = ("fail", "inconclusive", "insufficient_data", "not_computable", "pass")
_GROUP_RATES = ("selection_rate", "base_rate", "tpr", "fpr", "ppv", "accuracy")


def _header(document: dict, sha256: str) -> dict:
    subject, provenance = document["subject"], document["provenance"]
    dataset = subject["dataset"]
    return {
        "sha256": sha256,
        "plan": document["plan"]["name"],
        "report_type": document["report_type"],
        "schema_version": document["schema_version"],
        "model": subject["model"],
        "dataset": dataset,
        "outcome": subject["outcome"],
        "favourable": ", ".join(subject["model"].get("favourable_decision") or []),
        "started_at": provenance["started_at"],
        "finished_at": provenance["finished_at"],
    }


def _summary(document: dict) -> dict:
    summary = document["summary"]
    verdicts = summary["verdicts"]
    ordered = [(v, verdicts[v]) for v in VERDICT_ORDER if v in verdicts]
    ordered += [(v, n) for v, n in verdicts.items() if v not in VERDICT_ORDER]
    return {
        "verdicts": ordered,
        "total": sum(verdicts.values()),
        "failed": summary["failed"],
        "probe_verdicts": list((summary.get("probe_verdicts") or {}).items()),
        "probes_failed": summary.get("probes_failed") or [],
        "warnings": summary.get("convention_warnings") or [],
    }


def _result_row(result: dict) -> dict:
    return {
        "metric": result["metric"],
        "formula": result["contract"]["formula"],
        "group": result["group"],
        "reference_group": result["reference_group"],
        "value": fmt_number(result["value"]),
        "interval": fmt_interval(result["ci_low"], result["ci_high"]),
        "adjusted_interval": fmt_interval(result.get("adjusted_ci_low"), result.get("adjusted_ci_high"))
        if result.get("adjusted_ci_low") is not None
        else "= per comparison",
        "band": f"{result['band_low']:g} … {result['band_high']:g}",
        "n": f"{result['n_group']} / {result['n_reference']}",
        "p": fmt_p(result["p_value"]),
        "p_holm": fmt_p(result["p_value_holm"]),
        "test": result["test"],
        "verdict": result["verdict"],
        "reason": result["reason"],
    }


def _group_row(group: dict, reference: str) -> dict:
    return {
        "group": group["group"],
        "n": group["n"],
        "n_selected": group["n_selected"],
        "is_reference": group["group"] == reference,
        **{key: fmt_number(group.get(key)) for key in _GROUP_RATES},
    }


def _slices(document: dict) -> list[dict]:
    by_slice: dict[tuple[str, str], list[dict]] = {}
    for result in document["results"]:
        by_slice.setdefault((result["attribute"], result["decision_class"]), []).append(result)
    alpha = document["plan"]["alpha"]
    estimates = {e["attribute"]: e for e in document.get("estimated_attributes") or []}
    slices = []
    for attribute in document["attributes"]:
        estimate = estimates.get(attribute["attribute"]) if attribute.get("estimated") else None
        results = by_slice.get((attribute["attribute"], attribute["decision_class"]), [])
        band = next((r for r in results if r["metric"] == "disparate_impact"), None)
        slices.append(
            {
                "attribute": attribute["attribute"],
                "decision_class": attribute["decision_class"],
                "reference_group": attribute["reference_group"],
                "reference_rule": attribute["reference_rule"],
                "intersectional": attribute["intersectional"],
                "groups": [_group_row(g, attribute["reference_group"]) for g in attribute["groups"]],
                # The chart builders escape every label they draw.
                "sr_chart": mark_safe(selection_rate_chart(attribute, alpha)),
                "di_chart": mark_safe(disparate_impact_chart(attribute, results)),
                "di_band": f"{band['band_low']:g} … {band['band_high']:g}" if band else "",
                "results": [_result_row(r) for r in results],
                "warnings": (attribute.get("conventions") or {}).get("warnings") or [],
                "estimated": estimated_note(estimate) if estimate else "",
            }
        )
    return slices


REGRESSION_KINDS = {
    "verdict_change": "Verdict worse",
    "metric_move": "Metric moved",
    "probe_failure": "Probe fails",
    "group_below_minimum": "Group too small",
    "check_failure": "Check fails",
}


def _regression_value(value) -> str:
    """A verdict as words, a metric value to three decimals, a group size as it is; 'n/a' when absent."""
    if value is None:
        return NOT_AVAILABLE
    if isinstance(value, str):
        return verdict_word(value)
    return str(value) if isinstance(value, int) else fmt_number(value)


def _regressions(document: dict) -> dict | None:
    """The regressions section as sentences and table rows (None for a report without a section)."""
    section = document.get("regressions")
    if not section:
        return None
    rows = []
    for item in section["items"]:
        difference, interval = item["difference"], item["interval"] or [None, None]
        rows.append(
            {
                "kind": item["kind"],
                "kind_label": REGRESSION_KINDS.get(item["kind"], item["kind"]),
                "attribute": item["attribute"],
                "group": item["group"] or "",
                "metric": PROBE_NAMES.get(item["metric"], item["metric"] or ""),
                "before": _regression_value(item["before"]),
                "after": _regression_value(item["after"]),
                "difference": "" if difference is None else (
                    f"{difference:+d}" if isinstance(difference, int) else fmt_signed(difference)
                ),
                "interval": fmt_interval(*interval) if interval[0] is not None else "",
                "sentence": item["sentence"],
            }
        )  # fmt: skip
    return {
        "baseline_id": section["baseline"]["report_id"],
        "baseline_sha256": section["baseline"]["sha256"],
        "tolerance": f"{section['tolerance']:g}",
        "level": f"{(1 - document['plan']['alpha']) * 100:g}%",
        "summary": regressions_sentence(section),
        "rows": rows,
    }


def _scores(document: dict) -> list[dict]:
    analysis = document.get("score_analysis") or {}
    rows = []
    for attribute, entry in (analysis.get("by_attribute") or {}).items():
        auc = (entry.get("analysis") or {}).get("auc_by_group") or {}
        rows += [{"attribute": attribute, "group": g, "auc": fmt_number(v)} for g, v in auc.items()]
    return rows


def _appendix(document: dict) -> dict:
    fingerprints, provenance, plan = document["fingerprints"], document["provenance"], document["plan"]
    return {
        "contracts": [
            {"metric": m, **c, "band": f"{c['default_band'][0]:g} … {c['default_band'][1]:g}"}
            for m, c in document["contracts"].items()
        ],
        "plan": plan,
        "significance": document["significance"],
        "data": document.get("data") or {},
        "dropped_by_attribute": list(
            ((document.get("data") or {}).get("rows_dropped_missing_attribute") or {}).items()
        ),
        "fingerprints": fingerprints,
        "libraries": list(fingerprints["libraries"].items()),
        "framework_versions": list((document["subject"]["model"].get("framework_versions") or {}).items()),
        "provenance": provenance,
        "timings": [(k, v) for k, v in (provenance.get("timings") or {}).items()],
    }


def _verdict_rule(document: dict) -> dict | None:
    """The plan's verdict_error_control and what it did, for the tables' header and the appendix (None for reports
    made before the rule existed)."""
    rule = (document.get("plan") or {}).get("verdict_error_control")
    if not rule:
        return None
    done = document.get("verdict_error_control") or {}
    return {"rule": rule, "label": VERDICT_RULE_LABELS.get(rule, rule), **done}


VERDICT_RULE_LABELS = {"per_comparison": "per comparison", "familywise": "family-wise", "fdr": "FDR (BY)"}


def _checks(document: dict) -> dict | None:
    """The user-stated checks as rows (None for a report whose plan states none)."""
    section = document.get("checks")
    if not section:
        return None
    level = f"{(1 - document['plan']['alpha']) * 100:g}%"
    rows = [
        {
            "text": item["text"],
            "verdict": item["verdict"],
            "sentence": item["sentence"],
            "left": fmt_number(item["left"]),
            "right": fmt_number(item["right"]),
            "margin": fmt_signed(item["margin"]),
            "interval": fmt_interval(item["ci_low"], item["ci_high"]),
            "p_value": fmt_p(item["p_value"]),
        }
        for item in section["items"]
    ]
    return {"rows": rows, "level": level, "method": section["method"], "verdicts": section["verdicts"]}


def report_context(document: dict, sha256: str, *, review: dict | None, signatures: list[dict] | None) -> dict:
    """Everything the export template shows; review and signatures only when given."""
    return {
        "header": _header(document, sha256),
        "notes": {"verdict_and_p": verdict_note(document), "protected_share": PROTECTED_SHARE},
        "verdict_rule": _verdict_rule(document),
        "summary": _summary(document),
        "regressions": _regressions(document),
        "checks": _checks(document),
        "slices": _slices(document),
        "scores": _scores(document),
        "score_column": (document.get("score_analysis") or {}).get("score_column", ""),
        "probes": probe_sections(document),
        "score_rank": score_rank_sections(document),
        "not_computable": not_computable(document),
        "score_rank_verdicts": score_rank_verdicts(document),
        "explanations": explanation_sections(document),
        "appendix": _appendix(document),
        "review": review,
        "signatures": signatures,
        "limitations": document.get("limitations") or [],
        "crosswalk": document.get("compliance_crosswalk") or [],
    }
