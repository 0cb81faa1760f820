"""Settings shared by every environment. Environment-specific modules import * from here."""

from datetime import timedelta
from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()


def postgres_options(database: dict) -> dict:
    """`database` with psycopg's server-side parameter binding and prepared statements when it is PostgreSQL.

    A statement run DATABASE_PREPARE_THRESHOLD times (5) on a connection is prepared there: PostgreSQL then plans it
    once, not at every request (planning the report list's joins cost several times its execution). Set it to `off`
    behind a pooler that cannot keep prepared statements (PgBouncer before 1.21 in transaction mode)."""
    if not database.get("ENGINE", "").endswith("postgresql"):
        return database
    threshold = env("DATABASE_PREPARE_THRESHOLD", default="5").strip().lower()
    options = database.setdefault("OPTIONS", {})
    options["server_side_binding"] = True
    options["prepare_threshold"] = None if threshold in ("", "off", "none") else int(threshold)
    return database


DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "knox",
    "django_filters",
    "drf_standardized_errors",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "axes",
    "django_celery_beat",
    "audits",
    "frontend",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last, as django-axes asks: it turns a locked-out sign-in into the lockout page.
    "axes.middleware.AxesMiddleware",
]

# Sign-in throttling (django-axes): after AXES_FAILURE_LIMIT wrong passwords for one username from one address,
# that pair is locked out for AXES_COOLOFF_TIME (web login and API token requests alike); a 429 page says so.
# An administrator unlocks early with `python manage.py axes_reset_username USERNAME`.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=10)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False

# Content-Security-Policy on every response (django-csp): scripts only from our own static files (htmx, the pages'
# small scripts; no inline script, no eval), nothing framed, forms posting only here. Inline styles stay allowed:
# charts and the self-contained report rendering carry style attributes, and styles run no code.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
}

ROOT_URLCONF = "auditplatform.urls"
WSGI_APPLICATION = "auditplatform.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "frontend.context_processors.navigation",
            ],
        },
    },
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env("STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
# Uploaded datasets (stored as Parquet) live under MEDIA_ROOT; web and workers must share it.
MEDIA_ROOT = Path(env("MEDIA_ROOT", default=str(BASE_DIR / "var" / "media")))
MEDIA_URL = "media/"

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
LOGIN_URL = "/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/login/"

# Uploads are spooled to disk above 2.5 MB; the ingestion limits below bound what we accept.
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
AUDIT_UPLOAD_MAX_BYTES = env.int("AUDIT_UPLOAD_MAX_BYTES", default=200 * 1024 * 1024)
AUDIT_UPLOAD_MAX_ROWS = env.int("AUDIT_UPLOAD_MAX_ROWS", default=20_000_000)
AUDIT_UPLOAD_MAX_COLUMNS = env.int("AUDIT_UPLOAD_MAX_COLUMNS", default=2_000)
# Bounds on the table a file holds, checked from its metadata before it is read (a small Parquet file can hold a
# table of many gigabytes): rows x columns, and Parquet's uncompressed data size.
AUDIT_UPLOAD_MAX_CELLS = env.int("AUDIT_UPLOAD_MAX_CELLS", default=50_000_000)
# Storage a workspace's datasets and uploaded models may occupy in all (0: no quota); an upload past it is refused.
AUDIT_WORKSPACE_QUOTA_BYTES = env.int("AUDIT_WORKSPACE_QUOTA_BYTES", default=20 * 1024**3)
AUDIT_UPLOAD_MAX_UNCOMPRESSED_BYTES = env.int("AUDIT_UPLOAD_MAX_UNCOMPRESSED_BYTES", default=2 * 1024**3)
# Uploads above this size are never parsed by the web process: checked by their head or metadata, stored, and
# validated and profiled by a worker (the dataset is `validating`, then `ready` or `refused`).
AUDIT_INGEST_INLINE_MAX_BYTES = env.int("AUDIT_INGEST_INLINE_MAX_BYTES", default=5 * 1024 * 1024)
# A dataset `validating` for longer than this has lost its task message: the sweeper sends it again.
AUDIT_INGEST_SWEEP_AFTER_SECONDS = env.int("AUDIT_INGEST_SWEEP_AFTER_SECONDS", default=600)
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
AUDIT_MODEL_MAX_BYTES = env.int("AUDIT_MODEL_MAX_BYTES", default=500 * 1024 * 1024)
# A zipped model folder may expand to at most this many bytes (zip bombs are refused before extraction).
AUDIT_MODEL_MAX_EXPANDED_BYTES = env.int("AUDIT_MODEL_MAX_EXPANDED_BYTES", default=2 * 1024 * 1024 * 1024)
# Folders on the server that may be registered by path (e.g. a shared model store); nothing else is.
AUDIT_MODEL_PATH_ROOTS = env.list("AUDIT_MODEL_PATH_ROOTS", default=[])
# Registration loads and smoke-tests a transformers folder in a child process capped to this address space
# (RLIMIT_AS; torch alone reserves ~0.7 GB), for at most AUDIT_MODEL_LOAD_TIMEOUT_S seconds.
AUDIT_MODEL_LOAD_MAX_ADDRESS_BYTES = env.int("AUDIT_MODEL_LOAD_MAX_ADDRESS_BYTES", default=8 * 1024**3)
AUDIT_MODEL_LOAD_TIMEOUT_S = env.int("AUDIT_MODEL_LOAD_TIMEOUT_S", default=300)
# A worker repeats that capped child load once per process and model before loading the folder itself, and
# refuses the run when it fails (audits.execution.model_runner.load_preflight).
AUDIT_WORKER_LOAD_PREFLIGHT = env.bool("AUDIT_WORKER_LOAD_PREFLIGHT", default=True)
# Models the platform builds or converts itself (demo classifier, GGUF conversions).
AUDIT_BUILTIN_MODELS_DIR = Path(env("AUDIT_BUILTIN_MODELS_DIR", default=str(BASE_DIR / "var" / "models")))
# Audits that run transformers models go to this Celery queue; CPU workers consume it too unless told not to.
AUDIT_GPU_QUEUE = env("AUDIT_GPU_QUEUE", default="gpu")

# Predictions cached by (model sha256, input hash), shared by probes, metrics and re-audits (design.md §9).
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "predictions": env.cache_url(
        "AUDIT_PREDICTION_CACHE_URL",
        default=f"filecache://{BASE_DIR / 'var' / 'cache' / 'predictions'}",
    ),
}

