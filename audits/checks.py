"""System checks: a deployment that cannot sign reports refuses to start (every audit would fail otherwise)."""

from pathlib import Path

from django.conf import settings
from django.core.checks import Error, register


@register()
def signing_key_configured(app_configs=None, **kwargs) -> list[Error]:
    inline = getattr(settings, "AUDIT_SIGNING_KEY", "") or ""
    path = getattr(settings, "AUDIT_SIGNING_KEY_FILE", "") or ""
    if inline or getattr(settings, "AUDIT_SIGNING_KEY_AUTOGENERATE", None):
        return []
    hint = (
        "Set AUDIT_SIGNING_KEY_FILE to a PEM Ed25519 private key (create one with "
        "`openssl genpkey -algorithm ed25519 -out PATH` or `python manage.py signing_key --generate PATH`); "
        "with docker/compose.yaml, put it at docker/secrets/audit_signing_key."
    )
    if not path:
        return [
            Error("No report signing key is configured: every audit would fail to sign.", hint=hint, id="audits.E001")
        ]
    if not Path(path).is_file():
        return [
            Error(f"The report signing key file {path} does not exist or is not a file.", hint=hint, id="audits.E002")
        ]
    try:
        Path(path).read_bytes()
    except OSError as exc:
        return [
            Error(f"The report signing key file {path} cannot be read ({exc.strerror}).", hint=hint, id="audits.E003")
        ]
    return []
