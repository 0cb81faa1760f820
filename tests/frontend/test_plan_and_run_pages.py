"""New audit (audit_plan_create + audit_run_create), the run page and its polled status, runs and dashboard."""

from audits.choices import RunStatus
from audits.constants import PLAN_DEFAULTS
from audits.models import AuditEvent, AuditPlan, AuditRun
from audits.services.audit_runs import audit_run_fail
from tests.audits.factories import DatasetFactory, decisions_model
from tests.audits.services.helpers import make_run


def _plan_form(model, dataset, **overrides) -> dict:
    form = {
        "model": model.pk,
        "dataset": dataset.pk,
        "attributes": [a.pk for a in dataset.protected_attributes.filter(column="sex")],
        "metrics": ["disparate_impact", "statistical_parity_difference"],
        "n_boot": 200,
        "alpha": 0.05,
        "min_group_size": 30,
        "min_denominator": 10,
        "seed": 0,
    }
    form.update(overrides)
    return form


def test_the_builder_is_prefilled_with_the_plan_defaults_and_explains_each_band(auditor_page, auditor, workspace):
    dataset = DatasetFactory(user=auditor, workspace=workspace)
    model = decisions_model(dataset)

    html = auditor_page.get(f"/audits/new/?model={model.pk}").content.decode()

    assert f'name="n_boot" value="{PLAN_DEFAULTS.n_boot}"' in html
    assert f'name="min_group_size" value="{PLAN_DEFAULTS.min_group_size}"' in html
    assert "passes between 0.8 and 1.25 (the four-fifths rule)" in html
    assert "sex (groups: female, male)" in html  # the model's dataset's attributes are offered
    assert "takes no probes" in html  # decisions in a column take none
    assert "Run now" in html


def test_the_options_partial_follows_the_chosen_model(auditor_page, auditor, workspace):
    model = decisions_model(DatasetFactory(user=auditor, workspace=workspace))

    partial = auditor_page.get(f"/audits/new/?model={model.pk}", headers={"HX-Request": "true"})

    html = partial.content.decode()
    assert "<html" not in html and "age_band (groups:" in html


def test_run_now_creates_the_plan_queues_the_run_and_redirects_to_it(
    auditor_page, auditor, workspace, django_capture_on_commit_callbacks, eager_celery
):
    dataset = DatasetFactory(user=auditor, workspace=workspace)
    model = decisions_model(dataset)

    with django_capture_on_commit_callbacks(execute=True):
        response = auditor_page.post("/audits/new/", _plan_form(model, dataset))

    run = AuditRun.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/runs/{run.pk}/"
    plan = run.plan
    assert (plan.model, plan.dataset, plan.n_boot) == (model, dataset, 200)
    assert [a.column for a in plan.attributes.all()] == ["sex"]
    assert plan.metrics == ["disparate_impact", "statistical_parity_difference"]
    actions = set(AuditEvent.objects.filter(actor=auditor).values_list("action", flat=True))
    assert {"plan.created", "run.queued"} <= actions
    run.refresh_from_db()
    assert run.status == RunStatus.SUCCEEDED  # the eager worker ran it on commit
    page = auditor_page.get(f"/runs/{run.pk}/").content.decode()
    assert f"Open report #{run.report.pk}" in page and "hx-trigger" not in page


def test_a_setting_out_of_range_is_shown_next_to_its_field_and_nothing_is_created(auditor_page, auditor, workspace):
    dataset = DatasetFactory(user=auditor, workspace=workspace)

    response = auditor_page.post("/audits/new/", _plan_form(decisions_model(dataset), dataset, n_boot=5))

    html = response.content.decode()
    block = html.split('id="id_n_boot"')[0].rsplit('<div class="field', 1)[1]
    assert response.status_code == 200 and "n_boot must be between 100 and 100000" in block
    assert AuditPlan.objects.count() == 0 and AuditRun.objects.count() == 0


def test_a_reviewer_has_no_new_audit_link_and_run_now_is_refused(reviewer_page, auditor, workspace):
    dataset = DatasetFactory(user=auditor, workspace=workspace)

    home = reviewer_page.get("/").content.decode()
    refused = reviewer_page.post("/audits/new/", _plan_form(decisions_model(dataset), dataset))

    assert "New audit" not in home
    assert refused.status_code == 403 and "&#x27;reviewer&#x27;" in refused.content.decode()
    assert AuditPlan.objects.count() == 0


def test_a_queued_run_polls_its_status_and_a_failed_one_explains_the_error(auditor_page, auditor, workspace):
    run = make_run(auditor, workspace)

    queued = auditor_page.get(f"/runs/{run.pk}/status/").content.decode()
    audit_run_fail(run_id=run.pk, error="Column 'sex' holds one group only.\n\nValueError: one group")
    failed = auditor_page.get(f"/runs/{run.pk}/status/").content.decode()

    assert f'hx-get="/runs/{run.pk}/status/"' in queued and 'hx-trigger="every 2s"' in queued
    assert "hx-trigger" not in failed
    assert "The audit could not finish.</strong> Column &#x27;sex&#x27; holds one group only." in failed


def test_the_dashboard_lists_runs_in_progress_failures_and_keeps_the_runs_table(auditor_page, auditor, workspace):
    queued = make_run(auditor, workspace)
    failed = make_run(auditor, workspace)
    audit_run_fail(run_id=failed.pk, error="The dataset file is missing.\n\nFileNotFoundError")

    html = auditor_page.get("/").content.decode()

    in_progress = html.split('id="progress-head"')[1].split("</section>")[0]
    failures = html.split('id="fail-head"')[1].split("</section>")[0]
    assert f"Run #{queued.pk}" in in_progress and f"Run #{failed.pk}" not in in_progress
    assert "The dataset file is missing." in failures and "FileNotFoundError" not in failures
    assert "Audit runs" in html and "Credit risk <span class=\"muted\">(auditor)</span>" in html


def test_outsiders_get_404_on_runs_of_another_workspace(outsider_page, auditor, workspace):
    run = make_run(auditor, workspace)

    assert outsider_page.get(f"/runs/{run.pk}/").status_code == 404
    assert outsider_page.get(f"/runs/{run.pk}/status/").status_code == 404
    assert f"/runs/{run.pk}/" not in outsider_page.get("/runs/").content.decode()


def test_the_navigation_marks_the_current_section(auditor_page):
    html = auditor_page.get("/datasets/").content.decode()

    assert 'href="/datasets/" aria-current="page">Datasets' in html
    assert 'href="/models/" aria-current' not in html
