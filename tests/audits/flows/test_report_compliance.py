"""Every report states its limitations and which sections answer the EU AI Act, NIST AI RMF and ISO 42001."""

from html import escape

from audits.models import AuditReport
from audits.reports.schema import report_errors
from audits.services.audit_runs import audit_run_create
from tests.audits.services.helpers import make_plan


def test_a_report_carries_its_crosswalk_and_limitations(
    auditor, workspace, eager_celery, django_capture_on_commit_callbacks
):
    plan = make_plan(auditor, workspace, min_group_size=100_000)  # no group is large enough for a verdict
    with django_capture_on_commit_callbacks(execute=True):
        run = audit_run_create(user=auditor, plan=plan)

    document = AuditReport.objects.get(run=run).document

    assert report_errors(document) == []
    frameworks = [entry["framework"] for entry in document["compliance_crosswalk"]]
    assert any("Annex IV 2(g)" in f for f in frameworks) and any("MEASURE 2.11" in f for f in frameworks)
    assert any("42001" in f for f in frameworks)
    insufficient = [r for r in document["results"] if r["verdict"] == "insufficient_data"]
    assert insufficient and len(document["limitations"]) >= 1
    assert all("insufficient_data" in line or "not computable" in line for line in document["limitations"])
    from audits.renderings import render_report_html

    html = render_report_html(document, "0" * 64)
    assert "Compliance crosswalk" in html and "MEASURE 2.11" in html
    assert escape(document["limitations"][0].split(":")[0]) in html
