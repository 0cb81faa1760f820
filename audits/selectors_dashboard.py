"""The dashboard's verdict matrix: models x protected attributes, each cell from the latest report that covers it.

A cell counts the verdicts of the group-metric results of one attribute (every metric, group and decision class)
plus the overall verdict of each probe run on it; its headline verdict is the most serious of them. Model-only
reports (CrowS-Pairs, BBQ, WEAT, discrim-eval) and the text probe have no protected column: they get a column of their
own, named after the probe.
"""

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from audits.selectors import audit_report_list

# Most serious first: one failing result makes the cell fail, one unsettled result keeps it from passing.
VERDICT_ORDER = ("fail", "inconclusive", "insufficient_data", "not_computable", "pass")
VERDICT_LABELS = {
    "fail": "Fail",
    "inconclusive": "Inconclusive",
    "insufficient_data": "Insufficient data",
    "not_computable": "Not computable",
    "pass": "Pass",
}
PROBE_COLUMNS = {
    "text_counterfactual": "Text probe",
    "crows_pairs": "CrowS-Pairs",
    "bbq": "BBQ",
    "weat": "WEAT",
    "discrim_eval": "Discrim-eval",
}
MAX_PLANS = 100  # the latest report of at most this many plans is read (newest first)


@dataclass
class MatrixCell:
    report_id: int
    created_at: datetime
    counts: Counter = field(default_factory=Counter)

    @property
    def verdict(self) -> str:
        return next((v for v in VERDICT_ORDER if self.counts[v]), "not_computable")

    @property
    def verdict_label(self) -> str:
        return VERDICT_LABELS[self.verdict]

    @property
    def breakdown(self) -> list[tuple[str, str, int]]:
        """(verdict, label, count) of every verdict present, most serious first."""
        return [(v, VERDICT_LABELS[v], self.counts[v]) for v in VERDICT_ORDER if self.counts[v]]

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass
class MatrixRow:
    model_id: int
    model_name: str
    cells: list[tuple[str, MatrixCell | None]]  # (attribute, its cell or None), in VerdictMatrix.attributes order


@dataclass
class VerdictMatrix:
    attributes: list[str]
    rows: list[MatrixRow]


def report_columns(document: dict) -> dict[str, Counter]:
    """The verdict counts of one report document by matrix column (attribute name, or probe for model-only)."""
    columns: dict[str, Counter] = {}
    for result in document.get("results") or []:
        columns.setdefault(result["attribute"], Counter())[result["verdict"]] += 1
    for probe in document.get("probes") or []:
        if probe["probe"] == "tabular_counterfactual":
            key = probe["attribute"]
        else:
            name = str(probe.get("attribute", "")).removeprefix("lexicon:").replace("_", " ")
            key = f"{PROBE_COLUMNS.get(probe['probe'], probe['probe'])}: {name}"
        columns.setdefault(key, Counter())[probe["verdict"]] += 1
    return columns


def verdict_matrix(*, user, max_plans: int = MAX_PLANS) -> VerdictMatrix:
    """Models (rows) x attributes (columns) of the user's workspaces; a cell is the latest report covering it.

    Only the latest report of each plan is read: an older report of the same plan is never the latest for any
    of its cells. Reports of newer plans win over those of older plans for the cells both cover.
    """
    latest: dict[int, int] = {}  # plan id -> its latest report's id
    rows = audit_report_list(user=user).order_by("-created_at", "-id").values_list("id", "run__plan_id")
    for report_id, plan_id in rows.iterator():
        if plan_id not in latest:
            latest[plan_id] = report_id
            if len(latest) >= max_plans:
                break
    reports = (
        audit_report_list(user=user)
        .filter(pk__in=list(latest.values()))
        .select_related("run__plan__model")
        .order_by("-created_at", "-id")
    )
    models: dict[int, str] = {}
    cells: dict[tuple[int, str], MatrixCell] = {}
    for report in reports:
        model_id = report.run.plan.model_id
        models.setdefault(model_id, report.run.plan.model.name)
        for column, counts in report_columns(report.document).items():
            cells.setdefault((model_id, column), MatrixCell(report.pk, report.created_at, counts))
    attributes = sorted({column for _, column in cells}, key=lambda c: (":" in c, c.lower()))
    ordered = sorted(models.items(), key=lambda item: (item[1].lower(), item[0]))
    return VerdictMatrix(
        attributes=attributes,
        rows=[MatrixRow(mid, name, [(a, cells.get((mid, a))) for a in attributes]) for mid, name in ordered],
    )
