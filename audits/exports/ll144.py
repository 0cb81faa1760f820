"""NYC Local Law 144 bias audit summary (JSON, CSV, HTML), rendered from the canonical report only.

Definitions of the NYC DCWP rules, 6 RCNY § 5-300 and § 5-301 (as adopted 2023-04-06):
- selection rate = individuals of a category selected (the favourable decision) / individuals of the category;
- scoring rate = individuals of a category whose score is above the median score of the full sample / individuals
  of the category (the median and counts come from the report's ``score_rates``, explainers/pipeline/score_rates.py);
- impact ratio = a category's rate / the rate of the most selected (highest scoring) category;
- separately for sex, race/ethnicity and intersectional categories, with the number of individuals not included
  because their category is unknown;
- § 5-301(d): a category under 2% of the data may be excluded from the impact ratios, the justification stated and
  its count and rate still shown. Here every such category is excluded, with the justification written beside it.
§ 5-303: the published summary holds the audit date, the source and explanation of the data, the number of
individuals assessed, the unknown count, the rates and impact ratios, and the AEDT's distribution date.

Attributes are mapped to the rule's categories by name (sex / gender, race / ethnicity); any other attribute or
intersection is listed as an "other" category, computed the same way. Only aggregates appear, never a row.
"""

import csv
import io

from django.template.loader import render_to_string

from explainers.pipeline.spec import INTERSECTION_SEPARATOR, MISSING_GROUP_LABEL

FORMAT = "nyc-ll144-bias-audit-summary"
RULES = "NYC Local Law 144 of 2021 (Admin. Code § 20-870 ff.); DCWP rules 6 RCNY §§ 5-300 to 5-304"
EXCLUSION_SHARE = 0.02
SEX_NAMES = {"sex", "gender", "sex_gender", "gender_identity"}
RACE_NAMES = {"race", "ethnicity", "race_ethnicity", "race_and_ethnicity", "raceethnicity"}
NOT_PROVIDED = "not provided: to be filled in by the employer or the independent auditor"
DEFINITIONS = {
    "selection_rate": "individuals of the category who received the favourable decision / individuals of the "
    "category (6 RCNY § 5-300)",
    "scoring_rate": "individuals of the category whose score is above the median score of the full sample / "
    "individuals of the category (6 RCNY § 5-300, § 5-301(c)); when lower scores are favourable, 'above' is read "
    "as more favourable, i.e. below the median",
    "impact_ratio": "the category's rate / the rate of the most selected (or highest scoring) category among the "
    "categories not excluded (6 RCNY § 5-300)",
    "unknown": "individuals assessed whose value of the attribute is missing; not included in the rates or impact "
    "ratios (6 RCNY § 5-301(b) and (c))",
    "exclusion": "a category representing less than 2% of the individuals assessed is excluded from the impact "
    "ratios only; its count and rate are still shown (6 RCNY § 5-301(d))",
}
CSV_COLUMNS = (
    "rate_kind", "category_type", "attribute", "category", "individuals", "share_of_data", "favourable", "rate",
    "impact_ratio", "excluded_from_impact_ratio", "exclusion_justification", "unknown_in_attribute",
)  # fmt: skip
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _normalised(name: str) -> str:
    return name.strip().lower().replace("/", "_").replace("-", "_").replace(" ", "_")


def _kind(column: str) -> str:
    name = _normalised(column)
    if name in SEX_NAMES:
        return "sex"
    if name in RACE_NAMES:
        return "race_ethnicity"
    return "other"


def category_type(columns: list[str]) -> str:
    """ "sex", "race_ethnicity", "intersectional" (sex x race/ethnicity) or "other" (any other attribute)."""
    kinds = sorted(_kind(c) for c in columns)
    if len(kinds) == 1:
        return kinds[0]
    return "intersectional" if kinds == ["race_ethnicity", "sex"] else "other"


