"""Production settings pass Django's deployment checks, and refuse to start without a report signing key."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

ROOT = Path(__file__).resolve().parents[1]


def _check(tmp_path, *args: str, **extra: str) -> subprocess.CompletedProcess:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("AUDIT_SIGNING", "SECURE_", "DJANGO_ALLOW_ASYNC"))},
        "DJANGO_SETTINGS_MODULE": "auditplatform.settings.production",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(60),
        "DJANGO_ALLOWED_HOSTS": "audit.example.org",
        "DATABASE_URL": "postgres://audit@127.0.0.1:5432/audit",
        "CELERY_BROKER_URL": "redis://127.0.0.1:6379/0",
        **extra,
    }
    return subprocess.run(
        [sys.executable, "manage.py", "check", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def _key_file(tmp_path) -> str:
    path = tmp_path / "signing.pem"
    path.write_bytes(
        Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return str(path)


def test_production_settings_pass_the_deployment_checks_at_warning_level(tmp_path):
    result = _check(tmp_path, "--deploy", "--fail-level", "WARNING", AUDIT_SIGNING_KEY_FILE=_key_file(tmp_path))

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_a_signing_key(tmp_path):
    missing = _check(tmp_path)
    absent_file = _check(tmp_path, AUDIT_SIGNING_KEY_FILE=str(tmp_path / "nope.pem"))

    assert missing.returncode != 0 and "audits.E001" in missing.stderr and "openssl genpkey" in missing.stderr
    assert absent_file.returncode != 0 and "audits.E002" in absent_file.stderr


def test_plain_http_is_redirected_and_hsts_is_sent_behind_the_tls_proxy(tmp_path):
    script = (
        "import django; django.setup();"
        "from django.test import Client;"
        "c = Client(HTTP_HOST='audit.example.org');"
        "plain = c.get('/login/');"
        "tls = c.get('/login/', HTTP_X_FORWARDED_PROTO='https');"
        "print(plain.status_code, plain.get('Location'), tls.status_code, tls.get('Strict-Transport-Security'))"
    )
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("AUDIT_SIGNING", "SECURE_", "DJANGO_ALLOW_ASYNC"))},
        "DJANGO_SETTINGS_MODULE": "auditplatform.settings.production",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(60),
        "DJANGO_ALLOWED_HOSTS": "audit.example.org",
        "DATABASE_URL": "postgres://audit@127.0.0.1:5432/audit",
        "CELERY_BROKER_URL": "redis://127.0.0.1:6379/0",
        "AUDIT_SIGNING_KEY_FILE": _key_file(tmp_path),
    }
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )

    assert result.returncode == 0, result.stderr
    plain_status, location, tls_status, hsts = result.stdout.split(maxsplit=3)
    assert (plain_status, location) == ("301", "https://audit.example.org/login/")
    assert tls_status == "200" and hsts.strip() == "max-age=31536000; includeSubDomains; preload"
