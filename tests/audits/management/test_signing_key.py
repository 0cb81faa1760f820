"""`signing_key` prints the public key only, and generates a private key file that it never overwrites."""

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.core.management import CommandError, call_command

from audits.signing import dsse, keys


def test_signing_key_prints_only_the_public_key(capsys):
    call_command("signing_key", "--public")

    captured = capsys.readouterr()
    assert isinstance(serialization.load_pem_public_key(captured.out.encode()), Ed25519PublicKey)
    assert dsse.key_id(captured.out) == keys.current_key_id() and f"key id: {keys.current_key_id()}" in captured.err
    private_pem = keys.private_key_pem(keys.signing_key()).decode()
    assert "PRIVATE" not in captured.out + captured.err and private_pem not in captured.out


def test_signing_key_generates_a_private_key_file_and_never_overwrites_it(tmp_path, capsys):
    path = tmp_path / "prod" / "signing.pem"

    call_command("signing_key", "--generate", str(path))

    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    assert isinstance(key, Ed25519PrivateKey) and path.stat().st_mode & 0o777 == 0o600
    assert f"key id {dsse.key_id(key.public_key())}" in capsys.readouterr().out
    with pytest.raises(CommandError, match="never overwritten"):
        call_command("signing_key", "--generate", str(path))
    assert serialization.load_pem_private_key(path.read_bytes(), password=None).public_key() == key.public_key()
