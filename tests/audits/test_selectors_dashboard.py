"""The dashboard's verdict matrix: the latest report per (model, attribute), its verdict counts, scoped to the user."""

import hashlib
import json
from collections import Counter

from audits.models import AuditReport
from audits.selectors_dashboard import MatrixCell, report_columns, verdict_matrix
from audits.services.plans import audit_plan_create
from tests.audits.factories import AuditReportFactory, AuditRunFactory, decisions_model


def _result(attribute: str, verdict: str, metric: str = "disparate_impact", group: str = "g") -> dict:
    return {"attribute": attribute, "metric": metric, "group": group, "verdict": verdict, "decision_class": ""}


def _stored_report(run, results=(), probes=()) -> AuditReport:
    """A report row holding a hand-written document (the matrix reads only results and probes)."""
    text = json.dumps({"results": list(results), "probes": list(probes), "run": run.pk})
    return AuditReport.objects.create(
        workspace=run.workspace, run=run, schema_version="1.0.0", canonical_json=text,
        sha256=hashlib.sha256(text.encode()).hexdigest(),
    )  # fmt: skip


def test_report_columns_count_results_per_attribute_and_probes_in_their_own_columns():
    document = {
        "results": [_result("sex", "pass"), _result("sex", "fail", group="f"), _result("race", "insufficient_data")],
        "probes": [
            {"probe": "tabular_counterfactual", "attribute": "sex", "verdict": "fail"},
            {"probe": "text_counterfactual", "attribute": "lexicon:sexual_orientation", "verdict": "pass"},
            {"probe": "crows_pairs", "attribute": "bias_type", "verdict": "inconclusive"},
        ],
    }

    columns = report_columns(document)

    assert columns == {
        "sex": Counter({"pass": 1, "fail": 2}),
        "race": Counter(insufficient_data=1),
        "Text probe: sexual orientation": Counter({"pass": 1}),
        "CrowS-Pairs: bias type": Counter(inconclusive=1),
    }


def test_a_cell_shows_its_most_serious_verdict_and_every_count():
    cell = MatrixCell(report_id=1, created_at=None, counts=Counter({"pass": 10, "insufficient_data": 2}))

    assert (cell.verdict, cell.verdict_label, cell.total) == ("insufficient_data", "Insufficient data", 12)
    assert cell.breakdown == [("insufficient_data", "Insufficient data", 2), ("pass", "Pass", 10)]
    assert MatrixCell(1, None, Counter({"pass": 3, "not_computable": 1, "fail": 1})).verdict == "fail"


def test_the_matrix_reads_a_real_report_with_every_result_counted(auditor, workspace):
    report = AuditReportFactory(user=auditor, workspace=workspace)
    results = report.document["results"]

    matrix = verdict_matrix(user=auditor)

    assert matrix.attributes == ["age_band", "sex"]
    (row,) = matrix.rows
    assert row.model_id == report.run.plan.model_id
    for attribute, cell in row.cells:
        assert cell.report_id == report.pk
        assert cell.counts == Counter(r["verdict"] for r in results if r["attribute"] == attribute)


def test_each_cell_comes_from_the_latest_report_covering_it(auditor, workspace):
    first = AuditRunFactory(user=auditor, workspace=workspace)
    plan = first.plan
    model = decisions_model(plan.dataset)
    sex_only = audit_plan_create(
        user=auditor, dataset=plan.dataset, model=model, attributes=[plan.dataset.protected_attributes.get(name="sex")]
    )
    old = _stored_report(first, [_result("sex", "pass"), _result("age_band", "fail")])
    newer_sex = _stored_report(AuditRunFactory(user=auditor, plan=sex_only), [_result("sex", "inconclusive")])
    latest_of_first_plan = _stored_report(
        AuditRunFactory(user=auditor, plan=plan), [_result("sex", "pass"), _result("age_band", "pass")]
    )

    (row,) = verdict_matrix(user=auditor).rows

    cells = dict(row.cells)
    assert (cells["sex"].report_id, cells["sex"].verdict) == (latest_of_first_plan.pk, "pass")
    assert (cells["age_band"].report_id, cells["age_band"].verdict) == (latest_of_first_plan.pk, "pass")
    assert old.pk not in {c.report_id for c in cells.values()} and newer_sex.pk < latest_of_first_plan.pk


def test_a_newer_plan_wins_the_cells_it_covers_and_model_only_reports_get_probe_columns(auditor, workspace):
    first = AuditRunFactory(user=auditor, workspace=workspace)
    _stored_report(first, [_result("sex", "pass"), _result("age_band", "fail")])
    model = decisions_model(first.plan.dataset)
    sex_only = audit_plan_create(
        user=auditor, dataset=first.plan.dataset, model=model,
        attributes=[first.plan.dataset.protected_attributes.get(name="sex")],
    )  # fmt: skip
    newer = _stored_report(AuditRunFactory(user=auditor, plan=sex_only), [_result("sex", "not_computable")])

    cells = dict(verdict_matrix(user=auditor).rows[0].cells)

    assert (cells["sex"].report_id, cells["sex"].verdict) == (newer.pk, "not_computable")
    assert cells["age_band"].verdict == "fail"


def test_the_matrix_shows_nothing_of_another_workspace(auditor, workspace, outsider, other_workspace):
    _stored_report(AuditRunFactory(user=auditor, workspace=workspace), [_result("sex", "fail")])

    assert verdict_matrix(user=outsider).rows == []
    assert len(verdict_matrix(user=auditor).rows) == 1
