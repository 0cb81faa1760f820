"""DSSE envelopes around in-toto Statements, signed with Ed25519 (design.md section 7).

Plain Python and `cryptography`, no Django: this file is also the standalone verifier that anyone can copy
next to a downloaded envelope. Verifying needs only the envelope and the platform's public key
(`manage.py signing_key --public`, or `GET /api/v1/signing-key/`):

    from pathlib import Path
    from dsse import EnvelopeError, verify_bundle  # or: from audits.signing.dsse import ...

    bundle = Path("audit-report-42.intoto.jsonl").read_text()
    for statement in verify_bundle(bundle, Path("signing-key.pub.pem").read_bytes()):
        for subject in statement["subject"]:
            print(subject["name"], subject["digest"]["sha256"])  # compare: sha256sum audit-report-42.json
        print(statement["predicateType"], statement["predicate"])

`verify_envelope` raises EnvelopeError with the reason when anything is wrong; `verify_bundle` takes one envelope
or an in-toto attestation bundle (JSON Lines, one envelope per line: the dsse export of a reviewed report) and
verifies every envelope. Formats: DSSE v1 (https://github.com/secure-systems-lab/dsse/blob/master/protocol.md),
in-toto Statement v1 (https://github.com/in-toto/attestation/blob/main/spec/v1/statement.md) and the attestation
bundle (https://github.com/in-toto/attestation/blob/main/spec/v1/bundle.md).
"""

import base64
import binascii
import hashlib
import json
import re
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

PAYLOAD_TYPE = "application/vnd.in-toto+json"
STATEMENT_TYPE = "https://in-toto.io/Statement/v1"
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


class EnvelopeError(ValueError):
    """The envelope is malformed, or its signature does not verify with the given key."""


def canonical_bytes(document: Any) -> bytes:
    """Sorted keys, compact separators, UTF-8: the same rules as audits.canonical (kept here to stay standalone)."""
    text = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    return text.encode("utf-8")


def pae(payload_type: str, payload: bytes) -> bytes:
    """DSSE v1 Pre-Authentication Encoding: what is actually signed (type and payload, length-prefixed)."""
    kind = payload_type.encode("utf-8")
    return b"DSSEv1 %d %s %d %s" % (len(kind), kind, len(payload), payload)


def statement(subjects: list[dict], predicate_type: str, predicate: dict) -> dict:
    """An in-toto Statement v1. Each subject is {"name", "sha256"} or already {"name", "digest": {"sha256"}}."""
    normalised = []
    for subject in subjects:
        digest = subject.get("digest") or {"sha256": subject.get("sha256")}
        if not subject.get("name") or not _SHA256.match(str(digest.get("sha256"))):
            raise ValueError(f"a subject needs a name and a lowercase hex sha256: {subject!r}")
        normalised.append({"name": subject["name"], "digest": dict(digest)})
    if not normalised:
        raise ValueError("a statement needs at least one subject")
    return {"_type": STATEMENT_TYPE, "subject": normalised, "predicateType": predicate_type, "predicate": predicate}


def public_key_raw(public_key: Ed25519PublicKey | bytes | str) -> bytes:
    return load_public_key(public_key).public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def key_id(public_key: Ed25519PublicKey | bytes | str) -> str:
    """First 16 hex characters of the sha256 of the raw 32-byte public key."""
    return hashlib.sha256(public_key_raw(public_key)).hexdigest()[:16]


def load_public_key(public_key: Ed25519PublicKey | bytes | str) -> Ed25519PublicKey:
    """An Ed25519 public key from the object itself, PEM (bytes or text) or the raw 32 bytes."""
    if isinstance(public_key, Ed25519PublicKey):
        return public_key
    if isinstance(public_key, str):
        public_key = public_key.encode("ascii", errors="replace")
    if isinstance(public_key, bytes) and len(public_key) == 32:
        return Ed25519PublicKey.from_public_bytes(public_key)
    try:
        loaded = serialization.load_pem_public_key(public_key)
    except (ValueError, TypeError) as exc:
        raise EnvelopeError(f"not an Ed25519 public key (PEM or 32 raw bytes): {exc}") from None
    if not isinstance(loaded, Ed25519PublicKey):
        raise EnvelopeError(f"not an Ed25519 public key: {type(loaded).__name__}")
    return loaded


def sign_envelope(statement: dict, private_key: Ed25519PrivateKey, key_id: str) -> dict:
    """A DSSE envelope: the statement's canonical JSON as payload, one Ed25519 signature over its PAE."""
    payload = canonical_bytes(statement)
    signature = private_key.sign(pae(PAYLOAD_TYPE, payload))
    return {
        "payload": base64.b64encode(payload).decode("ascii"),
        "payloadType": PAYLOAD_TYPE,
        "signatures": [{"keyid": key_id, "sig": base64.b64encode(signature).decode("ascii")}],
    }