# The code version recorded in every report (git commit in CI and images; "dev" otherwise).
AUDIT_CODE_VERSION = env("AUDIT_CODE_VERSION", default="")

# Reports are signed with an Ed25519 key from settings, never from the database (audits/signing/keys.py):
# the key itself (PEM text, or base64 of its 32-byte seed), or the path of a PEM file. Read on first use.
AUDIT_SIGNING_KEY = env("AUDIT_SIGNING_KEY", default="")
AUDIT_SIGNING_KEY_FILE = env("AUDIT_SIGNING_KEY_FILE", default="")
# Where a key is generated on first use when neither is set; None means a missing key is an error.
AUDIT_SIGNING_KEY_AUTOGENERATE = None

# The throttles' counters. A per-process cache would give every gunicorn worker its own count, so production
# points this at Redis (production.py); AUDIT_THROTTLE_CACHE_URL overrides it anywhere.
CACHES["throttle"] = env.cache_url("AUDIT_THROTTLE_CACHE_URL", default="locmemcache://throttle")

# Bearer token Prometheus sends to scrape /metrics (latest approved fairness values, run counts and timings across
# every workspace). Empty: the endpoint is off (404).
AUDIT_METRICS_TOKEN = env("AUDIT_METRICS_TOKEN", default="")

REST_FRAMEWORK = {
    # Token first: a request without credentials then answers 401 with `WWW-Authenticate: Token`.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "audits.api.auth.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    # TokenScopePermission: a read-only integration token may only read (GET, HEAD, OPTIONS).
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticated",
        "audits.api.auth.TokenScopePermission",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_standardized_errors.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "audits.api.pagination.BoundedLimitOffsetPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_THROTTLE_CLASSES": ["audits.api.throttles.UserThrottle", "audits.api.throttles.AnonThrottle"],
    # Requests per user / per anonymous client address, and password logins per address and per username.
    "DEFAULT_THROTTLE_RATES": {
        "user": env("AUDIT_API_RATE_USER", default="3000/minute"),
        "anon": env("AUDIT_API_RATE_ANON", default="120/minute"),
        "login": env("AUDIT_API_RATE_LOGIN", default="10/minute"),
        "login_username": env("AUDIT_API_RATE_LOGIN_USERNAME", default="10/minute"),
    },
    # Client addresses come from REMOTE_ADDR; behind N trusted proxies, from X-Forwarded-For (the Nth from the end).
    "NUM_PROXIES": env.int("AUDIT_NUM_PROXIES", default=None),
    # One error shape for every endpoint: {"type", "errors": [{"code", "detail", "attr"}]} (drf-standardized-errors).
    "EXCEPTION_HANDLER": "drf_standardized_errors.handler.exception_handler",
    # `?format=` names an export format (/reports/{id}/export?format=pdf), not a DRF renderer.
    "URL_FORMAT_OVERRIDE": None,
}
DRF_STANDARDIZED_ERRORS = {
    # Maps service errors (ApplicationError: 400/403/404 with their `field`) and refused writes of immutable records.
    "EXCEPTION_HANDLER_CLASS": "audits.api.exceptions.ApiExceptionHandler",
}

