"""Report signatures: DSSE envelopes verify with only the public key, any edit breaks them, the trail checks them,
and the private key never reaches the database."""

import base64
import json
import shutil
import subprocess
import sys

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.core.exceptions import ImproperlyConfigured
from django.core.management import CommandError, call_command
from django.db import connection

import audits.signing.dsse as dsse_module
from audits.canonical import canonical_dumps, sha256_hex
from audits.choices import ReviewAction, ReviewStatus
from audits.exceptions import ApplicationError
from audits.models import AuditEvent, AuditReport, ReportReview, ReviewEntry
from audits.services.audit_execution import audit_run_execute
from audits.services.signatures import approval_sign, report_sign, signature_verify
from audits.services.trail import trail_verify
from audits.signing import dsse, keys
from tests.audits.services.helpers import make_run

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


@pytest.fixture
def report(auditor, workspace) -> AuditReport:
    run = make_run(auditor, workspace)
    audit_run_execute(run_id=run.pk, worker="w")
    return AuditReport.objects.get(run=run)


@pytest.fixture
def approval(report, auditor, reviewer) -> ReviewEntry:
    review = ReportReview.objects.create(
        workspace=report.workspace, report=report, submitted_by=auditor, status=ReviewStatus.APPROVED
    )
    return ReviewEntry.objects.create(
        review=review, action=ReviewAction.APPROVE, actor=reviewer, comment="Checked the DPD bands; fine."
    )


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


def test_report_signature_names_the_report_dataset_and_model(report):
    document = report.document
    signature = report_sign(report=report, html_sha256="cd" * 32)

    statement = dsse.verify_envelope(signature.envelope_json, keys.public_key_pem())
    assert dsse.subject_digests(statement) == {
        report.sha256: f"report-{report.pk}.json",
        "cd" * 32: f"report-{report.pk}.html",
        document["subject"]["dataset"]["sha256"]: f"dataset:{document['subject']['dataset']['name']}",
        document["subject"]["model"]["sha256"]: f"model:{document['subject']['model']['name']}",
    }
    assert statement["predicateType"] == "https://fairness-audit.local/attestations/report/v1"
    predicate = statement["predicate"]
    assert (predicate["report_id"], predicate["run_id"], predicate["workspace"]) == (
        report.pk,
        report.run_id,
        "credit-risk",
    )
    assert predicate["verdicts"] == document["summary"]["verdicts"] and predicate["code_version"] == "test"
    assert predicate["finished_at"] == document["provenance"]["finished_at"]
    assert signature.statement_sha256 == sha256_hex(base64.b64decode(json.loads(signature.envelope_json)["payload"]))
    assert (signature.kind, signature.key_id) == ("report", keys.current_key_id())
    event = AuditEvent.objects.get(action="report.signed", after__signature=signature.pk)
    assert (event.object_type, event.object_id, event.actor_label) == ("AuditReport", str(report.pk), "system")
    assert signature_verify(signature) is None


def test_approval_signature_names_the_reviewer_but_not_the_comment(report, approval, reviewer):
    signature = approval_sign(report=report, review_entry=approval)

    predicate = dsse.verify_envelope(signature.envelope_json, keys.public_key_pem())["predicate"]
    assert predicate == {
        "report_id": report.pk,
        "report_sha256": report.sha256,
        "decision": "approve",
        "reviewer": "rita-reviewer",
        "reviewer_id": reviewer.pk,
        "decided_at": approval.created_at.isoformat(),
        "comment_sha256": sha256_hex("Checked the DPD bands; fine."),
    }
    assert "DPD bands" not in base64.b64decode(json.loads(signature.envelope_json)["payload"]).decode()
    assert signature.review_entry_id == approval.pk and signature_verify(signature) is None
    assert AuditEvent.objects.filter(action="report.approval_signed", after__signature=signature.pk).count() == 1


def test_approval_sign_refuses_an_entry_that_is_no_decision(report, approval, reviewer):
    comment = ReviewEntry.objects.create(review=approval.review, action=ReviewAction.COMMENT, actor=reviewer)
    with pytest.raises(ApplicationError, match="Only decisions"):
        approval_sign(report=report, review_entry=comment)


def test_a_signature_made_with_another_key_is_reported(report, settings):
    signature = report_sign(report=report)
    settings.AUDIT_SIGNING_KEY = base64.b64encode(bytes(range(32))).decode()
    assert "the current key is" in signature_verify(signature)


def _edit_signature_behind_the_triggers(signature_id: int, envelope_json: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")
        cursor.execute(
            "UPDATE audits_reportsignature SET envelope_json = %s WHERE id = %s", [envelope_json, signature_id]
        )
        cursor.execute("SET session_replication_role = origin")


def test_trail_verification_checks_every_signature_and_names_an_edited_one(report, approval, client, auditor, capsys):
    first = report_sign(report=report)
    second = approval_sign(report=report, review_entry=approval)
    total = report.signatures.count()

    result = trail_verify()
    assert (result.ok, result.signatures_checked) == (True, total) and total >= 2
    call_command("verify_trail")
    assert f"{total} signatures verified" in capsys.readouterr().out

    _edit_signature_behind_the_triggers(second.pk, _flip(second.envelope_json, len(second.envelope_json) - 10).decode())

    result = trail_verify()
    assert (result.ok, result.first_broken_signature_id, result.first_broken_id) == (False, second.pk, None)
    assert result.signatures_checked == total - 1 and "signature invalid" in result.reason and first.pk < second.pk
    with pytest.raises(CommandError, match=f"Signature {second.pk} does not verify: signature invalid"):
        call_command("verify_trail")
    auditor.is_staff = True
    auditor.save()
    client.force_login(auditor)
    body = client.get("/api/v1/trail/verify/").json()
    assert body["ok"] is False and body["first_broken_signature_id"] == second.pk


def test_the_private_key_never_reaches_the_database(report, approval):
    signature = report_sign(report=report)
    approval_sign(report=report, review_entry=approval)
    private = keys.signing_key()
    seed = private.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    pem_body = "".join(keys.private_key_pem(private).decode().splitlines()[1:-1])
    secrets = [
        base64.b64encode(seed).decode(),
        base64.urlsafe_b64encode(seed).decode().rstrip("="),
        seed.hex(),
        pem_body,
    ]

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'public' "
            "AND data_type IN ('text', 'character varying', 'json', 'jsonb')"
        )
        columns = cursor.fetchall()
        dump = []
        for table, column in columns:
            cursor.execute(f'SELECT "{column}"::text FROM "{table}" WHERE "{column}" IS NOT NULL')
            dump.extend(value for (value,) in cursor.fetchall())
    text = "\n".join(dump)

    assert signature.envelope_json in text and keys.current_key_id() in text  # the dump does see signatures
    assert [s for s in secrets if s in text or s.lower() in text.lower()] == []