def _rows(groups: list[tuple[str, int, int]], assessed: int) -> tuple[list[dict], str | None]:
    """Rate, share and impact ratio of each (category, individuals, favourable) row; the highest category."""
    rows = []
    for name, n, favourable in groups:
        share = n / assessed if assessed else None
        excluded = share is not None and share < EXCLUSION_SHARE
        rows.append(
            {
                "category": name,
                "individuals": n,
                "share_of_data": share,
                "favourable": favourable,
                "rate": favourable / n if n else None,
                "impact_ratio": None,
                "excluded_from_impact_ratio": excluded,
                "exclusion_justification": (
                    f"{n} of {assessed} individuals ({100 * share:.2f}%) is less than 2% of the data used for this "
                    "audit; a rate over so few individuals is unstable, so it is excluded from the impact ratios "
                    "(6 RCNY § 5-301(d)); its count and rate are shown"
                    if excluded
                    else ""
                ),
            }
        )
    included = [r for r in rows if not r["excluded_from_impact_ratio"] and r["rate"] is not None]
    highest = max(included, key=lambda r: r["rate"], default=None)
    if highest is not None and highest["rate"] > 0:
        for row in included:
            row["impact_ratio"] = row["rate"] / highest["rate"]
    return rows, highest["category"] if highest is not None else None


def _table(entry: dict, *, rate_kind: str, groups, unknown: int, assessed: int, document: dict) -> dict:
    known = [(g, n, k) for g, n, k in groups if g != MISSING_GROUP_LABEL]
    unknown += sum(n for g, n, _ in groups if g == MISSING_GROUP_LABEL)  # missing values kept as their own group
    rows, highest = _rows(known, assessed)
    table = {
        "rate_kind": rate_kind,
        "category_type": category_type(entry["columns"]),
        "attribute": entry["attribute"],
        "columns": list(entry["columns"]),
        "unknown": unknown,
        "highest_category": highest,
        "rows": rows,
    }
    if rate_kind == "selection_rate":
        table["favourable_decision"] = list(document["subject"]["model"].get("favourable_decision") or [])
    return table


def _tables(document: dict, assessed: int) -> list[dict]:
    missing = document["data"].get("rows_dropped_missing_attribute") or {}
    scores = document.get("score_rates") or {}
    tables = []
    for entry in document["attributes"] or _scored_only(scores):
        if entry["decision_class"]:
            continue  # one-vs-rest classes of a multiclass decision are not the tool's selection
        unknown = int(missing.get(entry["attribute"], 0))
        if scores:
            by = scores["by_attribute"].get(entry["attribute"])
            if by is not None:
                groups = [(g["group"], g["n"], g["n_above_median"]) for g in by["groups"]]
                tables.append(
                    _table(
                        entry,
                        rate_kind="scoring_rate",
                        groups=groups,
                        unknown=by["unknown"],
                        assessed=assessed,
                        document=document,
                    )  # fmt: skip
                )
        if entry["groups"] is None:  # scores without decisions: there is no selection rate
            continue
        groups = [(g["group"], g["n"], g["n_selected"]) for g in entry["groups"]]
        tables.append(
            _table(
                entry, rate_kind="selection_rate", groups=groups, unknown=unknown, assessed=assessed, document=document
            )  # fmt: skip
        )
    order = {"sex": 0, "race_ethnicity": 1, "intersectional": 2, "other": 3}
    kind_order = {"scoring_rate": 0, "selection_rate": 1}
    return sorted(tables, key=lambda t: (kind_order[t["rate_kind"]], order[t["category_type"]], t["attribute"]))


def _scored_only(scores: dict) -> list[dict]:
    """Categories of an audit of scores without decisions (no group results): those of its scoring rates."""
    return [
        {"attribute": name, "columns": name.split(INTERSECTION_SEPARATOR), "decision_class": "", "groups": None}
        for name in (scores.get("by_attribute") or {})
    ]


