"""Build a dataset, plan and run through the services (no API)."""

from audits.services.audit_runs import audit_run_create
from audits.services.datasets import dataset_create
from audits.services.plans import audit_plan_create
from tests.factories import credit_frame, csv_upload


def make_plan(user, workspace, frame=None, **plan_fields):
    dataset, model = dataset_create(
        user=user,
        workspace=workspace,
        name="credit",
        upload=csv_upload(frame if frame is not None else credit_frame()),
        protected=[("sex", ""), ("age_band", "")],
        decision_column="decision",
        decision_favourable=["approve"],
        outcome_column="repaid",
        outcome_favourable=["1"],
    )
    return audit_plan_create(
        user=user, dataset=dataset, model=model, n_boot=plan_fields.pop("n_boot", 300), **plan_fields
    )


def make_run(user, workspace, **plan_fields):
    return audit_run_create(user=user, plan=make_plan(user, workspace, **plan_fields))
