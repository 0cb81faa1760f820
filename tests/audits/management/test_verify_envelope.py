"""`verify_envelope` checks a downloaded envelope and report file with only the public key."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.core.management import CommandError, call_command

from audits.services.report_exports import report_export
from audits.services.reviews import review_decide, review_start, review_submit
from audits.services.signatures import report_sign
from audits.signing import dsse, keys
from tests.audits.factories import AuditReportFactory

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def downloaded(auditor, workspace, tmp_path, capsys):
    """What a third party holds: the envelope, the report JSON and the public key printed by `signing_key`."""
    report = AuditReportFactory(user=auditor, workspace=workspace)
    signature = report_sign(report=report)
    capsys.readouterr()
    call_command("signing_key", "--public")
    (tmp_path / "key.pub.pem").write_text(capsys.readouterr().out)
    (tmp_path / "envelope.json").write_text(signature.envelope_json)
    (tmp_path / "report.json").write_bytes(report.canonical_json.encode("utf-8"))
    return report, tmp_path


def _verify(folder: Path, *extra: str) -> None:
    call_command("verify_envelope", str(folder / "envelope.json"), "--public-key", str(folder / "key.pub.pem"), *extra)


def test_a_good_envelope_prints_its_subjects_and_predicate(downloaded, capsys):
    report, folder = downloaded

    _verify(folder, "--report", str(folder / "report.json"))

    out = capsys.readouterr().out
    document = report.document
    assert f"subject: audit-report-{report.pk}.json sha256:{report.sha256}" in out
    assert f"subject: model:{document['subject']['model']['name']} sha256:" in out
    assert "predicateType: https://fairness-audit.local/attestations/report/v1" in out
    assert f"  report_id: {report.pk}" in out and "  verdicts: {" in out
    assert f"matches subject audit-report-{report.pk}.json" in out
    assert out.rstrip().endswith("verified") and f"Signed by key {keys.current_key_id()}" in out


def test_a_report_file_that_differs_from_the_signed_one_fails(downloaded):
    report, folder = downloaded
    edited = report.canonical_json.replace('"verdict":"', '"verdict":"fail-', 1)  # any verdict, edited
    assert edited != report.canonical_json
    (folder / "report.json").write_text(edited)

    with pytest.raises(CommandError, match="is not a subject") as error:
        _verify(folder, "--report", str(folder / "report.json"))
    assert error.value.returncode == 1


def test_an_edited_envelope_fails_with_the_reason(downloaded):
    _, folder = downloaded
    text = (folder / "envelope.json").read_text()
    position = text.index('"sig":"') + 20
    replacement = "B" if text[position] != "B" else "C"
    (folder / "envelope.json").write_text(text[:position] + replacement + text[position + 1 :])

    with pytest.raises(CommandError, match="Envelope NOT verified: signature invalid"):
        _verify(folder)


def test_another_public_key_fails(downloaded):
    _, folder = downloaded
    stranger = Ed25519PrivateKey.generate().public_key()
    pem = stranger.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    (folder / "key.pub.pem").write_bytes(pem)

    with pytest.raises(CommandError, match=f"no signature by key {dsse.key_id(stranger)}"):
        _verify(folder)


def test_the_command_line_exits_non_zero_on_failure(downloaded):
    _, folder = downloaded
    (folder / "envelope.json").write_text("{not json")
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "auditplatform.settings.test"}
    args = [sys.executable, "manage.py", "verify_envelope", str(folder / "envelope.json")]

    done = subprocess.run(
        [*args, "--public-key", str(folder / "key.pub.pem")], cwd=ROOT, env=env, capture_output=True, text=True
    )

    assert done.returncode == 1 and "Envelope NOT verified: malformed JSON" in done.stderr
    assert "verified" not in done.stdout


def test_an_approved_reports_bundle_verifies_both_envelopes(auditor, reviewer, workspace, tmp_path, capsys):
    report = AuditReportFactory(user=auditor, workspace=workspace)
    review = review_submit(user=auditor, report=report)
    review_start(user=reviewer, review=review)
    review_decide(user=reviewer, review=review, decision="approve", comment="ok")
    bundle = report_export(actor=reviewer, report=report, fmt="dsse", via="cli").content
    call_command("signing_key", "--public")
    (tmp_path / "key.pub.pem").write_text(capsys.readouterr().out)
    (tmp_path / "envelope.json").write_bytes(bundle)
    (tmp_path / "report.json").write_bytes(report.canonical_json.encode("utf-8"))

    _verify(tmp_path, "--report", str(tmp_path / "report.json"))

    out = capsys.readouterr().out
    assert out.count("predicateType:") == 2 and "verified" in out
    assert f"sha256:{report.sha256}" in out
    lines = [json.loads(line) for line in bundle.decode().splitlines()]
    lines[1]["payload"] = lines[0]["payload"]
    (tmp_path / "envelope.json").write_text("\n".join(json.dumps(line) for line in lines) + "\n")
    with pytest.raises(CommandError, match="envelope 2 of 2: signature invalid"):
        _verify(tmp_path)
    (tmp_path / "envelope.json").write_bytes(bundle.replace(b"\n", b"\n{oops\n", 1))
    with pytest.raises(CommandError, match="line 2 of the bundle: malformed JSON"):
        _verify(tmp_path)


def test_every_downloaded_file_must_be_a_signed_subject(downloaded, capsys, auditor):
    report, folder = downloaded
    for fmt, name in (("html", "report.html"), ("html_review", "review.html")):
        (folder / name).write_bytes(report_export(actor=auditor, report=report, fmt=fmt, via="cli").content)

    _verify(folder, "--file", str(folder / "report.json"), "--file", str(folder / "report.html"))

    assert f"report.html matches subject audit-report-{report.pk}.html" in capsys.readouterr().out
    with pytest.raises(CommandError, match="review.html: its sha256 .* is not a subject"):
        _verify(folder, "--file", str(folder / "report.html"), "--file", str(folder / "review.html"))