def verify_envelope(envelope: dict | bytes | str, public_key: Ed25519PublicKey | bytes | str) -> dict:
    """Check the envelope's signature with `public_key` and return the in-toto Statement it carries.

    Raises EnvelopeError naming the reason: malformed JSON or envelope, wrong payloadType, bad base64,
    no signature by this key, signature invalid, or a payload that is not an in-toto Statement v1.
    """
    key = load_public_key(public_key)
    expected_id = key_id(key)
    document = _parse(envelope)
    if document.get("payloadType") != PAYLOAD_TYPE:
        raise EnvelopeError(f"wrong payloadType {document.get('payloadType')!r} (expected {PAYLOAD_TYPE!r})")
    payload = _b64decode(document.get("payload"), "payload")
    signatures = document.get("signatures")
    if not isinstance(signatures, list) or not signatures:
        raise EnvelopeError("malformed envelope: no signatures")
    ours = [s for s in signatures if isinstance(s, dict) and s.get("keyid") == expected_id]
    if not ours:
        raise EnvelopeError(f"no signature by key {expected_id}")
    message = pae(PAYLOAD_TYPE, payload)
    for entry in ours:
        try:
            key.verify(_b64decode(entry.get("sig"), "sig"), message)
            break
        except (InvalidSignature, ValueError):
            continue
    else:
        raise EnvelopeError(f"signature invalid: the envelope does not verify with key {expected_id}")
    return _statement_from(payload)


def verify_bundle(document: dict | bytes | str, public_key: Ed25519PublicKey | bytes | str) -> list[dict]:
    """The Statements of one envelope, or of every envelope of an in-toto attestation bundle (JSON Lines, one DSSE
    envelope per line: what the dsse export serves, the report's envelope first, then each review decision's), or of
    an older ``{"envelopes": [...]}`` file. Every envelope must verify with `public_key`.

    Raises EnvelopeError naming the reason and, in a bundle, which line failed.
    """
    if isinstance(document, dict):
        envelopes = [document]
    else:
        envelopes = _envelopes(document)
    if len(envelopes) == 1 and "envelopes" in envelopes[0]:
        envelopes = envelopes[0]["envelopes"]
        if not isinstance(envelopes, list) or not envelopes:
            raise EnvelopeError("malformed bundle: no envelopes")
    if len(envelopes) == 1:
        return [verify_envelope(envelopes[0], public_key)]
    statements = []
    for index, envelope in enumerate(envelopes, start=1):
        try:
            if not isinstance(envelope, dict):
                raise EnvelopeError("not a JSON object")
            statements.append(verify_envelope(envelope, public_key))
        except EnvelopeError as exc:
            raise EnvelopeError(f"envelope {index} of {len(envelopes)}: {exc}") from None
    return statements


def _envelopes(text: bytes | str) -> list:
    """One JSON document (an envelope, however formatted), else JSON Lines: one envelope per non-empty line."""
    try:
        return [_parse(text)]
    except EnvelopeError as whole:
        if isinstance(text, bytes):
            try:
                text = text.decode("utf-8")
            except UnicodeDecodeError:
                raise whole from None
        lines = [line for line in text.splitlines() if line.strip()]
        if len(lines) < 2:
            raise whole from None
    envelopes = []
    for number, line in enumerate(lines, start=1):
        try:
            envelopes.append(_parse(line))
        except EnvelopeError as exc:
            raise EnvelopeError(f"line {number} of the bundle: {exc}") from None
    return envelopes


def subject_digests(statement: dict) -> dict[str, str]:
    """{sha256: name} of a statement's subjects (subjects without a sha256 digest are left out)."""
    digests = {}
    for subject in statement.get("subject") or []:
        digest = subject.get("digest") if isinstance(subject, dict) else None
        if isinstance(digest, dict) and isinstance(digest.get("sha256"), str):
            digests[digest["sha256"]] = str(subject.get("name", ""))
    return digests


def _parse(envelope: dict | bytes | str) -> dict:
    if isinstance(envelope, dict):
        return envelope
    try:
        document = json.loads(envelope, object_pairs_hook=_refuse_duplicate_keys)
    except (ValueError, UnicodeDecodeError) as exc:
        raise EnvelopeError(f"malformed JSON: {exc}") from None
    if not isinstance(document, dict):
        raise EnvelopeError("malformed envelope: not a JSON object")
    return document


def _refuse_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict:
    keys = [k for k, _ in pairs]
    if len(keys) != len(set(keys)):
        raise ValueError(f"duplicate keys {sorted(k for k in set(keys) if keys.count(k) > 1)}")
    return dict(pairs)


def _b64decode(value: Any, field: str) -> bytes:
    """Strict standard base64: any other spelling of the same bytes is refused, so every edit is visible."""
    if not isinstance(value, str) or not value:
        raise EnvelopeError(f"malformed envelope: {field} missing or not a string")
    try:
        decoded = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise EnvelopeError(f"bad base64 in {field}: {exc}") from None
    if base64.b64encode(decoded).decode("ascii") != value:
        raise EnvelopeError(f"bad base64 in {field}: not in canonical form")
    return decoded


def _statement_from(payload: bytes) -> dict:
    try:
        document = json.loads(payload.decode("utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise EnvelopeError(f"payload is not JSON: {exc}") from None
    if not isinstance(document, dict) or document.get("_type") != STATEMENT_TYPE:
        raise EnvelopeError(f"payload is not an in-toto Statement v1 (_type {STATEMENT_TYPE!r})")
    if not isinstance(document.get("subject"), list) or not isinstance(document.get("predicateType"), str):
        raise EnvelopeError("payload is not an in-toto Statement v1: subject or predicateType missing")
    return document
