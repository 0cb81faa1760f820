"""Settings shared by every environment. Environment-specific modules import * from here."""

from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()

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
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
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
]

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
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
AUDIT_MODEL_MAX_BYTES = env.int("AUDIT_MODEL_MAX_BYTES", default=500 * 1024 * 1024)
# A zipped model folder may expand to at most this many bytes (zip bombs are refused before extraction).
AUDIT_MODEL_MAX_EXPANDED_BYTES = env.int("AUDIT_MODEL_MAX_EXPANDED_BYTES", default=2 * 1024 * 1024 * 1024)
# Folders on the server that may be registered by path (e.g. a shared model store); nothing else is.
AUDIT_MODEL_PATH_ROOTS = env.list("AUDIT_MODEL_PATH_ROOTS", default=[])
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

# Bearer token Prometheus sends to scrape /metrics (latest approved fairness values, run counts and timings across
# every workspace). Empty: the endpoint is off (404).
AUDIT_METRICS_TOKEN = env("AUDIT_METRICS_TOKEN", default="")

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.LimitOffsetPagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "audits.api.exceptions.api_exception_handler",
    # `?format=` names an export format (/reports/{id}/export?format=pdf), not a DRF renderer.
    "URL_FORMAT_OVERRIDE": None,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Fairness audit platform API",
    "DESCRIPTION": "Datasets, models, audit plans, runs and immutable reports, scoped to your workspaces.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # Swagger UI and ReDoc assets are served from the installed sidecar package: the docs work offline.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
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
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 4000}
# Results are kept only where needed (the chunk counts a chord gathers); the rest is in the database.
CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND", default=None)
CELERY_TASK_IGNORE_RESULT = True
CELERY_RESULT_EXPIRES = 86400
CELERY_BEAT_SCHEDULE = {
    "sweep-stalled-audit-runs": {"task": "audits.tasks.audit_runs_sweep_task", "schedule": 60.0},
}
# A running audit writes a heartbeat; the sweeper requeues runs silent for longer than this.
AUDIT_HEARTBEAT_TIMEOUT_SECONDS = env.int("AUDIT_HEARTBEAT_TIMEOUT_SECONDS", default=300)
AUDIT_MAX_ATTEMPTS = 3
# Datasets are stored in Parquet row groups of this many rows; an audit counts one chunk of
# AUDIT_CHUNK_ROW_GROUPS row groups at a time, fanned out over workers (a chord) when AUDIT_FANOUT is on
# and a result backend is configured.
AUDIT_PARQUET_ROW_GROUP_ROWS = env.int("AUDIT_PARQUET_ROW_GROUP_ROWS", default=1_000_000)
AUDIT_CHUNK_ROW_GROUPS = env.int("AUDIT_CHUNK_ROW_GROUPS", default=1)
AUDIT_FANOUT = env.bool("AUDIT_FANOUT", default=True)

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
