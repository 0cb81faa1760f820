"""EU AI Act evidence pack: only for approved reports, deterministic, and verify_evidence names what was altered."""

import io
import json
import zipfile

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.core.management import CommandError, call_command

from audits.canonical import sha256_hex
from audits.exceptions import ApplicationError
from audits.exports.evidence import (
    MANIFEST,
    MANIFEST_ENVELOPE,
    deterministic_zip,
    evidence_pack,
    verify_evidence_pack,
)
from audits.models import AuditEvent
from audits.services.report_exports import report_export
from audits.services.reviews import review_decide, review_start, review_submit
from audits.signing import dsse
from audits.signing.keys import public_key_pem
from tests.audits.factories import AuditReportFactory

FILES = {
    "report.json",
    "report.html",
    "report.pdf",
    "signatures.intoto.jsonl",
    "review.json",
    "trail.json",
    "fingerprints.json",
    "limitations.json",
    "compliance-crosswalk.json",
    "platform-public-key.pem",
    "README.txt",
    MANIFEST,
    MANIFEST_ENVELOPE,
}


@pytest.fixture
def report(auditor, workspace):
    return AuditReportFactory(workspace=workspace, user=auditor)


@pytest.fixture
def approved(report, auditor, reviewer):
    review = review_submit(user=auditor, report=report, comment="please review")
    review_start(user=reviewer, review=review)
    review_decide(user=reviewer, review=review, decision="approve", comment="checked the intervals")
    report.refresh_from_db()
    return report


@pytest.fixture
def pack(approved, auditor, tmp_path):
    data = report_export(actor=auditor, report=approved, fmt="evidence", via="api").content
    path = tmp_path / "pack.zip"
    path.write_bytes(data)
    key = tmp_path / "platform.pem"
    key.write_text(public_key_pem())
    return path, key


def _rezip(path, change) -> bytes:
    """The pack's entries, `change`d ({name: bytes} -> {name: bytes}), zipped again."""
    with zipfile.ZipFile(path) as archive:
        entries = {name: archive.read(name) for name in archive.namelist()}
    return deterministic_zip(change(entries))


def test_an_approved_report_gives_a_pack_with_every_file_and_a_recorded_export(approved, pack):
    path, _ = pack

    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
        infos = archive.infolist()
        entries = {name: archive.read(name) for name in names}

    assert set(names) == FILES and names == sorted(names)
    assert {i.date_time for i in infos} == {(1980, 1, 1, 0, 0, 0)}
    assert sha256_hex(entries["report.json"]) == approved.sha256
    assert entries["report.pdf"].startswith(b"%PDF")
    review = json.loads(entries["review.json"])
    assert review["status"] == "approved" and review["decided_by"] == "rita-reviewer"
    trail = json.loads(entries["trail.json"])
    assert trail["chain_verification"]["ok"] is True
    actions = {e["payload"]["action"] for e in trail["events"]}
    assert {"review.approve", "report.signed", "report.approval_signed"} <= actions
    manifest = entries[MANIFEST].decode().splitlines()
    assert len(manifest) == len(FILES) - 2 and f"{approved.sha256}  report.json" in manifest
    assert "sha256sum -c MANIFEST" in entries["README.txt"].decode()
    event = AuditEvent.objects.get(action="report.exported")
    assert event.after["format"] == "evidence" and event.after["via"] == "api"


def test_a_report_that_is_not_approved_has_no_pack(report, auditor):
    with pytest.raises(ApplicationError, match="Only an approved report has an evidence pack"):
        report_export(actor=auditor, report=report, fmt="evidence", via="api")

    assert not AuditEvent.objects.filter(action="report.exported").exists()


def test_a_fresh_pack_verifies(pack, capsys):
    path, key = pack

    call_command("verify_evidence", str(path), "--public-key", str(key))

    out = capsys.readouterr().out
    assert "OK: 11 files match the signed manifest" in out
    assert "report.json is their signed subject" in out and "each one's hash recomputed" in out


def test_one_byte_changed_in_one_file_names_that_file(pack, tmp_path):
    path, key = pack

    def flip(entries):
        changed = bytearray(entries["limitations.json"])
        changed[1] ^= 0x01
        return {**entries, "limitations.json": bytes(changed)}

    tampered = tmp_path / "tampered.zip"
    tampered.write_bytes(_rezip(path, flip))

    with pytest.raises(CommandError, match=r"FAILED: limitations\.json: its sha256 does not match"):
        call_command("verify_evidence", str(tampered), "--public-key", str(key))


