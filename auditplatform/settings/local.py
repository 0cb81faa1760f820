"""Local and demo settings: embedded SQLite, and no broker unless one is configured.

With no CELERY_BROKER_URL the audit task runs in-process (the CLI says so). `make demo` sets
CELERY_BROKER_URL=filesystem://localhost/ so a real worker process takes the task without any server (the host
name means nothing to that transport; without one kombu warns "No hostname was supplied" on every connection).
"""

from pathlib import Path

from .base import *  # noqa: F403
from .base import BASE_DIR, CELERY_BROKER_URL, env, postgres_options

DEBUG = env.bool("DJANGO_DEBUG", default=True)
SECRET_KEY = env("DJANGO_SECRET_KEY", default="local-only-insecure-key-do-not-use-in-production")

DATABASES = {
    "default": postgres_options(env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'var' / 'demo.sqlite3'}")),
}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # WAL lets the web server, the CLI and the worker process read while one writes.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=wal; PRAGMA synchronous=normal;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
    }

BROKER_DIR = Path(env("AUDIT_BROKER_DIR", default=str(BASE_DIR / "var" / "broker")))
if CELERY_BROKER_URL and CELERY_BROKER_URL.startswith("filesystem://"):
    # kombu's filesystem transport: messages are files in one folder, no server needed.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(BROKER_DIR / "queue"),
        "data_folder_out": str(BROKER_DIR / "queue"),
        "control_folder": str(BROKER_DIR / "control"),
        "store_processed": False,
    }
    CELERY_WORKER_ENABLE_REMOTE_CONTROL = False
    # Chord results as files too, so a fanned-out audit needs no server either.
    CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND", default=f"file://{BROKER_DIR / 'results'}")
# No broker at all: run tasks in the calling process (the in-memory URL only silences kombu).
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
if CELERY_TASK_ALWAYS_EAGER:
    CELERY_BROKER_URL = "memory://"
CELERY_TASK_EAGER_PROPAGATES = False
# Without AUDIT_SIGNING_KEY(_FILE), a local/demo signing key is generated here on first use (0600) and reused.
AUDIT_SIGNING_KEY_AUTOGENERATE = BASE_DIR / "var" / "keys" / "signing-ed25519.pem"
# Local receivers (127.0.0.1) are fine on a developer's machine.
AUDIT_WEBHOOK_ALLOW_PRIVATE_ADDRESSES = env.bool("AUDIT_WEBHOOK_ALLOW_PRIVATE_ADDRESSES", default=True)
