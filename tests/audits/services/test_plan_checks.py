"""A plan's user-stated checks: stored parsed, named in the plan's event, copied to the successor plan."""

from audits.models import AuditEvent, AuditPlan
from audits.services.plans import audit_plan_create
from tests.audits.services.test_versions import _upload
from tests.factories import credit_frame

CHECK = "selection_rate(sex=female) >= selection_rate(sex=male) - 0.05"


def test_checks_are_stored_parsed_and_a_successor_plan_keeps_them(auditor, workspace):
    dataset, model = _upload(auditor, workspace, credit_frame(seed=1))
    plan = audit_plan_create(
        user=auditor, dataset=dataset, model=model, reaudit_on_new_version=True, checks=[CHECK, "  "]
    )

    (stored,) = plan.checks
    assert stored["text"] == CHECK and stored["parsed"]["left"] == {
        "rate": "selection_rate", "attribute": "sex", "group": "female"
    }  # fmt: skip
    assert AuditEvent.objects.get(action="plan.created", object_id=str(plan.pk)).after["checks"] == [CHECK]

    _upload(auditor, workspace, credit_frame(seed=2))

    successor = AuditPlan.objects.get(previous=plan)
    assert successor.checks == plan.checks


def test_a_check_may_name_the_attribute_by_its_column_and_is_stored_by_its_name(auditor, workspace):
    dataset, model = _upload(auditor, workspace, credit_frame(seed=1))
    attribute = dataset.protected_attributes.get(column="sex")
    attribute_name = attribute.name
    plan = audit_plan_create(user=auditor, dataset=dataset, model=model, checks=["selection_rate(sex=male) <= 0.9"])
    assert plan.checks[0]["parsed"]["left"]["attribute"] == attribute_name
