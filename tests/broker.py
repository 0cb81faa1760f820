"""A real broker outage for the process under test: its Celery app publishes to a port where nothing listens.

Publishing then fails with a real connection error (nothing is mocked in the publish path); the app's pool references
are reset on entry and exit so the next publish after the block reaches the real broker again.
"""

import socket
from contextlib import contextmanager


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]  # released on close: nothing listens there afterwards


def _reset_pools(app) -> None:
    # Drop the app's references only: kombu keeps its pools per connection URL, so the real broker's pool (still
    # open) is found again after the block.
    app._pool = None
    app.amqp._producer_pool = None


@contextmanager
def broker_down():
    from auditplatform.celery import app

    # The write URL: CELERY_BROKER_URL in the environment (as tests and CI set it) outranks conf.broker_url.
    saved = app.conf.get("broker_write_url")
    _reset_pools(app)
    app.conf.broker_write_url = f"redis://127.0.0.1:{_closed_port()}/0"
    try:
        yield
    finally:
        _reset_pools(app)
        app.conf.broker_write_url = saved
