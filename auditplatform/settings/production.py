"""Production settings: everything from the environment, no default for any secret."""

from .base import *  # noqa: F403
from .base import env, postgres_options

DEBUG = False
SECRET_KEY = env("DJANGO_SECRET_KEY")
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS")
DATABASES = {"default": postgres_options(env.db("DATABASE_URL"))}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
CELERY_BROKER_URL = env("CELERY_BROKER_URL")
# Chords (fanned-out audits) need a result backend; Redis serves as both by default.
CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND", default=CELERY_BROKER_URL)
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=True)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=True)
# Behind a TLS-terminating proxy that sets X-Forwarded-Proto (docker/README.md): plain HTTP is redirected to HTTPS
# and browsers are told to use HTTPS only (HSTS, one year by default). `manage.py check --deploy` is clean.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
# Preload only asks browsers to accept a submission to their preload list (hstspreload.org); nothing is sent.
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
# Shared prediction cache: the broker's Redis unless a cache URL is given.
# The signing key must come from the environment (AUDIT_SIGNING_KEY or AUDIT_SIGNING_KEY_FILE, read in base):
# nothing is generated, and signing fails with ImproperlyConfigured on first use when neither is set.
AUDIT_SIGNING_KEY_AUTOGENERATE = None
CACHES["predictions"] = env.cache_url("AUDIT_PREDICTION_CACHE_URL", default=CELERY_BROKER_URL)  # noqa: F405
# Throttle counters shared by every web worker (a per-process cache would multiply each limit by the workers).
CACHES["throttle"] = env.cache_url("AUDIT_THROTTLE_CACHE_URL", default=CELERY_BROKER_URL)  # noqa: F405
