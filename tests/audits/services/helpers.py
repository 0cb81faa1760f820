"""Build a dataset, plan and run through the services (no API); shorthands for the factories."""

from tests.audits.factories import AuditPlanFactory, AuditRunFactory


def make_plan(user, workspace, frame=None, **plan_fields):
    dataset = {} if frame is None else {"dataset__frame": frame}
    return AuditPlanFactory(user=user, workspace=workspace, **dataset, **plan_fields)


def make_run(user, workspace, **plan_fields):
    return AuditRunFactory(user=user, workspace=workspace, **{f"plan__{k}": v for k, v in plan_fields.items()})
