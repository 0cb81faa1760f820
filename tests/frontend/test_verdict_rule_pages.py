"""The New audit form states the plan's verdict_error_control (family-wise prefilled, an unknown rule refused beside
its field). The report page's verdict interval column: tests/frontend/test_report_page_kinds.py."""

from audits.models import AuditPlan
from tests.audits.factories import DatasetFactory, decisions_model
from tests.frontend.test_plan_and_run_pages import _plan_form


def test_the_builder_prefills_familywise_and_sends_a_chosen_rule(auditor_page, auditor, workspace):
    dataset = DatasetFactory(user=auditor, workspace=workspace)
    model = decisions_model(dataset)

    html = auditor_page.get(f"/audits/new/?model={model.pk}").content.decode()
    chosen = auditor_page.post("/audits/new/", _plan_form(model, dataset, verdict_error_control="fdr"))
    omitted = auditor_page.post("/audits/new/", _plan_form(model, dataset))

    assert '<label for="id_verdict_error_control">Verdicts hold:</label>' in html
    assert '<option value="familywise" selected>' in html and '<option value="per_comparison">' in html
    assert chosen.status_code == omitted.status_code == 302
    assert list(AuditPlan.objects.order_by("id").values_list("verdict_error_control", flat=True)) == [
        "fdr",
        "familywise",
    ]


def test_an_unknown_rule_is_refused_beside_its_field(auditor_page, auditor, workspace):
    dataset = DatasetFactory(user=auditor, workspace=workspace)
    model = decisions_model(dataset)

    refused = auditor_page.post("/audits/new/", _plan_form(model, dataset, verdict_error_control="holm"))

    assert refused.status_code == 200 and not AuditPlan.objects.exists()
    field = refused.content.decode().split('<label for="id_verdict_error_control">')[1].split("</div>\n")[1]
    assert "Select a valid choice. holm is not one of the available choices." in field
