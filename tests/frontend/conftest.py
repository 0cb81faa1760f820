"""Page fixtures: a logged-in test client per persona, a viewer in the personas' workspace, and Chromium."""

import os
import shutil

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


CHROMIUM = "/usr/bin/chromium"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture
def browser_page():
    """A page of Debian's Chromium (the browser tier)."""
    if not shutil.which(CHROMIUM):
        pytest.fail("Debian's chromium is required for browser tests: run `make browser`")
    # Playwright's sync API runs an event loop in this thread; the ORM calls are ours and synchronous.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = browser.new_page()
        yield page
        browser.close()

