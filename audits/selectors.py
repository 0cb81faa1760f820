"""Reads of the audit domain. Every selector starts from the requesting user's workspaces."""

from datetime import datetime
from pathlib import Path

from django.conf import settings
from django.core.files.storage import default_storage
from django.db.models import Q, QuerySet
from django.utils import timezone
from knox.models import AuthToken

from audits import schedule_rules
from audits.choices import EventObjectType, ReviewStatus, Role
from audits.constants import PLAN_DEFAULTS
from audits.models import (
    AuditEvent,
    AuditPlan,
    AuditReport,
    AuditRun,
    AuditSchedule,
    Dataset,
    Membership,
    ModelArtifact,
    ProtectedAttribute,
    ReportAccess,
    ReportReview,
    WebhookDelivery,
    WebhookEndpoint,
    Workspace,
    WorkspaceLexicon,
)
from audits.services.reviews import DECIDERS, OPEN
from audits.services.workspaces import WRITE_ROLES


def workspace_list(*, user) -> QuerySet[Workspace]:
    if not user.is_authenticated:
        return Workspace.objects.none()
    return Workspace.objects.filter(memberships__user=user).distinct()


def workspace_roles(*, user) -> dict[int, str]:
    """The user's role in each of their workspaces, by workspace id."""
    if not user.is_authenticated:
        return {}
    return dict(Membership.objects.filter(user=user).values_list("workspace_id", "role"))


def workspace_writable_list(*, user) -> QuerySet[Workspace]:
    """The user's workspaces where their role may create datasets, models, plans and runs."""
    if not user.is_authenticated:
        return Workspace.objects.none()
    return Workspace.objects.filter(memberships__user=user, memberships__role__in=WRITE_ROLES).distinct()


def _workspace_ids(user):
    return Membership.objects.filter(user=user).values("workspace_id") if user.is_authenticated else []


def dataset_list(*, user) -> QuerySet[Dataset]:
    return Dataset.objects.filter(workspace_id__in=_workspace_ids(user)).select_related("workspace")


def protected_attribute_list(*, user) -> QuerySet[ProtectedAttribute]:
    return ProtectedAttribute.objects.filter(dataset__workspace_id__in=_workspace_ids(user)).select_related("dataset")


def model_list(*, user) -> QuerySet[ModelArtifact]:
    return ModelArtifact.objects.filter(workspace_id__in=_workspace_ids(user)).select_related("workspace")


def dataset_versions(*, user, dataset: Dataset) -> QuerySet[Dataset]:
    """Every version of `dataset`'s name in its workspace, newest first (empty outside the user's workspaces)."""
    return dataset_list(user=user).filter(workspace_id=dataset.workspace_id, name=dataset.name).order_by("-version")


def model_versions(*, user, model: ModelArtifact) -> QuerySet[ModelArtifact]:
    """Every version of `model`'s name in its workspace, newest first (empty outside the user's workspaces)."""
    return model_list(user=user).filter(workspace_id=model.workspace_id, name=model.name).order_by("-version")


def lexicon_list(*, user) -> QuerySet[WorkspaceLexicon]:
    return WorkspaceLexicon.objects.filter(workspace_id__in=_workspace_ids(user)).select_related("workspace")


def audit_plan_list(*, user) -> QuerySet[AuditPlan]:
    return (
        AuditPlan.objects.filter(workspace_id__in=_workspace_ids(user))
        .select_related("workspace", "dataset", "model")
        .prefetch_related("attributes")
    )


def audit_schedule_list(*, user) -> QuerySet[AuditSchedule]:
    return AuditSchedule.objects.filter(workspace_id__in=_workspace_ids(user)).select_related(
        "workspace", "plan", "owner", "periodic_task", "last_run"
    )


def schedule_next_run(*, schedule: AuditSchedule, now: datetime | None = None) -> datetime | None:
    """When beat fires `schedule` next (None while paused): from the time beat last sent it, or when its row last
    changed (beat's own starting point); a passed time means now (missed periods are caught up once)."""
    task = schedule.periodic_task
    if not schedule.enabled or task is None:
        return None
    now = now or timezone.now()
    last = task.last_run_at or task.date_changed or now
    rule = {k: getattr(schedule, k) for k in ("kind", "cron", "every_seconds", "timezone")}
    return schedule_rules.next_run(**rule, last=last, now=now)


def schedule_rule_words(*, schedule: AuditSchedule) -> str:
    """The schedule's rule in words, e.g. "At 06:00, only on Monday (Europe/Berlin)"."""
    return schedule_rules.describe(
        kind=schedule.kind, cron=schedule.cron, every_seconds=schedule.every_seconds, timezone=schedule.timezone
    )


