"""The context of the in-app report page: the export's own context (same numbers, same charts, same partials)
plus what a page can offer and a printed copy cannot: the plain-language reading first, each number's contract
behind a click, the conventions of other libraries side by side, an equal-opportunity forest chart, and
counterfactual examples with the swapped words marked.
"""

import re
from difflib import SequenceMatcher

from django.utils.safestring import mark_safe

from audits.exports.considerations import limitations as read_limitations
from audits.reports.compliance import CROSSWALK
from audits.reports.sentences import PROBE_NAMES, reference_rule_words, report_reading
from explainers.metrics.definitions import METRIC_DEFINITIONS

from .charts import difference_forest_chart
from .context import report_context
from .formatting import fmt_number

METRIC_NAMES = {metric: definition.name for metric, definition in METRIC_DEFINITIONS.items()}

_CONTRACT_LABELS = (
    ("formula", "Formula"),
    ("band", "Pass band"),
    ("interval", "Interval"),
    ("verdict_error_control", "Verdicts hold"),
    ("verdict_interval", "Verdict decided by"),
    ("test", "Test"),
    ("reference_group", "Reference group"),
    ("reference_rule", "Reference rule"),
    ("favourable_decision", "Favourable decision"),
    ("favourable_outcome", "Favourable outcome"),
    ("min_group_size", "Minimum group size"),
    ("min_denominator", "Minimum denominator"),
    ("n_boot", "Bootstrap samples (B)"),
    ("seed", "Seed"),
    ("alpha", "alpha"),
    ("estimated_from_proxies", "Estimated from proxies"),
)


def _contract(contract: dict) -> list[tuple[str, str]]:
    rows = []
    for key, label in _CONTRACT_LABELS:
        value = contract.get(key)
        if value is None or value == "" or value == []:
            continue
        if isinstance(value, list):
            value = " to ".join(f"{v:g}" for v in value) if key == "band" else ", ".join(map(str, value))
        rows.append((label, str(value)))
    return rows


def _number(value) -> str:
    if value is None or (isinstance(value, int | float) and not isinstance(value, bool)):
        return fmt_number(value)
    return str(value)


def _conventions(attribute: dict, results: list[dict]) -> list[dict]:
    """This platform's reading and each other library's, as labelled values (one column each on the page)."""
    conventions = attribute.get("conventions") or {}
    ours = [
        (f"{r['metric']} {r['group']}", fmt_number(r["value"]))
        for r in results
        if r["metric"] in ("disparate_impact", "statistical_parity_difference", "equal_opportunity_difference")
    ]
    reference = f"{attribute['reference_group']} ({reference_rule_words(attribute['reference_rule'])})"
    columns = [{"name": "This platform", "reference": reference, "values": ours}]
    aif = conventions.get("aif360")
    if aif:
        values = [
            (f"{m} {g}", _number(v)) for g, metrics in (aif.get("groups") or {}).items() for m, v in metrics.items()
        ]
        columns.append({"name": "AIF360", "reference": f"privileged: {aif.get('privileged', 'n/a')}", "values": values})
    fairlearn = conventions.get("fairlearn")
    if fairlearn:
        values = [(m, _number(v)) for m, v in fairlearn.items()]
        columns.append({"name": "Fairlearn", "reference": "none: largest gap between any two groups", "values": values})
    aequitas = conventions.get("aequitas")
    if aequitas:
        values = [
            (f"{m} {g}", _number(v))
            for g, metrics in (aequitas.get("groups") or {}).items()
            for m, v in metrics.items()
        ]
        rule = reference_rule_words(aequitas.get("reference_rule", ""))
        reference = f"{aequitas.get('reference_group', 'n/a')} ({rule})"
        columns.append({"name": "Aequitas", "reference": reference, "values": values})
    return columns if len(columns) > 1 else []


def _page_slices(document: dict, slices: list[dict]) -> list[dict]:
    by_slice: dict[tuple[str, str], list[dict]] = {}
    for result in document["results"]:
        by_slice.setdefault((result["attribute"], result["decision_class"]), []).append(result)
    out = []
    for page_slice, attribute in zip(slices, document["attributes"], strict=True):
        results = by_slice.get((attribute["attribute"], attribute["decision_class"]), [])
        eod = [r for r in results if r["metric"] == "equal_opportunity_difference" and r["value"] is not None]
        rows = [
            {
                **row,
                "contract": _contract(result.get("contract") or {}),
                "metric_name": METRIC_NAMES.get(result["metric"], result["metric"]),
            }
            for row, result in zip(page_slice["results"], results, strict=True)
        ]
        out.append(
            {
                **page_slice,
                "results": rows,
                # The chart builder escapes every label it draws.
                "eod_chart": mark_safe(difference_forest_chart(attribute, eod, "equal_opportunity_difference"))
                if eod
                else "",
                "eod_band": f"{eod[0]['band_low']:g} … {eod[0]['band_high']:g}" if eod else "",
                "conventions": _conventions(attribute, results),
            }
        )
    return out


def marked_words(text: str, other: str) -> list[dict]:
    """The words of `text`, each marked `swapped` when it differs from `other` (a word-level diff)."""
    words, others = text.split(), other.split()
    swapped = set()
    for tag, i1, i2, _, _ in SequenceMatcher(a=words, b=others, autojunk=False).get_opcodes():
        if tag != "equal":
            swapped.update(range(i1, i2))
    return [{"word": word, "swapped": index in swapped} for index, word in enumerate(words)]


def _readable_tokens(attributions: dict | None) -> dict | None:
    """The heat strip with its shading capped at 0.6 opacity, so dark text keeps a 4.5:1 contrast on the page."""
    if not attributions:
        return attributions
    rendered = []
    for example in attributions["rendered"]:
        rendered.append(
            {
                **example,
                **{
                    side: [{**t, "style": _ALPHA.sub(_lighter, t["style"])} for t in example[side]]
                    for side in ("text", "counterfactual")
                },
            }
        )
    return {**attributions, "rendered": rendered}


_ALPHA = re.compile(r"(rgba\([^)]*, )([0-9.]+)\)")


def _lighter(match: re.Match) -> str:
    return f"{match.group(1)}{float(match.group(2)) * 0.75:.2f})"


def _page_probes(sections: list[dict]) -> list[dict]:
    out = []
    for section in sections:
        if section["probe"]["probe"] == "text_counterfactual":
            section = {**section, "attributions": _readable_tokens(section.get("attributions"))}
        if section["probe"]["probe"] == "text_counterfactual" and section.get("examples"):
            marked = [
                {
                    **e,
                    "text_words": marked_words(e["text"], e["counterfactual"]),
                    "counterfactual_words": marked_words(e["counterfactual"], e["text"]),
                }
                for e in section["examples"]
            ]
            # The page shows its own examples table (swapped words marked) instead of the export's plain one.
            section = {**section, "examples": [], "marked_examples": marked}
        out.append({**section, "name": PROBE_NAMES.get(section["probe"]["probe"], section["probe"]["probe"])})
    return out


def report_page_context(document: dict, sha256: str) -> dict:
    """Everything the report page shows from the document; review, signatures and trail come from the views."""
    context = report_context(document, sha256, review=None, signatures=None)
    return {
        **context,
        "reading": report_reading(document),
        "slices": _page_slices(document, context["slices"]),
        "probes": _page_probes(context["probes"]),
        "limitations": context["limitations"] or read_limitations(document),
        "crosswalk": context["crosswalk"] or list(CROSSWALK),
        "model_only": document["subject"]["dataset"] is None,
    }
