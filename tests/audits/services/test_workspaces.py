"""Workspace services: a workspace starts with its owner as admin, every role change is in the trail with
before and after, and the role checks answer 404 to outsiders and 403 to the wrong role."""

import pytest

from audits.choices import Role
from audits.exceptions import ApplicationError, NotFoundError, PermissionDeniedError
from audits.models import AuditEvent, Membership, Workspace
from audits.services.workspaces import membership_set, workspace_create, workspace_require_role
from tests.audits.factories import MembershipFactory, UserFactory


def test_workspace_create_makes_the_owner_admin_with_both_events(db):
    owner = UserFactory()

    workspace = workspace_create(name="Lending", slug="lending", owner=owner)

    created = AuditEvent.objects.get(action="workspace.created", object_id=str(workspace.pk))
    assert (created.object_type, created.workspace_id, created.actor_id) == ("Workspace", workspace.pk, owner.pk)
    assert created.after == {"slug": "lending"}
    membership = Membership.objects.get(workspace=workspace)
    assert (membership.user, membership.role) == (owner, Role.ADMIN)
    event = AuditEvent.objects.get(action="membership.set", workspace=workspace)
    assert (event.object_type, event.object_id, event.actor_id) == ("Membership", str(membership.pk), owner.pk)
    assert (event.before, event.after) == (None, {"user": owner.username, "role": "admin"})
    assert created.id < event.id


def test_a_taken_slug_is_refused_and_nothing_is_written(workspace):
    owner = UserFactory()
    events, workspaces = AuditEvent.objects.count(), Workspace.objects.count()

    with pytest.raises(ApplicationError, match="is taken") as error:
        workspace_create(name="Another", slug=workspace.slug, owner=owner)

    assert error.value.field == "slug"

    assert (AuditEvent.objects.count(), Workspace.objects.count()) == (events, workspaces)
    assert not Membership.objects.filter(user=owner).exists()


def test_membership_set_records_a_role_change_with_before_and_after(workspace, auditor, reviewer):
    membership = membership_set(workspace=workspace, user=reviewer, role=Role.ADMIN, actor=auditor)

    assert membership.role == Role.ADMIN
    assert Membership.objects.filter(workspace=workspace, user=reviewer).count() == 1
    event = AuditEvent.objects.filter(action="membership.set", object_id=str(membership.pk)).latest("id")
    assert (event.object_type, event.actor_id, event.workspace_id) == ("Membership", auditor.pk, workspace.pk)
    assert (event.before, event.after) == ({"role": "reviewer"}, {"user": "rita-reviewer", "role": "admin"})


def test_a_new_member_has_no_before(workspace):
    membership = MembershipFactory(workspace=workspace, role=Role.VIEWER)

    event = AuditEvent.objects.get(action="membership.set", object_id=str(membership.pk))
    assert (event.before, event.after) == (None, {"user": membership.user.username, "role": "viewer"})
    assert event.actor.username == "alice-auditor"  # the workspace's owner added them


def test_role_checks_answer_404_to_outsiders_and_403_to_other_roles(workspace, outsider):
    viewer = MembershipFactory(workspace=workspace, role=Role.VIEWER).user

    with pytest.raises(NotFoundError):
        workspace_require_role(user=outsider, workspace=workspace)
    with pytest.raises(PermissionDeniedError, match="'viewer'"):
        workspace_require_role(user=viewer, workspace=workspace)
    assert workspace_require_role(user=viewer, workspace=workspace, roles=tuple(Role)) == "viewer"