def audit_run_list(*, user) -> QuerySet[AuditRun]:
    return AuditRun.objects.filter(workspace_id__in=_workspace_ids(user)).select_related(
        "workspace", "plan", "requested_by", "report"
    )


def audit_report_list(*, user) -> QuerySet[AuditReport]:
    return AuditReport.objects.filter(workspace_id__in=_workspace_ids(user)).select_related("workspace", "run")


def audit_event_list(
    *, user, workspace: Workspace | None = None, action: str = "", actor: str = "", object_type: str = ""
) -> QuerySet[AuditEvent]:
    """Trail events of the user's workspaces, newest first; each filter narrows it when given (actor: the
    actor's label, i.e. the username, or the worker/system label of events no user made)."""
    events = AuditEvent.objects.filter(workspace_id__in=_workspace_ids(user)).select_related("workspace")
    if workspace is not None:
        events = events.filter(workspace=workspace)
    if action:
        events = events.filter(action=action)
    if actor:
        events = events.filter(actor_label=actor)
    if object_type:
        events = events.filter(object_type=object_type)
    return events.order_by("-id")


def account_event_list(*, user) -> QuerySet[AuditEvent]:
    """Trail events about the user's own account (API tokens), which belong to no workspace; newest first."""
    if not user.is_authenticated:
        return AuditEvent.objects.none()
    return AuditEvent.objects.filter(
        workspace__isnull=True, object_type=EventObjectType.USER, object_id=str(user.pk)
    ).order_by("-id")


def dataset_group_sizes(*, dataset: Dataset, min_group_size: int = PLAN_DEFAULTS.min_group_size) -> list[dict]:
    """Each protected attribute of `dataset` with its groups' row counts (from the profile stored at upload),
    flagging the groups under `min_group_size`: their metrics will be insufficient data."""
    rows = []
    for attribute in dataset.protected_attributes.order_by("name"):
        stored = (dataset.profile.get("protected") or {}).get(attribute.column, {})
        sizes = stored.get("group_sizes", {})
        groups = [
            {"name": group, "size": sizes.get(group), "small": sizes.get(group, 0) < min_group_size}
            for group in attribute.groups
        ]
        rows.append(
            {
                "attribute": attribute,
                "groups": groups,
                "missing": stored.get("missing_rows", 0),
                "small": [g["name"] for g in groups if g["small"]],
            }
        )
    return rows


def review_list(*, user) -> QuerySet[ReportReview]:
    return ReportReview.objects.filter(workspace_id__in=_workspace_ids(user)).select_related("report", "workspace")


def review_awaiting_list(*, user) -> QuerySet[ReportReview]:
    """Open reviews (submitted or in review) the user may decide: in workspaces where they are a reviewer or an
    admin, of reports they neither requested nor submitted (the rule of audits.services.reviews)."""
    if not user.is_authenticated:
        return ReportReview.objects.none()
    deciding = Membership.objects.filter(user=user, role__in=DECIDERS).values("workspace_id")
    return (
        ReportReview.objects.filter(workspace_id__in=deciding, status__in=OPEN)
        .exclude(report__run__requested_by=user)
        .exclude(submitted_by=user)
        .select_related("report__run__plan", "workspace", "submitted_by")
        .order_by("created_at", "id")
    )


def plan_last_approved_report(*, plan: AuditPlan, before: AuditReport | None = None) -> AuditReport | None:
    """The plan's latest approved report (older than `before` when given): the baseline a new run of the plan is
    compared with for regressions, and what a reviewer compares against. A worker's read, on behalf of the plan's
    own workspace (no user), so it takes the plan itself rather than a user's scope.

    A successor plan (re-audit on a new model or dataset version) continues its predecessors: their approved
    reports count too, so the first audit of a new version is compared with the last approved one of the old.
    """
    lineage, seen, current = [], set(), plan
    while current is not None and current.pk not in seen:  # the chain of `previous` plans, newest first
        seen.add(current.pk)
        lineage.append(current.pk)
        current = current.previous
    approved = AuditReport.objects.filter(run__plan_id__in=lineage, review__status=ReviewStatus.APPROVED)
    if before is not None:
        approved = approved.filter(created_at__lt=before.created_at).exclude(pk=before.pk)
    return approved.select_related("run").order_by("-created_at", "-id").first()


def previous_approved_report(*, report: AuditReport) -> AuditReport | None:
    """The latest approved report of the same plan, older than `report` (what a reviewer compares against)."""
    return plan_last_approved_report(plan=report.run.plan, before=report)


_UNKNOWN = object()


