"""New audit: the global-explanation and explanation-quality checkboxes (issue 16) reach the plan."""

from audits.models import AuditPlan
from tests.audits.factories import DatasetFactory, decisions_model
from tests.frontend.test_plan_and_run_pages import _plan_form
from tests.frontend.test_plan_builder import _skops


def test_a_model_gets_both_checkboxes_with_labels_and_decisions_in_a_column_get_none(auditor_page, auditor, workspace):
    dataset = DatasetFactory(user=auditor, workspace=workspace)
    pipeline = _skops(auditor, workspace)

    html = auditor_page.get(f"/audits/new/?model={pipeline.pk}&dataset={dataset.pk}").content.decode()
    column = auditor_page.get(f"/audits/new/?model={decisions_model(dataset).pk}").content.decode()

    for name in ("global_explanations", "explanation_quality"):
        assert f'type="checkbox" name="{name}"' in html and f'<label for="id_{name}">' in html
        assert f'name="{name}"' not in column
    assert "Explanations beyond the plan" in html


def test_ticked_stages_reach_the_plan_without_any_probe(auditor_page, auditor, workspace):
    dataset = DatasetFactory(user=auditor, workspace=workspace)
    form = _plan_form(_skops(auditor, workspace), dataset, global_explanations="on", explanation_quality="on")

    assert auditor_page.post("/audits/new/", form).status_code == 302

    plan = AuditPlan.objects.get()
    assert plan.probes == []
    assert plan.probe_settings["global_explanations"] is True and plan.probe_settings["explanation_quality"] is True


def test_unticked_stages_leave_the_plan_as_before(auditor_page, auditor, workspace):
    dataset = DatasetFactory(user=auditor, workspace=workspace)

    assert auditor_page.post("/audits/new/", _plan_form(_skops(auditor, workspace), dataset)).status_code == 302

    assert AuditPlan.objects.get().probe_settings == {}
