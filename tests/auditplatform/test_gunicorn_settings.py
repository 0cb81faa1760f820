"""The gunicorn settings the image ships (auditplatform/gunicorn.py) are the ones docker/README.md documents."""

import importlib
import os
import subprocess
import sys
from pathlib import Path

import auditplatform.gunicorn

ROOT = Path(__file__).resolve().parents[2]
VARIABLES = (
    "WEB_CONCURRENCY",
    "GUNICORN_TIMEOUT",
    "GUNICORN_GRACEFUL_TIMEOUT",
    "GUNICORN_MAX_REQUESTS",
    "GUNICORN_MAX_REQUESTS_JITTER",
    "GUNICORN_BIND",
    "GUNICORN_PRELOAD",
)


def test_the_documented_gunicorn_defaults_are_the_shipped_ones(monkeypatch):
    for name in VARIABLES:
        monkeypatch.delenv(name, raising=False)
    shipped = importlib.reload(auditplatform.gunicorn)
    readme = (ROOT / "docker" / "README.md").read_text()

    assert f"| `WEB_CONCURRENCY` | {shipped.workers} |" in readme
    assert f"| `GUNICORN_TIMEOUT` | {shipped.timeout} s |" in readme
    assert f"| `GUNICORN_GRACEFUL_TIMEOUT` | {shipped.graceful_timeout} s |" in readme
    requests, jitter = f"{shipped.max_requests:,}", f"{shipped.max_requests_jitter:,}"
    assert f"| `GUNICORN_MAX_REQUESTS` / `_JITTER` | {requests} / {jitter} |" in readme
    assert f"| `GUNICORN_BIND` | `{shipped.bind}` |" in readme
    assert f"| `GUNICORN_PRELOAD` | {str(shipped.preload_app).lower()} |" in readme
    assert shipped.timeout > 30  # above gunicorn's own default, which killed uploads half way (issue 14)


def test_the_environment_overrides_each_gunicorn_setting(monkeypatch):
    monkeypatch.setenv("WEB_CONCURRENCY", "5")
    monkeypatch.setenv("GUNICORN_TIMEOUT", "45")
    monkeypatch.setenv("GUNICORN_MAX_REQUESTS", "10")
    try:
        shipped = importlib.reload(auditplatform.gunicorn)
        assert (shipped.workers, shipped.timeout, shipped.max_requests) == (5, 45, 10)
    finally:
        monkeypatch.undo()
        importlib.reload(auditplatform.gunicorn)


def test_importing_the_application_opens_no_connection_a_forked_worker_would_share():
    """preload_app: the master imports the WSGI application, then forks the workers; a database or Redis socket
    opened at import would be shared by every worker (their queries would interleave on it)."""
    probe = (
        "import gc, socket, auditplatform.wsgi\n"
        "from django.db import connections\n"
        "assert all(c.connection is None for c in connections.all()), 'a database connection is open'\n"
        "sockets = [o for o in gc.get_objects() if isinstance(o, socket.socket) and o.fileno() != -1]\n"
        "assert not sockets, sockets\n"
        "print('no connection')\n"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "auditplatform.settings.production",
        "DJANGO_SECRET_KEY": "x" * 50,
        "DJANGO_ALLOWED_HOSTS": "localhost",
        "DATABASE_URL": os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/auditplatform"),
        "CELERY_BROKER_URL": "redis://127.0.0.1:6379/15",
        "AUDIT_SIGNING_KEY": "",
    }
    done = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and "no connection" in done.stdout, done.stderr[-2000:]
