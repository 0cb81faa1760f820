"""A real `celery worker` process on Redis, sharing the test database and media folder."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def celery_worker_process(transactional_db, _media_root, tmp_path):
    """Start a worker (solo pool) and wait until it answers a ping; stop it afterwards."""
    from auditplatform.celery import app

    db = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "auditplatform.settings.test",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
    }
    log = (tmp_path / "worker.log").open("w")
    hostname = f"itest-{os.getpid()}@localhost"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "auditplatform",
            "worker",
            "--pool",
            "solo",
            "-Q",
            "default",
            "--without-gossip",
            "--without-mingle",
            "--purge",
            "--loglevel",
            "INFO",
            "-n",
            hostname,
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        while not app.control.ping(destination=[hostname], timeout=0.5):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the Celery worker did not start:\n" + (tmp_path / "worker.log").read_text())
        process.log_path = tmp_path / "worker.log"
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()
        if os.environ.get("SHOW_WORKER_LOG"):
            sys.stderr.write((tmp_path / "worker.log").read_text())
