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
# Row-level evidence (probe artifacts: every pair's row index and protected group) is not for viewers.
ROW_LEVEL_ROLES = (Role.AUDITOR, Role.REVIEWER, Role.ADMIN)


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
    """Give `user` a role in `workspace` (create or change). Writes event membership.set with before/after.

    A role changes after its event is written: a database trigger refuses a role no membership.set names."""
    membership = Membership.objects.filter(workspace=workspace, user=user).first()
    before = {"role": membership.role} if membership else None
    if membership is None:
        membership = Membership.objects.create(workspace=workspace, user=user, role=role)
    event_record(
        action=EventAction.MEMBERSHIP_SET,
        obj=membership,
        actor=actor,
        workspace=workspace,
        before=before,
        after={"user": user.get_username(), "role": str(role)},
    )
    if before is not None:
        membership.role = role
        membership.save(update_fields=["role"])
    return membership


def _admins_left(*, workspace: Workspace, without: Membership) -> int:
    return Membership.objects.filter(workspace=workspace, role=Role.ADMIN).exclude(pk=without.pk).count()


@transaction.atomic
def membership_add(*, workspace: Workspace, username: str, role: str, actor) -> Membership:
    """An admin adds an existing user to `workspace` with `role` (what the settings page's "Add member" does).

    Writes event membership.set (through membership_set). Raises NotFoundError / PermissionDeniedError when the
    actor is not an admin of the workspace, ApplicationError (field "username") when no user has that name or
    the user is already a member (change their role instead). Nothing is written when it raises."""
    workspace_require_role(user=actor, workspace=workspace, roles=(Role.ADMIN,))
    if role not in Role.values:
        raise ApplicationError(f"'{role}' is not a role; choose one of: {', '.join(Role.values)}.", field="role")
    user = get_user_model().objects.filter(username=username.strip()).first()
    if user is None:
        raise ApplicationError(f"No user is named '{username.strip()}'. Check the spelling.", field="username")
    if Membership.objects.filter(workspace=workspace, user=user).exists():
        raise ApplicationError(
            f"{user.get_username()} is already a member; change their role in the table.", field="username"
        )
    return membership_set(workspace=workspace, user=user, role=role, actor=actor)


@transaction.atomic
def membership_change_role(*, workspace: Workspace, user, role: str, actor) -> Membership:
    """An admin changes a member's role. Writes event membership.set (with the previous role).

    Raises NotFoundError / PermissionDeniedError when the actor is not an admin, NotFoundError when `user` is not
    a member, ApplicationError (field "role") for an unknown role or when it would leave the workspace without an
    admin. Nothing is written when it raises."""
    workspace_require_role(user=actor, workspace=workspace, roles=(Role.ADMIN,))
    if role not in Role.values:
        raise ApplicationError(f"'{role}' is not a role; choose one of: {', '.join(Role.values)}.", field="role")
    membership = Membership.objects.select_for_update().filter(workspace=workspace, user=user).first()
    if membership is None:
        raise NotFoundError(f"{user.get_username()} is not a member of {workspace.name}.", field="member")
    demoted = membership.role == Role.ADMIN and role != Role.ADMIN
    if demoted and not _admins_left(workspace=workspace, without=membership):
        raise ApplicationError(
            f"{user.get_username()} is the last admin of {workspace.name}; make another member admin first.",
            field="role",
        )
    return membership_set(workspace=workspace, user=user, role=role, actor=actor)


@transaction.atomic
def membership_remove(*, workspace: Workspace, user, actor) -> None:
    """An admin removes a member from `workspace`. Writes event membership.removed (before: user and role), then
    deletes the row (a database trigger refuses to delete a membership whose last event is not its removal).

    Raises NotFoundError / PermissionDeniedError when the actor is not an admin, NotFoundError when `user` is not a
    member, ApplicationError when they are the last admin (a workspace always keeps one). Nothing is written then."""
    workspace_require_role(user=actor, workspace=workspace, roles=(Role.ADMIN,))
    membership = Membership.objects.select_for_update().filter(workspace=workspace, user=user).first()
    if membership is None:
        raise NotFoundError(f"{user.get_username()} is not a member of {workspace.name}.", field="member")
    if membership.role == Role.ADMIN and not _admins_left(workspace=workspace, without=membership):
        raise ApplicationError(
            f"{user.get_username()} is the last admin of {workspace.name}; make another member admin first.",
            field="member",
        )
    event_record(
        action=EventAction.MEMBERSHIP_REMOVED,
        obj=membership,
        actor=actor,
        workspace=workspace,
        before={"user": user.get_username(), "role": membership.role},
    )
    membership.delete()


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