def report_trail_filter(report: AuditReport, *, review_id=_UNKNOWN) -> Q:
    """Events about the report, its review and its run (`review_id`: the report's review, or None for none, when
    the caller has it already)."""
    about = Q(object_type=EventObjectType.REPORT, object_id=str(report.pk)) | Q(
        object_type=EventObjectType.RUN, object_id=str(report.run_id)
    )
    if review_id is _UNKNOWN:
        review_id = ReportReview.objects.filter(report=report).values_list("pk", flat=True).first()
    if review_id is not None:
        about |= Q(object_type=EventObjectType.REVIEW, object_id=str(review_id))
    return about


def report_trail(*, user, report: AuditReport, review_id=_UNKNOWN) -> QuerySet[AuditEvent]:
    """The trail of one report: events about the report, its review and its run, oldest first (the user's
    workspaces only, so a report outside them has an empty trail)."""
    about = report_trail_filter(report, review_id=review_id)
    return audit_event_list(user=user).filter(about).select_related("actor").order_by("id")


def report_access_count(*, user, report: AuditReport) -> int:
    """How many times the report was opened (its access-log rows; 0 for a report outside the user's workspaces)."""
    return ReportAccess.objects.filter(report=report, workspace__in=workspace_list(user=user)).count()


def report_comparable_list(*, user, report: AuditReport) -> QuerySet[AuditReport]:
    """The user's other reports of the same model as `report` (what report_compare accepts), newest first."""
    return (
        audit_report_list(user=user)
        .filter(run__plan__model_id=report.run.plan.model_id)
        .exclude(pk=report.pk)
        .select_related("run__plan")
        .order_by("-created_at", "-id")
    )


def membership_list(*, user, workspace: Workspace) -> QuerySet[Membership]:
    """The members of `workspace` with their roles (empty unless the user is a member of it)."""
    if not workspace_list(user=user).filter(pk=workspace.pk).exists():
        return Membership.objects.none()
    return Membership.objects.filter(workspace=workspace).select_related("user").order_by("user__username")


def api_token_list(*, user) -> QuerySet[AuthToken]:
    """The user's live API tokens (an expired token is deleted on its next use and is not listed), newest first,
    with their scope row (`platform_scope`; missing for a token made outside the platform: read-only)."""
    if not user.is_authenticated:
        return AuthToken.objects.none()
    return (
        AuthToken.objects.filter(user=user)
        .filter(Q(expiry__isnull=True) | Q(expiry__gt=timezone.now()))
        .select_related("platform_scope")
        .order_by("-created", "-token_key")
    )


def workspace_admin_list(*, user) -> QuerySet[Workspace]:
    """The user's workspaces where they are admin (who manage members and webhooks)."""
    if not user.is_authenticated:
        return Workspace.objects.none()
    return Workspace.objects.filter(memberships__user=user, memberships__role=Role.ADMIN).distinct()


def webhook_endpoint_list(*, user) -> QuerySet[WebhookEndpoint]:
    """Webhook endpoints of the workspaces the user administers: only admins see receivers and their secrets."""
    return WebhookEndpoint.objects.filter(workspace__in=workspace_admin_list(user=user)).select_related("workspace")


def webhook_delivery_list(*, user, endpoint: WebhookEndpoint | None = None) -> QuerySet[WebhookDelivery]:
    """The delivery log of the user's endpoints (newest first), of one endpoint when given."""
    deliveries = WebhookDelivery.objects.filter(endpoint__in=webhook_endpoint_list(user=user))
    if endpoint is not None:
        deliveries = deliveries.filter(endpoint=endpoint)
    return deliveries.select_related("endpoint")


# Storage a workspace occupies (the quota's usage, services.storage): read from what is stored, never a counter.
def _size(name: str) -> int:
    try:
        return default_storage.size(name)
    except OSError:  # a file removed behind the platform's back occupies nothing
        return 0


def _uploaded_folder(model: ModelArtifact) -> bool:
    media = Path(settings.MEDIA_ROOT).resolve()
    return bool(model.path) and Path(model.path).resolve().is_relative_to(media)


def workspace_storage_used(*, workspace: Workspace) -> int:
    """Bytes the workspace's stored datasets and models occupy."""
    files = Dataset.objects.filter(workspace=workspace).exclude(file="").values_list("file", flat=True)
    used = sum(_size(name) for name in files)  # a refused upload's file is removed: it has none
    for model in ModelArtifact.objects.filter(workspace=workspace).only("file", "path", "config"):
        if model.file:
            used += _size(model.file.name)
        elif _uploaded_folder(model):
            used += int((model.config or {}).get("bytes") or 0)
    return used
