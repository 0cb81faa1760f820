"""gunicorn settings for the web process (`gunicorn -c python:auditplatform.gunicorn auditplatform.wsgi`).

Each value can be changed through the environment without rebuilding the image.
"""

import os

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
# Synchronous workers: a request holds one worker. Two by default (the size of a small host); WEB_CONCURRENCY
# raises it. Reads are cheap; uploads are bounded by AUDIT_UPLOAD_MAX_BYTES.
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
# An upload at the size limit is parsed and profiled in the request (about 30 s for 200 MB on 2 cores): the
# default 30 s would kill it half way. Two minutes, then the worker is replaced and the client gets 502.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "120"))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "30"))
keepalive = 5
# Recycle workers now and then so memory that a large upload left behind is given back to the system.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "1000"))
max_requests_jitter = int(os.environ.get("GUNICORN_MAX_REQUESTS_JITTER", "100"))
# Request line and header limits (gunicorn's own defaults, stated): an oversized header answers 400.
limit_request_line = 4094
limit_request_fields = 100
limit_request_field_size = 8190
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None
accesslog = "-"
errorlog = "-"
