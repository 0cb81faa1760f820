"""Page fixtures: a logged-in test client per persona, and a viewer in the personas' workspace."""

import pytest
from django.test import Client

from audits.choices import Role
from audits.services.workspaces import membership_set, user_get_or_create


@pytest.fixture
def viewer(workspace, auditor):
    user = user_get_or_create(username="vic-viewer", password="pw-vic")
    membership_set(workspace=workspace, user=user, role=Role.VIEWER, actor=auditor)
    return user


def _logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def auditor_page(auditor, workspace):
    return _logged_in(auditor)


@pytest.fixture
def viewer_page(viewer):
    return _logged_in(viewer)


@pytest.fixture
def reviewer_page(reviewer, workspace):
    return _logged_in(reviewer)


@pytest.fixture
def outsider_page(outsider, other_workspace):
    return _logged_in(outsider)
