"""Versions: a second registration under a name of the workspace is its next version; a plan that asked for it is
re-audited on a new version (a successor plan with the same settings, its run queued, its schedules moved), and a
plan that cannot follow records why."""

import pytest

from audits.choices import ModelKind
from audits.models import AuditEvent, AuditPlan, AuditRun, Dataset, ModelArtifact
from audits.selectors import dataset_versions, model_versions
from audits.services.datasets import dataset_create
from audits.services.models import DecisionColumn, model_register
from audits.services.schedules import schedule_create
from tests.audits.factories import AuditPlanFactory, DatasetFactory, decisions_model
from tests.factories import credit_frame, csv_upload


def _upload(user, workspace, frame, name="credit", protected=(("sex", ""), ("age_band", ""))):
    dataset, model = dataset_create(
        user=user, workspace=workspace, name=name, upload=csv_upload(frame), protected=list(protected),
        decision_column="decision", decision_favourable=["approve"],
        outcome_column="repaid", outcome_favourable=["1"],
    )  # fmt: skip
    return dataset, model


def test_the_same_name_in_a_workspace_is_the_next_version_elsewhere_a_first(
    auditor, workspace, outsider, other_workspace
):
    first, _ = _upload(auditor, workspace, credit_frame(seed=1))
    second, model = _upload(auditor, workspace, credit_frame(seed=2))
    other_name, _ = _upload(auditor, workspace, credit_frame(seed=2), name="loans")
    elsewhere, _ = _upload(outsider, other_workspace, credit_frame(seed=2))

    assert [d.version for d in (first, second, other_name, elsewhere)] == [1, 2, 1, 1]
    assert model.name == "decision in credit" and model.version == 2
    assert list(dataset_versions(user=auditor, dataset=first)) == [second, first]
    assert [m.version for m in model_versions(user=auditor, model=model)] == [2, 1]
    assert list(dataset_versions(user=outsider, dataset=first)) == []  # not the outsider's
    assert AuditEvent.objects.get(action="dataset.created", object_id=str(second.pk)).after["version"] == 2


def test_a_new_dataset_version_re_audits_a_plan_that_asked_with_the_same_settings(auditor, workspace):
    plan = AuditPlanFactory(
        user=auditor, workspace=workspace, reaudit_on_new_version=True, n_boot=400, seed=7,
        bands={"disparate_impact": [0.75, 1.3]}, intersections=[["sex", "age_band"]], verdict_error_control="fdr",
    )  # fmt: skip
    schedule = schedule_create(actor=auditor, plan=plan, kind="cron", cron="0 6 * * 1")

    dataset, model = _upload(auditor, workspace, credit_frame(seed=99))

    successor = AuditPlan.objects.get(previous=plan)
    assert (successor.dataset, successor.model, successor.reaudit_on_new_version) == (dataset, model, True)
    assert (successor.n_boot, successor.seed, successor.bands) == (400, 7, {"disparate_impact": [0.75, 1.3]})
    assert successor.verdict_error_control == "fdr"
    assert successor.intersections == [["sex", "age_band"]] and successor.name == plan.name
    assert sorted(a.name for a in successor.attributes.all()) == ["age_band", "sex"]
    assert all(a.dataset == dataset for a in successor.attributes.all())
    run = AuditRun.objects.get(plan=successor)
    queued = AuditEvent.objects.get(action="run.queued", object_id=str(run.pk))
    assert queued.after["trigger"] == {
        "new_version": {"dataset": dataset.pk, "model": model.pk},
        "previous_plan": plan.pk,
    }
    assert AuditEvent.objects.get(action="plan.created", object_id=str(successor.pk)).after["previous"] == plan.pk
    schedule.refresh_from_db()
    assert schedule.plan == successor  # the schedule audits the newest version from now on
    # A third version follows the successor, not the old plan again.
    third, _ = _upload(auditor, workspace, credit_frame(seed=100))
    assert AuditPlan.objects.get(previous=successor).dataset == third
    assert AuditPlan.objects.filter(previous__isnull=False).count() == 2


def test_a_plan_without_the_option_is_left_alone(auditor, workspace):
    plan = AuditPlanFactory(user=auditor, workspace=workspace)

    _upload(auditor, workspace, credit_frame(seed=99))

    assert not AuditPlan.objects.filter(previous=plan).exists() and not AuditRun.objects.exists()


def test_a_new_model_version_re_audits_on_the_same_dataset(auditor, workspace):
    plan = AuditPlanFactory(user=auditor, workspace=workspace, reaudit_on_new_version=True)

    model = model_register(
        actor=auditor, source=DecisionColumn("decision"), dataset=plan.dataset, favourable=["deny"],
        name=plan.model.name,
    )  # fmt: skip

    assert model.version == 2 and model.kind == ModelKind.DATASET_DECISIONS
    successor = AuditPlan.objects.get(previous=plan)
    assert (successor.model, successor.dataset) == (model, plan.dataset)


@pytest.mark.parametrize(
    ("frame", "protected", "reason"),
    [
        (credit_frame(), (("sex", ""), ("age_band", "")), "The new version has the same content (sha256)"),
        (credit_frame(seed=5), (("sex", ""),), "lacks the protected attributes ['age_band']"),
    ],
)
def test_a_plan_that_cannot_follow_records_why(auditor, workspace, frame, protected, reason):
    plan = AuditPlanFactory(user=auditor, workspace=workspace, reaudit_on_new_version=True)

    _upload(auditor, workspace, frame, protected=protected)

    assert not AuditPlan.objects.filter(previous=plan).exists() and not AuditRun.objects.exists()
    event = AuditEvent.objects.get(action="plan.reaudit_skipped")
    assert event.object_id == str(plan.pk) and reason in event.after["reason"]


def test_factory_uploads_of_one_name_are_versions_and_so_are_their_decisions(auditor, workspace):
    first = DatasetFactory(user=auditor, workspace=workspace)
    second = DatasetFactory(user=auditor, workspace=workspace)

    assert (first.version, second.version) == (1, 2)
    assert decisions_model(second).version == 2
    assert (
        Dataset.objects.filter(name="credit").count() == ModelArtifact.objects.filter(name="decision in credit").count()
    )