# API tokens (django-rest-knox): stored as SHA-512 digests, sent as `Authorization: Token <key>`.
AUDIT_TOKEN_TTL_DAYS = env.int("AUDIT_TOKEN_TTL_DAYS", default=30)  # lifetime of a token unless asked shorter/longer
AUDIT_TOKEN_MAX_TTL_DAYS = env.int("AUDIT_TOKEN_MAX_TTL_DAYS", default=365)
AUDIT_TOKEN_LIMIT_PER_USER = env.int("AUDIT_TOKEN_LIMIT_PER_USER", default=20)  # live tokens one user may hold
KNOX_TOKEN_MODEL = "knox.AuthToken"  # knox's own model; audits.ApiTokenScope adds the scope beside it
REST_KNOX = {
    "TOKEN_TTL": timedelta(days=AUDIT_TOKEN_TTL_DAYS),
    "AUTH_HEADER_PREFIX": "Token",
    "AUTO_REFRESH": False,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Fairness audit platform API",
    "DESCRIPTION": "Datasets, models, audit plans, runs and immutable reports, scoped to your workspaces. "
    "Every error has one shape: {type, errors: [{code, detail, attr}]}.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # The schema and its docs pages are for signed-in users (a session or an API token), not for anyone.
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "COMPONENT_SPLIT_REQUEST": True,
    # Swagger UI and ReDoc assets are served from the installed sidecar package: the docs work offline.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # drf-standardized-errors documents every error response; its enum hook replaces spectacular's own.
    "ENUM_NAME_OVERRIDES": {
        # Two choice sets share the field name "kind" (models, schedules): name the schedules' one.
        "ScheduleKindEnum": "audits.choices.ScheduleKind",
        "RunStatusEnum": "audits.choices.RunStatus.choices",
        "ReviewStatusEnum": "audits.choices.ReviewStatus.choices",
        "IngestStatusEnum": "audits.choices.IngestStatus.choices",
        "ValidationErrorEnum": "drf_standardized_errors.openapi_serializers.ValidationErrorEnum.choices",
        "ClientErrorEnum": "drf_standardized_errors.openapi_serializers.ClientErrorEnum.choices",
        "ServerErrorEnum": "drf_standardized_errors.openapi_serializers.ServerErrorEnum.choices",
        "ErrorCode401Enum": "drf_standardized_errors.openapi_serializers.ErrorCode401Enum.choices",
        "ErrorCode403Enum": "drf_standardized_errors.openapi_serializers.ErrorCode403Enum.choices",
        "ErrorCode404Enum": "drf_standardized_errors.openapi_serializers.ErrorCode404Enum.choices",
        "ErrorCode405Enum": "drf_standardized_errors.openapi_serializers.ErrorCode405Enum.choices",
        "ErrorCode406Enum": "drf_standardized_errors.openapi_serializers.ErrorCode406Enum.choices",
        "ErrorCode415Enum": "drf_standardized_errors.openapi_serializers.ErrorCode415Enum.choices",
        "ErrorCode429Enum": "drf_standardized_errors.openapi_serializers.ErrorCode429Enum.choices",
        "ErrorCode500Enum": "drf_standardized_errors.openapi_serializers.ErrorCode500Enum.choices",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_standardized_errors.openapi_hooks.postprocess_schema_enums",
        # List items' errors (`attr` "events.0") and whole-request refusals (`attr` null) as the API answers them.
        "audits.api.schema_errors.postprocess_error_attrs",
    ],
}

