"""Workspaces, memberships and the role checks every other service uses."""

from django.contrib.auth import get_user_model
from django.db import transaction

from audits.choices import EventAction, Role
from audits.exceptions import ApplicationError, NotFoundError, PermissionDeniedError
from audits.models import Membership, Workspace

from .events import event_record

# Roles allowed to create datasets, models, plans and runs.
WRITE_ROLES = (Role.AUDITOR, Role.ADMIN)
# Every member reads: reports, their exports and the run's artifacts.
READ_ROLES = tuple(Role)


def workspace_role(*, user, workspace: Workspace) -> str | None:
    if not user.is_authenticated:
        return None
    return Membership.objects.filter(workspace=workspace, user=user).values_list("role", flat=True).first()


def workspace_require_role(*, user, workspace: Workspace, roles=WRITE_ROLES) -> str:
    """Return the user's role, or raise: NotFoundError for non-members (404), PermissionDeniedError (403)."""
    role = workspace_role(user=user, workspace=workspace)
    if role is None:
        raise NotFoundError("Workspace not found.", field="workspace")
    if role not in roles:
        allowed = ", ".join(str(r) for r in roles)
        raise PermissionDeniedError(f"Your role in this workspace is '{role}'; this action needs one of: {allowed}.")
    return role


@transaction.atomic
def workspace_create(*, name: str, slug: str, owner) -> Workspace:
    """Create a workspace with `owner` as admin. Writes events workspace.created and membership.set.

    Raises ApplicationError (field "slug") when the slug is taken; nothing is written then."""
    if Workspace.objects.filter(slug=slug).exists():
        raise ApplicationError(f"The workspace slug '{slug}' is taken.", field="slug")
    workspace = Workspace.objects.create(name=name, slug=slug)
    event_record(
        action=EventAction.WORKSPACE_CREATED, obj=workspace, actor=owner, workspace=workspace, after={"slug": slug}
    )
    membership_set(workspace=workspace, user=owner, role=Role.ADMIN, actor=owner)
    return workspace


@transaction.atomic
def membership_set(*, workspace: Workspace, user, role: str, actor) -> Membership:
    """Give `user` a role in `workspace` (create or change). Writes event membership.set with before/after."""
    membership = Membership.objects.filter(workspace=workspace, user=user).first()
    before = {"role": membership.role} if membership else None
    if membership is None:
        membership = Membership.objects.create(workspace=workspace, user=user, role=role)
    else:
        membership.role = role
        membership.save(update_fields=["role"])
    event_record(
        action=EventAction.MEMBERSHIP_SET,
        obj=membership,
        actor=actor,
        workspace=workspace,
        before=before,
        after={"user": user.get_username(), "role": str(role)},
    )
    return membership


def user_get_or_create(*, username: str, password: str | None = None, email: str = ""):
    """A helper for seeding and the CLI (not an API action)."""
    User = get_user_model()
    user, created = User.objects.get_or_create(username=username, defaults={"email": email})
    if created or password:
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save()
    return user