def test_a_byte_changed_inside_the_zip_stream_is_named_too(pack, tmp_path):
    path, key = pack
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo("review.json")
    data[info.header_offset + 30 + len(info.filename) + 5] ^= 0x01  # inside the compressed stream of review.json
    tampered = tmp_path / "tampered.zip"
    tampered.write_bytes(bytes(data))

    with pytest.raises(CommandError, match=r"FAILED: review\.json"):
        call_command("verify_evidence", str(tampered), "--public-key", str(key))


def test_a_forged_manifest_fails_the_signature(pack, tmp_path):
    """The forger changes a file, rewrites MANIFEST and re-signs it with a key of their own."""
    path, key = pack
    forger = Ed25519PrivateKey.generate()

    def forge(entries):
        files = {n: b for n, b in entries.items() if n not in (MANIFEST, MANIFEST_ENVELOPE)}
        files["limitations.json"] = b'["nothing to see"]\n'
        with zipfile.ZipFile(io.BytesIO(evidence_pack(files, predicate={}, private_key=forger, key_id="forger"))) as z:
            return {n: z.read(n) for n in z.namelist()}

    forged = tmp_path / "forged.zip"
    forged.write_bytes(_rezip(path, forge))
    only_manifest = tmp_path / "manifest-only.zip"

    def rewrite_manifest_only(entries):
        forged = b'["nothing to see"]\n'
        changed = dict(entries, **{"limitations.json": forged})
        changed[MANIFEST] = entries[MANIFEST].replace(
            sha256_hex(entries["limitations.json"]).encode(), sha256_hex(forged).encode()
        )
        assert changed[MANIFEST] != entries[MANIFEST]
        return changed

    only_manifest.write_bytes(_rezip(path, rewrite_manifest_only))

    with pytest.raises(CommandError, match=r"FAILED: MANIFEST\.dsse\.json: the manifest signature does not verify"):
        call_command("verify_evidence", str(forged), "--public-key", str(key))
    with pytest.raises(CommandError, match=r"FAILED: MANIFEST: its sha256 is not the one the signed statement"):
        call_command("verify_evidence", str(only_manifest), "--public-key", str(key))


def test_extra_and_missing_files_are_named(pack):
    path, key = pack
    public = key.read_bytes()

    extra = verify_evidence_pack(_rezip(path, lambda e: {**e, "notes.txt": b"hello"}), public)
    missing = verify_evidence_pack(_rezip(path, lambda e: {n: b for n, b in e.items() if n != "trail.json"}), public)

    assert (extra.ok, extra.first_bad_file) == (False, "notes.txt") and "extra file" in extra.reason
    assert (missing.ok, missing.first_bad_file) == (False, "trail.json") and "missing" in missing.reason


def test_the_pack_is_deterministic_for_the_same_files():
    key = Ed25519PrivateKey.generate()
    files = {"b.txt": b"two", "a.txt": b"one"}
    key_id = dsse.key_id(key.public_key())

    first = evidence_pack(files, predicate={"report_id": 1}, private_key=key, key_id=key_id)
    second = evidence_pack(dict(reversed(files.items())), predicate={"report_id": 1}, private_key=key, key_id=key_id)

    assert first == second
    public = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    assert verify_evidence_pack(first, public).ok
    statement = dsse.verify_envelope(zipfile.ZipFile(io.BytesIO(first)).read(MANIFEST_ENVELOPE), public)
    assert [s["name"] for s in statement["subject"]] == [MANIFEST, "a.txt", "b.txt"]


def test_verify_evidence_refuses_what_it_cannot_read(tmp_path, pack):
    _, key = pack
    junk = tmp_path / "junk.zip"
    junk.write_bytes(b"not a zip")

    with pytest.raises(CommandError, match=r"not a ZIP"):
        call_command("verify_evidence", str(junk), "--public-key", str(key))
    with pytest.raises(CommandError, match=r"Cannot read"):
        call_command("verify_evidence", str(tmp_path / "absent.zip"), "--public-key", str(key))
