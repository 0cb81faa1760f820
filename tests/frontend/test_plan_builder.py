"""New audit in depth: intersections, per-metric bands, probe settings with their defaults, errors by their field."""

from audits.choices import ModelKind
from audits.constants import PROBE_DEFAULTS
from audits.models import AuditPlan, ModelArtifact
from tests.audits.factories import DatasetFactory, decisions_model
from tests.frontend.test_plan_and_run_pages import _plan_form


def _field_block(html: str, field_id: str) -> str:
    """The markup of the form row holding `field_id`, up to the input itself."""
    return html.split(f'id="{field_id}"')[0].rsplit("<tr", 1)[-1].rsplit('<div class="field', 1)[-1]


def _skops(user, workspace) -> ModelArtifact:
    """A registered scikit-learn pipeline reading the credit columns (its file is not needed until a run)."""
    return ModelArtifact.objects.create(
        workspace=workspace, name="credit-pipeline", kind=ModelKind.SKOPS_PIPELINE, sha256="1" * 64,
        created_by=user, config={"feature_columns": ["sex", "age_band"]},
    )  # fmt: skip


def test_the_builder_offers_pairs_of_attributes_and_every_metrics_band_prefilled(auditor_page, auditor, workspace):
    model = decisions_model(DatasetFactory(user=auditor, workspace=workspace))

    html = auditor_page.get(f"/audits/new/?model={model.pk}").content.decode()

    assert 'value="age_band|sex"' in html and "age_band × sex" in html
    assert 'name="band_low_disparate_impact" value="0.8"' in html
    assert 'name="band_high_disparate_impact" value="1.25"' in html
    assert (
        '<label class="sr-only" for="id_band_low_disparate_impact">Disparate impact ratio: passes from</label>' in html
    )


def test_run_now_sends_intersections_and_changed_bands_to_the_plan(auditor_page, auditor, workspace):
    dataset = DatasetFactory(user=auditor, workspace=workspace)
    form = _plan_form(
        decisions_model(dataset), dataset, attributes=[a.pk for a in dataset.protected_attributes.all()],
        intersections=["age_band|sex"], band_low_disparate_impact="0.9", band_high_disparate_impact="1.1",
        band_low_statistical_parity_difference="-0.1", band_high_statistical_parity_difference="",
    )  # fmt: skip

    response = auditor_page.post("/audits/new/", form)

    plan = AuditPlan.objects.get()
    assert response.status_code == 302
    assert plan.intersections == [["age_band", "sex"]]
    assert plan.bands == {"disparate_impact": [0.9, 1.1]}  # unchanged or emptied bands stay the defaults


def test_an_intersection_of_an_attribute_left_out_is_refused_next_to_the_intersections(
    auditor_page, auditor, workspace
):
    dataset = DatasetFactory(user=auditor, workspace=workspace)

    response = auditor_page.post(
        "/audits/new/", _plan_form(decisions_model(dataset), dataset, intersections=["age_band|sex"])
    )

    html = response.content.decode()
    block = html.split("<legend>Intersections</legend>")[1].split("</fieldset>")[0]
    assert response.status_code == 200 and "which are not attributes of this plan" in block
    assert AuditPlan.objects.count() == 0


def test_a_band_whose_low_end_is_not_below_its_high_end_is_shown_beside_that_metric(auditor_page, auditor, workspace):
    dataset = DatasetFactory(user=auditor, workspace=workspace)
    form = _plan_form(decisions_model(dataset), dataset, band_low_disparate_impact="1.3")

    html = auditor_page.post("/audits/new/", form).content.decode()

    row = _field_block(html, "id_band_low_disparate_impact")
    assert "Band of Disparate impact ratio: low must be below high." in row
    assert AuditPlan.objects.count() == 0


def test_probe_settings_show_per_model_kind_with_their_defaults(auditor_page, auditor, workspace):
    pipeline = _skops(auditor, workspace)
    encoder = ModelArtifact.objects.create(
        workspace=workspace, name="tiny-encoder", kind=ModelKind.HF_ENCODER, sha256="0" * 64, created_by=auditor
    )
    dataset = DatasetFactory(user=auditor, workspace=workspace)

    tabular = auditor_page.get(f"/audits/new/?model={pipeline.pk}&dataset={dataset.pk}").content.decode()
    weat = auditor_page.get(f"/audits/new/?model={encoder.pk}").content.decode()

    assert f'name="max_rows" value="{PROBE_DEFAULTS.max_rows}"' in tabular
    assert f'name="attribution_budget" value="{PROBE_DEFAULTS.attribution_budget}"' in tabular
    assert 'name="attribution_black_box" value="occlusion"' in tabular and "checked" in tabular.split("occlusion")[1]
    assert 'name="lexicons" value="gender"' in tabular and "Word lists (text probe)" in tabular
    assert "(WEAT)" not in tabular
    assert f'name="n_permutations" value="{PROBE_DEFAULTS.n_permutations}"' in weat
    assert "Rows probed at most" not in weat and "Permutations per test (WEAT)" in weat and "Word lists" not in weat


def test_probe_settings_reach_the_plan_and_a_bad_one_is_shown_beside_its_field(auditor_page, auditor, workspace):
    pipeline = _skops(auditor, workspace)
    dataset = DatasetFactory(user=auditor, workspace=workspace)
    form = _plan_form(
        pipeline, dataset, probes=["tabular_counterfactual"], max_rows=5, attributions="on", attribution_budget=4,
        attribution_black_box="occlusion",
    )  # fmt: skip

    refused = auditor_page.post("/audits/new/", form).content.decode()
    assert "probe_settings.max_rows must be between 100 and 1000000." in _field_block(refused, "id_max_rows")
    assert AuditPlan.objects.count() == 0

    assert auditor_page.post("/audits/new/", {**form, "max_rows": 500}).status_code == 302
    settings = AuditPlan.objects.get().probe_settings
    assert (settings["max_rows"], settings["attributions"], settings["attribution_budget"]) == (500, True, 4)
    assert settings["lexicons"] == list(PROBE_DEFAULTS.lexicons)  # not read by this probe: the default