# Celery: the broker URL comes from the environment. Tasks are acknowledged after they finish
# (acks_late) and a worker takes one message at a time, so a crash redelivers the work.
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default=None)
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_DEFAULT_QUEUE = env("CELERY_DEFAULT_QUEUE", default="default")
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=3600)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=3900)
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Redis redelivers an unacknowledged message after this many seconds; longer than the hard limit.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 4000, "socket_connect_timeout": 3}
# Results are kept only where needed (the chunk counts a chord gathers); the rest is in the database.
CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND", default=None)
CELERY_TASK_IGNORE_RESULT = True
CELERY_RESULT_EXPIRES = 86400
# Webhook deliveries go to their own queue, so a slow receiver never holds up an audit (design.md section 7).
AUDIT_WEBHOOK_QUEUE = env("AUDIT_WEBHOOK_QUEUE", default="io")
CELERY_TASK_ROUTES = {
    "audits.tasks.webhook_delivery_send_task": {"queue": AUDIT_WEBHOOK_QUEUE},
    "audits.tasks.webhook_deliveries_sweep_task": {"queue": AUDIT_WEBHOOK_QUEUE},
}
CELERY_BEAT_SCHEDULE = {
    "sweep-stalled-audit-runs": {"task": "audits.tasks.audit_runs_sweep_task", "schedule": 60.0},
    # Fold the report access log into the trail (one event per workspace and batch) and sign the head.
    "checkpoint-the-trail": {"task": "audits.tasks.trail_checkpoint_task", "schedule": 60.0},
    "sweep-stalled-webhook-deliveries": {"task": "audits.tasks.webhook_deliveries_sweep_task", "schedule": 60.0},
    "sweep-stalled-dataset-validations": {"task": "audits.tasks.dataset_ingest_sweep_task", "schedule": 120.0},
}
# Beat reads its schedule from the database (django-celery-beat): the entries above are copied there at start,
# and every audit schedule (audits.models.AuditSchedule) keeps one PeriodicTask in step.
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# The shortest interval an audit schedule may have (a cron expression fires at most once a minute anyway).
AUDIT_SCHEDULE_MIN_INTERVAL_SECONDS = env.int("AUDIT_SCHEDULE_MIN_INTERVAL_SECONDS", default=60)
# A running audit writes a heartbeat; the sweeper requeues runs silent for longer than this.
AUDIT_HEARTBEAT_TIMEOUT_SECONDS = env.int("AUDIT_HEARTBEAT_TIMEOUT_SECONDS", default=300)
AUDIT_MAX_ATTEMPTS = 3
# A QUEUED run whose message never reached the broker is sent again after this grace; one handed over longer ago
# than the timeout is sent again too (a lost message). A duplicate is harmless: the claim is conditional.
AUDIT_ENQUEUE_GRACE_SECONDS = env.int("AUDIT_ENQUEUE_GRACE_SECONDS", default=30)
AUDIT_QUEUED_TIMEOUT_SECONDS = env.int("AUDIT_QUEUED_TIMEOUT_SECONDS", default=900)
# Publishing gives up quickly when the broker is down (the run is kept and re-sent by the sweeper).
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.5, "interval_max": 1}
# Datasets are stored in Parquet row groups of this many rows; an audit counts one chunk of
# AUDIT_CHUNK_ROW_GROUPS row groups at a time, fanned out over workers (a chord) when AUDIT_FANOUT is on
# and a result backend is configured.
AUDIT_PARQUET_ROW_GROUP_ROWS = env.int("AUDIT_PARQUET_ROW_GROUP_ROWS", default=1_000_000)
AUDIT_CHUNK_ROW_GROUPS = env.int("AUDIT_CHUNK_ROW_GROUPS", default=1)
AUDIT_FANOUT = env.bool("AUDIT_FANOUT", default=True)

# Webhooks (Standard Webhooks): attempts per message, then the delivery is marked failed; attempt k waits
# base * 2**(k-1) seconds after attempt k-1 (30 s, 1 min, 2 min, ... about 64 min in all with the defaults).
AUDIT_WEBHOOK_MAX_ATTEMPTS = env.int("AUDIT_WEBHOOK_MAX_ATTEMPTS", default=8)
AUDIT_WEBHOOK_RETRY_BASE_SECONDS = env.float("AUDIT_WEBHOOK_RETRY_BASE_SECONDS", default=30.0)
# A pending delivery overdue by this long has lost its message (e.g. the broker was down): the sweeper resends it.
AUDIT_WEBHOOK_SWEEP_AFTER_SECONDS = env.int("AUDIT_WEBHOOK_SWEEP_AFTER_SECONDS", default=600)
# Seconds to connect to a receiver, and to wait for its answer, before the attempt counts as failed.
AUDIT_WEBHOOK_CONNECT_TIMEOUT = env.float("AUDIT_WEBHOOK_CONNECT_TIMEOUT", default=3.0)
AUDIT_WEBHOOK_READ_TIMEOUT = env.float("AUDIT_WEBHOOK_READ_TIMEOUT", default=10.0)
# Refuse receivers on private, loopback, link-local or reserved addresses (checked again at each attempt, after
# name resolution), so a webhook cannot reach the platform's own network. Local and test settings allow them.
AUDIT_WEBHOOK_ALLOW_PRIVATE_ADDRESSES = env.bool("AUDIT_WEBHOOK_ALLOW_PRIVATE_ADDRESSES", default=False)
# The platform's address as users reach it, for the links in webhook payloads.
AUDIT_PUBLIC_URL = env("AUDIT_PUBLIC_URL", default="http://127.0.0.1:8000")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    # PDF rendering logs every font subset and layout step at INFO.
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
        "weasyprint": {"level": "WARNING"},
    },
}
