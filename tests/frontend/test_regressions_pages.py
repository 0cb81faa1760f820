"""Regressions on the pages: the New audit form states the plan's regression tolerance (default prefilled, a bad
value refused beside its field); the report page reads the regressions first, then lists them with their numbers."""

from audits.constants import PLAN_DEFAULTS
from audits.models import AuditPlan
from audits.services.reports import report_create
from tests.audits.factories import AuditRunFactory, DatasetFactory, decisions_model
from tests.audits.reports.regression_documents import BASELINE_ID, report_with_regressions
from tests.frontend.report_helpers import stored_report
from tests.frontend.test_plan_and_run_pages import _plan_form


def test_the_builder_prefills_the_regression_tolerance_and_sends_a_chosen_one(auditor_page, auditor, workspace):
    dataset = DatasetFactory(user=auditor, workspace=workspace)
    model = decisions_model(dataset)

    html = auditor_page.get(f"/audits/new/?model={model.pk}").content.decode()
    response = auditor_page.post("/audits/new/", _plan_form(model, dataset, regression_tolerance=0.2))

    assert f'name="regression_tolerance" value="{PLAN_DEFAULTS.regression_tolerance}"' in html
    assert '<label for="id_regression_tolerance">Regression tolerance:</label>' in html
    assert response.status_code == 302
    assert AuditPlan.objects.get().regression_tolerance == 0.2


def test_an_emptied_tolerance_keeps_the_default_and_a_bad_one_is_shown_beside_it(auditor_page, auditor, workspace):
    dataset = DatasetFactory(user=auditor, workspace=workspace)
    model = decisions_model(dataset)

    refused = auditor_page.post("/audits/new/", _plan_form(model, dataset, regression_tolerance=3))
    emptied = auditor_page.post("/audits/new/", _plan_form(model, dataset, regression_tolerance=""))

    assert refused.status_code == 200
    field = refused.content.decode().split('<label for="id_regression_tolerance">')[1].split("</div>\n")[1]
    assert '<ul class="errorlist" id="id_regression_tolerance_error">' in field
    assert "regression_tolerance must be between 0 and 1." in field and 'aria-invalid="true"' in field
    assert emptied.status_code == 302
    assert AuditPlan.objects.get().regression_tolerance == PLAN_DEFAULTS.regression_tolerance


def test_the_report_page_reads_the_regressions_before_the_details(auditor_page, auditor, workspace):
    document, _ = report_with_regressions()
    report = report_create(run=AuditRunFactory(user=auditor, workspace=workspace), document=document)

    html = auditor_page.get(f"/reports/{report.pk}/").content.decode()

    reading = html.split('aria-labelledby="summary-head"')[1].split("</section>")[0]
    assert f"6 regressions since approved report #{BASELINE_ID}" in reading and 'href="#regressions"' in reading
    section = html.split('id="regressions"')[1].split("</section>")[0]
    assert f"Regressions since approved report #{BASELINE_ID}" in section
    assert section.count('<tr class="regression ') == 6
    assert "The counterfactual probe on sex fails now" in section
    assert html.index('id="regressions"') < html.index('class="toc"') < html.index('id="slice-1"')


def test_a_report_without_an_approved_baseline_shows_no_regressions(auditor_page, auditor, workspace):
    report = stored_report(auditor, workspace, "tabular")

    html = auditor_page.get(f"/reports/{report.pk}/").content.decode()

    assert 'id="regressions"' not in html and "since approved report" not in html
