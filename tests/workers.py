"""Real `celery worker` and `celery beat` processes on Redis, sharing the test database and media folder.

The `celery_workers` and `celery_beat` fixtures are offered to every test through tests/conftest.py (the
integration tier and the browser story of the whole workflow use them).
"""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parents[1]


def _environment() -> dict[str, str]:
    """What a Celery process needs to share this test's database, media folder and broker."""
    db = connection.settings_dict
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "auditplatform.settings.test",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "CELERY_RESULT_BACKEND": settings.CELERY_RESULT_BACKEND,
    }


def _start_worker(name: str, log_path: Path, queues: str, pool: str = "solo") -> subprocess.Popen:
    env = _environment()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "auditplatform",
            "worker",
            "--pool",
            pool,
            *(["--concurrency", "1"] if pool == "prefork" else []),
            "-Q",
            queues,
            "--without-gossip",
            "--without-mingle",
            "--loglevel",
            "INFO",
            "-n",
            name,
        ],
        cwd=ROOT,
        env=env,
        stdout=log_path.open("w"),
        stderr=subprocess.STDOUT,
    )
    process.name, process.log_path = name, log_path
    return process


def _purge(app) -> None:
    """Empty every queue a test worker consumes (control.purge() empties only the queues this process declared)."""
    app.control.purge()
    with app.connection_for_write() as connection:
        channel = connection.default_channel
        for queue in ("default", settings.AUDIT_GPU_QUEUE, settings.AUDIT_WEBHOOK_QUEUE):
            channel.queue_purge(queue)


@pytest.fixture
def celery_workers(transactional_db, _media_root, tmp_path):
    """Start worker processes (solo pool), wait until each answers a ping; stop them afterwards."""
    from auditplatform.celery import app

    _purge(app)  # messages left by an earlier test or an interrupted run must not reach these workers
    started: list[subprocess.Popen] = []

    def start(count: int = 1, queues: str = "default,gpu,io", pool: str = "solo") -> list[subprocess.Popen]:
        """Start `count` more workers consuming `queues`; returns every worker started so far. `pool="prefork"`
        runs tasks in a child process (concurrency 1), as production workers do."""
        for _ in range(count):
            number = len(started)
            name = f"itest{number}-{os.getpid()}@localhost"
            started.append(_start_worker(name, tmp_path / f"worker{number}.log", queues, pool))
        deadline = time.monotonic() + 60
        for process in started:
            while not app.control.ping(destination=[process.name], timeout=0.5):
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"worker {process.name} did not start:\n{process.log_path.read_text()}")
        return started

    yield start
    for process in started:
        process.terminate()
    for process in started:
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
        if os.environ.get("SHOW_WORKER_LOG"):
            sys.stderr.write(process.log_path.read_text())


@pytest.fixture
def celery_beat(transactional_db, _media_root, tmp_path):
    """Start one `celery beat` with the DatabaseScheduler (the schedule lives in the test database; the state file
    beat insists on goes to a temporary folder). Call it once the schedules exist; it is stopped afterwards."""
    started: list[subprocess.Popen] = []

    def start() -> subprocess.Popen:
        log_path = tmp_path / "beat.log"
        process = subprocess.Popen(
            [
                sys.executable, "-m", "celery", "-A", "auditplatform", "beat",
                "--scheduler", "django_celery_beat.schedulers:DatabaseScheduler",
                "--schedule", str(tmp_path / "celerybeat-schedule"),
                "--pidfile=",
                "--max-interval", "1",  # look at the database every second, not every five
                "--loglevel", "INFO",
            ],
            cwd=ROOT,
            env=_environment(),
            stdout=log_path.open("w"),
            stderr=subprocess.STDOUT,
        )  # fmt: skip
        process.log_path = log_path
        started.append(process)
        return process

    yield start
    for process in started:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
        if os.environ.get("SHOW_WORKER_LOG"):
            sys.stderr.write(process.log_path.read_text())
