"""gunicorn settings for the web process (`gunicorn -c python:auditplatform.gunicorn auditplatform.wsgi`).

Each value can be changed through the environment without rebuilding the image.
"""

import os

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
# Synchronous workers: a request holds one worker. Two by default (the size of a small host); WEB_CONCURRENCY
# raises it. Reads are cheap; uploads are bounded by AUDIT_UPLOAD_MAX_BYTES.
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
# Uploads above AUDIT_INGEST_INLINE_MAX_BYTES are validated by a Celery worker, not here, but a 200 MB upload still
# streams to storage and the smaller ones are parsed in the request: two minutes (not gunicorn's 30 s), then the
# worker is replaced and the client gets 502.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "120"))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "30"))
keepalive = 5
# The application is imported once, in the master, and each worker is forked from it (nothing opens a database or
# Redis connection at import: tests/auditplatform/test_gunicorn_settings.py checks). A worker then starts in
# milliseconds instead of re-importing Django, torch-free as it is, for a second or more of CPU, and the workers
# share the imported code's memory. Code changes need a restart (not HUP) of the master.
preload_app = os.environ.get("GUNICORN_PRELOAD", "true").strip().lower() not in ("0", "false", "no", "off")
# Recycle workers now and then so memory that a large upload left behind is given back to the system. Every
# 10,000 requests: at 1,000, under load each worker was replaced every few seconds (a cold start each time).
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "10000"))
max_requests_jitter = int(os.environ.get("GUNICORN_MAX_REQUESTS_JITTER", "1000"))
# Request line and header limits (gunicorn's own defaults, stated): an oversized header answers 400.
limit_request_line = 4094
limit_request_fields = 100
limit_request_field_size = 8190
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None
accesslog = "-"
errorlog = "-"
