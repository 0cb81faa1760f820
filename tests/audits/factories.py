"""factory_boy factories for the audit domain.

Objects that hold compliance state are made by the real services, so a factory leaves what production would:
a workspace has its admin membership, a dataset its stored Parquet file and protected attributes, a report its
canonical JSON, sha256 and signature, and every one of them its trail events. Pass ``user`` and ``workspace``
to build inside the conftest personas' workspace; left out, a fresh workspace and its owner are used.

    report = AuditReportFactory(user=auditor, workspace=workspace, run__plan__min_group_size=100)
"""

import factory
from django.contrib.auth import get_user_model

from audits.choices import ModelKind, Role
from audits.models import (
    AuditEvent,
    AuditPlan,
    AuditReport,
    AuditRun,
    Dataset,
    Membership,
    ModelArtifact,
    ProtectedAttribute,
    Workspace,
)
from audits.services.audit_execution import audit_run_execute
from audits.services.audit_runs import audit_run_create
from audits.services.datasets import dataset_create
from audits.services.plans import audit_plan_create
from audits.services.workspaces import membership_set, workspace_create
from tests.factories import credit_frame, csv_upload

# Declarations that only travel down to the sub-factories.
_PASS_DOWN = {"workspace": factory.SelfAttribute("..workspace"), "user": factory.SelfAttribute("..user")}


def workspace_owner(workspace: Workspace):
    """Who created `workspace` (the actor of its workspace.created event), whatever their role is now."""
    return AuditEvent.objects.get(action="workspace.created", object_id=str(workspace.pk)).actor


def decisions_model(dataset: Dataset) -> ModelArtifact:
    """The `dataset_decisions` model that dataset_create registered for the dataset's decision column."""
    return ModelArtifact.objects.get(dataset=dataset, kind=ModelKind.DATASET_DECISIONS)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user-{n}")
    password = factory.django.Password("pw")


class WorkspaceFactory(factory.Factory):
    """workspace_create: the owner becomes admin (events workspace.created, membership.set)."""

    class Meta:
        model = Workspace

    name = factory.Sequence(lambda n: f"Workspace {n}")
    slug = factory.Sequence(lambda n: f"workspace-{n}")
    owner = factory.SubFactory(UserFactory)

    @classmethod
    def _create(cls, model_class, *, name, slug, owner):
        return workspace_create(name=name, slug=slug, owner=owner)


class MembershipFactory(factory.Factory):
    """membership_set, by the workspace's owner unless `actor` is given (event membership.set)."""

    class Meta:
        model = Membership

    workspace = factory.SubFactory(WorkspaceFactory)
    user = factory.SubFactory(UserFactory)
    role = Role.AUDITOR
    actor = factory.LazyAttribute(lambda o: workspace_owner(o.workspace))

    @classmethod
    def _create(cls, model_class, **fields):
        return membership_set(**fields)


class DatasetFactory(factory.Factory):
    """dataset_create on a CSV of `frame` (default: the planted credit frame, its decision column registered)."""

    class Meta:
        model = Dataset

    workspace = None
    user = None
    name = "credit"
    frame = factory.LazyFunction(credit_frame)
    protected = (("sex", ""), ("age_band", ""))
    decision_column = "decision"
    decision_favourable = ("approve",)
    outcome_column = "repaid"
    outcome_favourable = ("1",)

    @classmethod
    def _create(cls, model_class, *, workspace, user, frame, protected, decision_favourable, outcome_favourable, **kw):
        workspace = workspace or WorkspaceFactory()
        dataset, _ = dataset_create(
            user=user or workspace_owner(workspace),
            workspace=workspace,
            upload=csv_upload(frame),
            protected=[tuple(p) for p in protected],
            decision_favourable=list(decision_favourable),
            outcome_favourable=list(outcome_favourable),
            **kw,
        )
        return dataset


class ProtectedAttributeFactory(factory.Factory):
    """One protected attribute, declared by uploading a dataset that names only it (its groups come from the data)."""

    class Meta:
        model = ProtectedAttribute

    workspace = None
    user = None
    name = "sex"
    reference_group = ""
    dataset = factory.SubFactory(
        DatasetFactory,
        **_PASS_DOWN,
        protected=factory.LazyAttribute(lambda o: [(o.factory_parent.name, o.factory_parent.reference_group)]),
    )

    @classmethod
    def _create(cls, model_class, *, dataset, name, **_):
        return dataset.protected_attributes.get(name=name)


class DecisionsModelFactory(factory.Factory):
    """The `dataset_decisions` model registered by dataset_create for its dataset's decision column."""

    class Meta:
        model = ModelArtifact

    workspace = None
    user = None
    dataset = factory.SubFactory(DatasetFactory, **_PASS_DOWN)

    @classmethod
    def _create(cls, model_class, *, dataset, **_):
        return decisions_model(dataset)


class AuditPlanFactory(factory.Factory):
    """audit_plan_create on a DatasetFactory dataset and its decisions model; other keywords go to the service."""

    class Meta:
        model = AuditPlan

    workspace = None
    user = None
    dataset = factory.SubFactory(DatasetFactory, **_PASS_DOWN)
    model = factory.LazyAttribute(lambda o: decisions_model(o.dataset))
    n_boot = 300

    @classmethod
    def _create(cls, model_class, *, workspace, user, dataset, **fields):
        return audit_plan_create(user=user or dataset.created_by, dataset=dataset, **fields)


class AuditRunFactory(factory.Factory):
    """audit_run_create (queued; the task is enqueued on commit, which a plain test transaction never reaches)."""

    class Meta:
        model = AuditRun

    workspace = None
    user = None
    plan = factory.SubFactory(AuditPlanFactory, **_PASS_DOWN)

    @classmethod
    def _create(cls, model_class, *, workspace, user, plan):
        return audit_run_create(user=user or plan.created_by, plan=plan)


class AuditReportFactory(factory.Factory):
    """The report of a run executed in this process (audit_run_execute): stored, hashed, signed."""

    class Meta:
        model = AuditReport

    workspace = None
    user = None
    run = factory.SubFactory(AuditRunFactory, **_PASS_DOWN)
    worker = "factory"

    @classmethod
    def _create(cls, model_class, *, run, worker, **_):
        audit_run_execute(run_id=run.pk, worker=worker)
        return AuditReport.objects.get(run=run)
