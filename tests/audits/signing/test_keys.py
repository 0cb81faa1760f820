"""The signing key (audits/signing/keys.py) comes from settings: a PEM, a seed or a file; it is never generated
without a setting that asks for it."""

import base64

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.core.exceptions import ImproperlyConfigured

from audits.signing import dsse, keys

OTHER_KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))


def test_keys_load_from_pem_seed_or_file_and_are_never_generated_without_a_setting(settings, tmp_path):
    seed = bytes(range(32))
    expected = dsse.key_id(OTHER_KEY.public_key())
    settings.AUDIT_SIGNING_KEY = keys.private_key_pem(OTHER_KEY).decode()
    assert keys.current_key_id() == expected
    settings.AUDIT_SIGNING_KEY = base64.b64encode(seed).decode()
    assert keys.current_key_id() == expected
    settings.AUDIT_SIGNING_KEY = ""
    keys.key_file_write(tmp_path / "k.pem", OTHER_KEY)
    settings.AUDIT_SIGNING_KEY_FILE = str(tmp_path / "k.pem")
    assert keys.current_key_id() == expected and dsse.key_id(keys.public_key_pem()) == expected
    settings.AUDIT_SIGNING_KEY_FILE = ""
    settings.AUDIT_SIGNING_KEY_AUTOGENERATE = None  # production
    with pytest.raises(ImproperlyConfigured, match="AUDIT_SIGNING_KEY_FILE"):
        keys.signing_key()
    settings.AUDIT_SIGNING_KEY = "not-a-key"
    with pytest.raises(ImproperlyConfigured) as error:
        keys.signing_key()
    assert "not-a-key" not in str(error.value)


def test_local_settings_generate_a_private_key_file_once(settings, tmp_path):
    settings.AUDIT_SIGNING_KEY = ""
    settings.AUDIT_SIGNING_KEY_AUTOGENERATE = tmp_path / "keys" / "signing-ed25519.pem"
    first = keys.current_key_id()
    assert (tmp_path / "keys" / "signing-ed25519.pem").stat().st_mode & 0o777 == 0o600
    keys.signing_key.cache_clear()
    assert keys.current_key_id() == first
