"""audit_plan_create with estimated attributes: stored normalised, the event names the proxies, re-audits keep them."""

import numpy as np
import pytest

from audits.exceptions import ApplicationError
from audits.models import AuditEvent, AuditPlan
from audits.services.datasets import dataset_create
from audits.services.plans import audit_plan_create
from tests.explainers.estimated.population import population
from tests.factories import csv_upload


def _upload(user, workspace, seed: int):
    frame = population(300, seed=seed).drop(columns=["race"])
    frame["decision"] = np.where(frame.pop("approved"), "approve", "deny")
    return dataset_create(
        user=user, workspace=workspace, name="applicants", upload=csv_upload(frame, "applicants.csv"), protected=[],
        proxy_columns=["surname", "zip"], decision_column="decision", decision_favourable=["approve"],
    )  # fmt: skip


def test_a_plan_of_estimated_race_alone_is_stored_and_its_event_names_the_proxy_columns(auditor, workspace):
    dataset, model = _upload(auditor, workspace, seed=1)

    plan = audit_plan_create(
        user=auditor, dataset=dataset, model=model, reaudit_on_new_version=True,
        estimated_attributes=[{"surname_column": "surname", "zip_column": "zip"}],
    )  # fmt: skip

    expected = {"name": "race (estimated)", "estimate": "race", "surname_column": "surname", "zip_column": "zip",
                "first_name_column": "", "reference_group": ""}  # fmt: skip
    assert plan.estimated_attributes == [expected] and not plan.attributes.exists()
    event = AuditEvent.objects.get(action="plan.created", object_id=str(plan.pk))
    assert event.after["estimated_attributes"] == [expected] and event.after["attributes"] == []

    _upload(auditor, workspace, seed=2)  # a new version of the dataset: the plan is re-audited with its estimate
    assert AuditPlan.objects.get(previous=plan).estimated_attributes == [expected]


def test_a_plan_needs_a_recorded_or_an_estimated_attribute(auditor, workspace):
    dataset, model = _upload(auditor, workspace, seed=1)
    with pytest.raises(ApplicationError, match="at least one protected attribute"):
        audit_plan_create(user=auditor, dataset=dataset, model=model)
    with pytest.raises(ApplicationError, match="used twice"):
        audit_plan_create(
            user=auditor, dataset=dataset, model=model,
            estimated_attributes=[{"surname_column": "surname"}, {"surname_column": "surname"}],
        )  # fmt: skip
