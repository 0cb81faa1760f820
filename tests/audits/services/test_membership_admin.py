"""Members managed by a workspace admin: add by username, change a role, remove; each in the trail, and a
workspace never loses its last admin. Refusals write nothing."""

import pytest

from audits.choices import Role
from audits.exceptions import ApplicationError, NotFoundError, PermissionDeniedError
from audits.models import AuditEvent, Membership
from audits.services.workspaces import membership_add, membership_change_role, membership_remove, membership_set
from tests.audits.factories import UserFactory


@pytest.fixture
def admin(workspace, auditor):
    user = UserFactory(username="ada-admin")
    membership_set(workspace=workspace, user=user, role=Role.ADMIN, actor=auditor)
    return user


def _unchanged(workspace):
    return AuditEvent.objects.count(), list(Membership.objects.filter(workspace=workspace).values_list("user", "role"))


def test_an_admin_adds_an_existing_user_by_username(workspace, admin):
    newcomer = UserFactory(username="nina-new")

    membership = membership_add(workspace=workspace, username=" nina-new ", role=Role.VIEWER, actor=admin)

    assert (membership.user, membership.role) == (newcomer, Role.VIEWER)
    event = AuditEvent.objects.filter(action="membership.set").latest("id")
    assert (event.actor_id, event.workspace_id, event.object_id) == (admin.pk, workspace.pk, str(membership.pk))
    assert (event.before, event.after) == (None, {"user": "nina-new", "role": "viewer"})


@pytest.mark.parametrize(
    ("username", "message"), [("nobody", "No user is named 'nobody'"), ("rita-reviewer", "already a member")]
)
def test_adding_an_unknown_user_or_a_member_is_refused_on_the_username(workspace, admin, username, message):
    before = _unchanged(workspace)

    with pytest.raises(ApplicationError, match=message) as error:
        membership_add(workspace=workspace, username=username, role=Role.AUDITOR, actor=admin)

    assert error.value.field == "username"
    assert _unchanged(workspace) == before


def test_only_admins_manage_members_and_outsiders_see_no_workspace(workspace, auditor, reviewer, outsider):
    before = _unchanged(workspace)

    with pytest.raises(PermissionDeniedError):
        membership_change_role(workspace=workspace, user=reviewer, role=Role.ADMIN, actor=auditor)
    with pytest.raises(PermissionDeniedError):
        membership_remove(workspace=workspace, user=reviewer, actor=reviewer)
    with pytest.raises(NotFoundError):
        membership_add(workspace=workspace, username="oscar-outsider", role=Role.ADMIN, actor=outsider)

    assert _unchanged(workspace) == before


def test_an_admin_changes_a_role_with_before_and_after(workspace, admin, reviewer):
    membership = membership_change_role(workspace=workspace, user=reviewer, role=Role.AUDITOR, actor=admin)

    assert membership.role == Role.AUDITOR
    event = AuditEvent.objects.filter(action="membership.set").latest("id")
    assert (event.actor_id, event.before, event.after) == (
        admin.pk,
        {"role": "reviewer"},
        {"user": "rita-reviewer", "role": "auditor"},
    )


def test_an_admin_removes_a_member_and_the_trail_keeps_who_and_which_role(workspace, admin, reviewer):
    membership = Membership.objects.get(workspace=workspace, user=reviewer)

    membership_remove(workspace=workspace, user=reviewer, actor=admin)

    assert not Membership.objects.filter(workspace=workspace, user=reviewer).exists()
    event = AuditEvent.objects.get(action="membership.removed")
    assert (event.object_type, event.object_id, event.actor_id, event.workspace_id) == (
        "Membership",
        str(membership.pk),
        admin.pk,
        workspace.pk,
    )
    assert (event.before, event.after) == ({"user": "rita-reviewer", "role": "reviewer"}, None)


def test_the_last_admin_can_be_neither_removed_nor_demoted(workspace, admin):
    before = _unchanged(workspace)

    with pytest.raises(ApplicationError, match="last admin") as removed:
        membership_remove(workspace=workspace, user=admin, actor=admin)
    with pytest.raises(ApplicationError, match="last admin") as demoted:
        membership_change_role(workspace=workspace, user=admin, role=Role.VIEWER, actor=admin)

    assert (removed.value.field, demoted.value.field) == ("member", "role")
    assert _unchanged(workspace) == before


def test_an_admin_may_step_down_once_another_admin_exists(workspace, admin, reviewer):
    membership_change_role(workspace=workspace, user=reviewer, role=Role.ADMIN, actor=admin)

    membership_remove(workspace=workspace, user=admin, actor=admin)

    assert not Membership.objects.filter(workspace=workspace, user=admin).exists()
    assert AuditEvent.objects.filter(action="membership.removed", actor=admin).count() == 1


def test_a_non_member_cannot_be_removed(workspace, admin, outsider):
    before = _unchanged(workspace)

    with pytest.raises(NotFoundError, match="not a member"):
        membership_remove(workspace=workspace, user=outsider, actor=admin)

    assert _unchanged(workspace) == before
