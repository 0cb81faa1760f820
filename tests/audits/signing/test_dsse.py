"""DSSE envelopes (audits/signing/dsse.py): they follow the spec, verify with only the public key in a process
without Django, and any edit breaks them with a reason."""

import shutil
import subprocess
import sys

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

import audits.signing.dsse as dsse_module
from audits.canonical import canonical_dumps
from audits.signing import dsse

OTHER_KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))


def _pem(public_key) -> bytes:
    return public_key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def _envelope_text(key=OTHER_KEY) -> str:
    statement = dsse.statement([{"name": "report-1.json", "sha256": "ab" * 32}], "https://x/v1", {"report_id": 1})
    return canonical_dumps(dsse.sign_envelope(statement, key, dsse.key_id(key.public_key())))


def _flip(text: str, position: int, bit: int = 0) -> bytes:
    data = bytearray(text.encode("utf-8"))
    data[position] ^= 1 << bit
    return bytes(data)


def test_pae_follows_the_dsse_v1_spec():
    assert dsse.pae("http://example.com/HelloWorld", b"hello world") == (
        b"DSSEv1 29 http://example.com/HelloWorld 11 hello world"
    )
    assert dsse.canonical_bytes({"b": [1.5, "é"], "a": None}) == canonical_dumps({"b": [1.5, "é"], "a": None}).encode()


def test_envelope_verifies_with_only_the_public_key_pem_in_a_process_without_django(tmp_path):
    text = _envelope_text()
    (tmp_path / "envelope.json").write_text(text)
    (tmp_path / "key.pub.pem").write_bytes(_pem(OTHER_KEY.public_key()))
    shutil.copy(dsse_module.__file__, tmp_path / "dsse.py")  # the standalone verifier, copied alone
    (tmp_path / "check.py").write_text(
        "import sys\nfrom pathlib import Path\nfrom dsse import verify_envelope\n"
        "s = verify_envelope(Path('envelope.json').read_text(), Path('key.pub.pem').read_bytes())\n"
        "assert not {'django', 'audits'} & set(sys.modules), sorted(sys.modules)\n"
        "print(s['subject'][0]['digest']['sha256'], s['predicate']['report_id'])\n"
    )
    done = subprocess.run([sys.executable, "check.py"], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["ab" * 32, "1"]


@pytest.mark.parametrize(
    ("marker", "offset", "bit", "reason"),
    [
        ('"payload":"', 11 + 40, 0, "signature invalid"),
        ('"payload":"', 11, 6, "bad base64 in payload"),  # 'e' becomes '%'
        ('"payloadType":"', 15 + 5, 0, "wrong payloadType"),
        ('"sig":"', 7 + 10, 0, "signature invalid"),
        ('"keyid":"', 9 + 3, 0, "no signature by key"),
        ('"payload":"', 0, 0, "malformed JSON"),  # the key's opening quote: no longer JSON
        ('"signatures"', 3, 0, "malformed envelope: no signatures"),  # the key is renamed
    ],
)
def test_flipping_one_byte_of_the_envelope_fails_with_a_reason(marker, offset, bit, reason):
    text = _envelope_text()
    with pytest.raises(dsse.EnvelopeError, match=reason):
        dsse.verify_envelope(_flip(text, text.index(marker) + offset, bit), _pem(OTHER_KEY.public_key()))
    assert dsse.verify_envelope(text, _pem(OTHER_KEY.public_key()))["predicate"] == {"report_id": 1}


def test_no_single_bit_flip_anywhere_in_the_envelope_verifies():
    text = _envelope_text()
    verified = []
    for position in range(len(text)):
        for bit in range(8):
            try:
                dsse.verify_envelope(_flip(text, position, bit), OTHER_KEY.public_key())
                verified.append((position, bit))
            except dsse.EnvelopeError:
                pass
    assert verified == []


def test_a_different_key_does_not_verify():
    text = _envelope_text()
    stranger = Ed25519PrivateKey.generate().public_key()
    with pytest.raises(dsse.EnvelopeError, match=f"no signature by key {dsse.key_id(stranger)}"):
        dsse.verify_envelope(text, _pem(stranger))
    forged = text.replace(dsse.key_id(OTHER_KEY.public_key()), dsse.key_id(stranger))  # keyid is only a hint
    with pytest.raises(dsse.EnvelopeError, match="signature invalid"):
        dsse.verify_envelope(forged, stranger)
