"""The gunicorn settings the image ships (auditplatform/gunicorn.py) are the ones docker/README.md documents."""

import importlib
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
