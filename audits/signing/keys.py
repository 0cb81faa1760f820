"""The platform's Ed25519 signing key, from settings and never from the database (design.md section 7).

AUDIT_SIGNING_KEY holds the key itself (PEM text, or base64 of the 32-byte raw seed); AUDIT_SIGNING_KEY_FILE names
a PEM file. With neither, AUDIT_SIGNING_KEY_AUTOGENERATE (local and demo settings only) names a file that is
created on first use (mode 0600) and reused; production leaves it None, so a missing key is an error on first use.
The key is loaded once per process; a change of these settings (tests) clears the cache.
"""

import base64
import binascii
import logging
import os
import tempfile
from functools import cache
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.dispatch import receiver

from . import dsse

logger = logging.getLogger(__name__)

_MISSING = (
    "No report signing key: set AUDIT_SIGNING_KEY (PEM text, or base64 of a 32-byte Ed25519 seed) or "
    "AUDIT_SIGNING_KEY_FILE (path to a PEM private key). Create one with "
    "`python manage.py signing_key --generate PATH` or `openssl genpkey -algorithm ed25519 -out PATH`."
)


@cache
def signing_key() -> Ed25519PrivateKey:
    """The private key reports are signed with. Raises ImproperlyConfigured when none is configured or readable."""
    inline = getattr(settings, "AUDIT_SIGNING_KEY", "") or ""
    path = getattr(settings, "AUDIT_SIGNING_KEY_FILE", "") or ""
    if inline and path:
        raise ImproperlyConfigured("Set AUDIT_SIGNING_KEY or AUDIT_SIGNING_KEY_FILE, not both.")
    if inline:
        return _from_setting(inline)
    if path:
        return _from_file(Path(path))
    autogenerate = getattr(settings, "AUDIT_SIGNING_KEY_AUTOGENERATE", None)
    if autogenerate:
        return _generated(Path(autogenerate))
    raise ImproperlyConfigured(_MISSING)


def public_key_pem() -> str:
    return (
        signing_key()
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode("ascii")
    )


def current_key_id() -> str:
    return dsse.key_id(signing_key().public_key())


def private_key_pem(key: Ed25519PrivateKey) -> bytes:
    """PKCS#8 PEM, unencrypted: the file format of AUDIT_SIGNING_KEY_FILE."""
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def key_file_write(path: Path, key: Ed25519PrivateKey) -> None:
    """Write `key` to a new file readable by its owner only. Raises FileExistsError rather than overwrite a key.

    Written to a temporary file and linked into place, so a concurrent reader never sees half a key.
    """
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".signing-key-")  # mkstemp creates it 0600
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(private_key_pem(key))
        os.link(tmp, path)
    finally:
        os.unlink(tmp)


@receiver(setting_changed)
def _forget_key(*, setting: str, **kwargs) -> None:
    if setting.startswith("AUDIT_SIGNING_KEY"):
        signing_key.cache_clear()


def _from_setting(value: str) -> Ed25519PrivateKey:
    value = value.strip()
    if value.startswith("-----BEGIN"):
        return _from_pem(value.encode("ascii", errors="replace"), "AUDIT_SIGNING_KEY")
    try:
        seed = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        seed = b""
    if len(seed) != 32:
        # The value itself is never echoed: it is a secret.
        raise ImproperlyConfigured("AUDIT_SIGNING_KEY is neither PEM nor base64 of a 32-byte Ed25519 seed.")
    return Ed25519PrivateKey.from_private_bytes(seed)


def _from_file(path: Path) -> Ed25519PrivateKey:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ImproperlyConfigured(f"AUDIT_SIGNING_KEY_FILE {path} cannot be read: {exc.strerror}") from None
    if os.name == "posix" and path.stat().st_mode & 0o077:
        logger.warning("signing key file %s is readable by other users; chmod 600 it", path)
    return _from_pem(data, f"AUDIT_SIGNING_KEY_FILE {path}")


def _from_pem(data: bytes, source: str) -> Ed25519PrivateKey:
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError) as exc:
        raise ImproperlyConfigured(f"{source} is not an unencrypted PEM private key ({exc}).") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise ImproperlyConfigured(f"{source} holds a {type(key).__name__}; reports are signed with Ed25519.")
    return key


def _generated(path: Path) -> Ed25519PrivateKey:
    """Local and demo only: reuse the key file at `path`, creating it on first use."""
    if not path.exists():
        try:
            key_file_write(path, Ed25519PrivateKey.generate())
            logger.info("generated a signing key at %s (local settings)", path)
        except FileExistsError:
            pass  # another process created it first: use theirs
    return _from_file(path)