def ll144_summary(document: dict, sha256: str) -> dict:
    """The summary of results of a bias audit (6 RCNY § 5-303), JSON-ready, from the canonical report.

    Raises ValueError for a report without group results (a model-only probe audit has no categories).
    """
    if not document.get("attributes") and not (document.get("score_rates") or {}).get("by_attribute"):
        raise ValueError("the ll144 summary needs a group audit of a dataset; this report has no group results")
    data = document["data"]
    dataset = document["subject"].get("dataset") or {}
    assessed = int(data["rows_total"]) - int(data["rows_dropped_missing_decision_or_outcome"])
    scores = document.get("score_rates") or None
    return {
        "format": FORMAT,
        "version": 1,
        "rules": RULES,
        "report_sha256": sha256,
        "audit_date": document["provenance"]["finished_at"][:10],
        "aedt": {
            "model": document["subject"]["model"]["name"],
            "model_sha256": document["subject"]["model"]["sha256"],
            "kind": document["subject"]["model"]["kind"],
        },
        "data": {
            "source": (
                f"dataset '{dataset.get('name', '')}' ({dataset.get('source_format', '')}, sha256 "
                f"{dataset.get('sha256', '')}), uploaded to workspace '{document['provenance']['workspace']}'"
            ),
            "data_type": NOT_PROVIDED + " (historical data, or test data with why historical data was not used "
            "and how the test data was generated, 6 RCNY § 5-302)",
            "explanation": NOT_PROVIDED,
            "rows_in_file": int(data["rows_total"]),
            "rows_left_out": int(data["rows_dropped_missing_decision_or_outcome"]),
            "rows_left_out_reason": "no decision, no outcome label or no score",
        },
        "individuals_assessed": assessed,
        "method": "scoring_rate" if scores else "selection_rate",
        "median_score": scores["median"] if scores else None,
        "score_column": scores.get("score_column") if scores else None,
        "higher_score_is_favourable": scores["higher_is_favourable"] if scores else None,
        "exclusion_threshold": EXCLUSION_SHARE,
        "definitions": DEFINITIONS,
        "tables": _tables(document, assessed),
        "to_fill_in": {
            "independent_auditor": None,
            "distribution_date": None,
            "data_type": None,
        },
    }


def _text(value) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def _number(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    return repr(value)


def ll144_csv(summary: dict) -> str:
    """One row per (rate kind, attribute, category); numbers exactly as in the JSON (repr round-trips)."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for table in summary["tables"]:
        for row in table["rows"]:
            writer.writerow(
                {
                    "rate_kind": table["rate_kind"],
                    "category_type": table["category_type"],
                    "attribute": _text(table["attribute"]),
                    "category": _text(row["category"]),
                    "individuals": row["individuals"],
                    "share_of_data": _number(row["share_of_data"]),
                    "favourable": row["favourable"],
                    "rate": _number(row["rate"]),
                    "impact_ratio": _number(row["impact_ratio"]),
                    "excluded_from_impact_ratio": _number(row["excluded_from_impact_ratio"]),
                    "exclusion_justification": row["exclusion_justification"],
                    "unknown_in_attribute": table["unknown"],
                }
            )
    return out.getvalue()


_TYPE_TITLES = {
    "sex": "Sex categories",
    "race_ethnicity": "Race/ethnicity categories",
    "intersectional": "Intersectional categories",
    "other": "Other categories",
}


def _shown(value, digits: int = 4) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


def _html_table(table: dict, higher_is_favourable: bool | None) -> dict:
    scoring = table["rate_kind"] == "scoring_rate"
    above = "Scored above the median" if higher_is_favourable is not False else "Scored below the median (better)"
    return {
        "title": f"{'Scoring' if scoring else 'Selection'} rates: {_TYPE_TITLES[table['category_type']]} "
        f"({table['attribute']})",
        "rate_label": "Scoring rate" if scoring else "Selection rate",
        "favourable_label": above if scoring else "Selected",
        "unknown": table["unknown"],
        "highest_category": table["highest_category"],
        "rows": [
            {
                "category": row["category"],
                "individuals": row["individuals"],
                "share": "n/a" if row["share_of_data"] is None else f"{100 * row['share_of_data']:.2f}%",
                "favourable": row["favourable"],
                "rate": _shown(row["rate"]),
                "impact_ratio": _shown(row["impact_ratio"]),
                "excluded": row["excluded_from_impact_ratio"],
                "justification": row["exclusion_justification"],
            }
            for row in table["rows"]
        ],
    }


def ll144_html(summary: dict) -> str:
    """A self-contained page (inline CSS, no scripts): the summary an employer publishes, fields to fill marked.
    Rates and impact ratios are shown to 4 decimals (the JSON and CSV hold them exactly)."""
    tables = [_html_table(t, summary["higher_score_is_favourable"]) for t in summary["tables"]]
    return render_to_string("audits/ll144_summary.html", {"s": summary, "tables": tables})
