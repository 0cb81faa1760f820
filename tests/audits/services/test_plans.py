"""audit_plan_create: one set of defaults and checks (PlanSettings, ProbeSettings), its event, and its refusals."""

import pytest

from audits.choices import ModelKind
from audits.exceptions import ApplicationError
from audits.models import AuditEvent, AuditPlan, ModelArtifact
from audits.services.plans import METRIC_IDS, audit_plan_create
from explainers.audit_settings import ProbeSettings
from explainers.metrics.definitions import METRIC_DEFINITIONS
from tests.audits.services.helpers import make_plan


def _encoder(user, workspace) -> ModelArtifact:
    """A registered sentence encoder (its files are not needed until a run)."""
    return ModelArtifact.objects.create(
        workspace=workspace, name="tiny-encoder", kind=ModelKind.HF_ENCODER, sha256="0" * 64, created_by=user
    )


def test_plan_records_the_default_statistics_and_writes_plan_created(auditor, workspace):
    plan = make_plan(auditor, workspace, n_boot=2000)

    assert (plan.n_boot, plan.seed, plan.alpha, plan.min_group_size, plan.min_denominator) == (2000, 0, 0.05, 30, 10)
    assert plan.verdict_error_control == "familywise"
    assert plan.metrics == list(METRIC_DEFINITIONS) and plan.probe_settings == {}
    event = AuditEvent.objects.get(action="plan.created")
    assert (event.object_type, event.object_id, event.workspace_id) == ("AuditPlan", str(plan.pk), workspace.pk)
    assert event.actor == auditor and event.after["attributes"] == ["sex", "age_band"]


def test_plan_with_probes_stores_every_probe_setting_resolved(auditor, workspace):
    plan = audit_plan_create(
        user=auditor,
        dataset=None,
        model=_encoder(auditor, workspace),
        probes=["weat", "weat"],
        probe_settings={"n_permutations": 500, "seat_templates": ["This is {}."]},
    )

    assert plan.probes == ["weat"]
    assert plan.probe_settings == {
        **ProbeSettings().to_dict(),
        "n_permutations": 500,
        "seat_templates": ["This is {}."],
    }
    assert plan.probe_settings["max_n_boot"] == 2000 and plan.probe_settings["sample_read_factor"] == 5
    event = AuditEvent.objects.get(action="plan.created")
    assert (event.object_type, event.object_id, event.workspace_id) == ("AuditPlan", str(plan.pk), workspace.pk)
    assert event.after["probes"] == ["weat"]


def test_metric_ids_are_those_of_the_metric_definitions():
    assert METRIC_IDS == tuple(METRIC_DEFINITIONS)


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"n_boot": 50}, "n_boot", "n_boot must be between 100 and 100000."),
        ({"alpha": 0.5}, "alpha", "alpha must be between 0 and 0.5."),
        ({"min_group_size": 0}, "min_group_size", "Minimum sizes must be at least 1."),
        ({"min_denominator": 0}, "min_denominator", "Minimum sizes must be at least 1."),
        ({"seed": -3}, "seed", "seed must be a whole number between 0 and 9223372036854775807."),
        (
            {"verdict_error_control": "holm"},
            "verdict_error_control",
            "verdict_error_control must be one of per_comparison, familywise, fdr.",
        ),
    ],
)
def test_bad_statistics_create_no_plan_and_no_event(auditor, workspace, changes, field, message):
    with pytest.raises(ApplicationError) as caught:
        make_plan(auditor, workspace, **changes)

    assert (caught.value.field, caught.value.message) == (field, message)
    assert not AuditPlan.objects.exists()
    assert not AuditEvent.objects.filter(action="plan.created").exists()


@pytest.mark.parametrize(
    ("probe_settings", "message"),
    [
        ({"n_permutations": 10}, "probe_settings.n_permutations must be a whole number of at least 100."),
        ({"n_boot": 100}, "Unknown probe settings ['n_boot']."),
        ({"max_n_boot": 10}, "probe_settings.max_n_boot must be between 100 and 100000."),
        ({"attribution_black_box": "lime"}, 'probe_settings.attribution_black_box must be "occlusion" or "shap".'),
    ],
)
def test_bad_probe_settings_create_no_plan_and_no_event(auditor, workspace, probe_settings, message):
    model = _encoder(auditor, workspace)

    with pytest.raises(ApplicationError) as caught:
        audit_plan_create(user=auditor, dataset=None, model=model, probes=["weat"], probe_settings=probe_settings)

    assert (caught.value.field, caught.value.message) == ("probe_settings", message)
    assert not AuditPlan.objects.exists()
    assert not AuditEvent.objects.filter(action="plan.created").exists()
