"""Test settings: real PostgreSQL and Redis (started by `make test`)."""

from .base import *  # noqa: F403
from .base import env, postgres_options

DEBUG = False
SECRET_KEY = "test-only-key"
DATABASES = {
    "default": postgres_options(env.db("DATABASE_URL", default="postgres://postgres@127.0.0.1:5432/auditplatform")),
}
# Redis database 15 keeps test messages away from a developer's own broker.
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="redis://127.0.0.1:6379/15")
CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND", default="redis://127.0.0.1:6379/15")
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast users in tests
AUDIT_CODE_VERSION = "test"
# TEST ONLY: a fixed, public Ed25519 seed (base64 of sha256("fairness-audit platform: test-only signing key")),
# so signatures are deterministic. Never use it anywhere else.
AUDIT_SIGNING_KEY = "Z2GGqo92OC5Ymx8gvu33Lz+f2nJCwf7QcVKMaICBa2A="
AUDIT_SIGNING_KEY_FILE = ""
# Predictions are cached in real Redis (database 14), as in production.
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "predictions": env.cache_url("AUDIT_PREDICTION_CACHE_URL", default="rediscache://127.0.0.1:6379/14"),
}
# Throttle counters in this process (tests/conftest.py empties them before each test); the throttle tests point
# this alias at real Redis, as in production.
CACHES["throttle"] = {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "throttle"}
# Webhook tests run receivers on 127.0.0.1; retries come quickly (0.2 s, 0.4 s) and attempts run out at 3.
AUDIT_WEBHOOK_ALLOW_PRIVATE_ADDRESSES = True
AUDIT_WEBHOOK_RETRY_BASE_SECONDS = env.float("AUDIT_WEBHOOK_RETRY_BASE_SECONDS", default=0.2)
AUDIT_WEBHOOK_MAX_ATTEMPTS = env.int("AUDIT_WEBHOOK_MAX_ATTEMPTS", default=3)
AUDIT_WEBHOOK_READ_TIMEOUT = env.float("AUDIT_WEBHOOK_READ_TIMEOUT", default=1.0)
AUDIT_PUBLIC_URL = "http://testserver"
