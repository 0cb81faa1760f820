"""The README's verification steps, run as written against a live server on an approved report: every export is
downloaded over the API, the bundle verifies with `verify_envelope` and the README's Python, and every signed
subject's sha256 equals a file the platform serves (design.md section 7)."""

import hashlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection
from rest_framework.test import APIClient

from audits.choices import ExportFormat, Role
from audits.exports import SIGNED_FORMATS, export_filename
from audits.models import ReportRendering
from audits.services.report_exports import report_export
from audits.services.reviews import review_decide, review_start, review_submit
from audits.services.workspaces import membership_set, user_get_or_create
from audits.signing import dsse
from audits.signing.keys import public_key_pem
from tests.audits.factories import AuditReportFactory

ROOT = Path(__file__).resolve().parents[3]
README = (ROOT / "README.md").read_text(encoding="utf-8")
PASSWORD = "pw-readme-auditor"


def _block(language: str, marker: str) -> str:
    """The README's code block of `language` that holds `marker`, its list-item indentation removed."""
    (block,) = [b for b in re.findall(rf"```{language}\n(.*?)```", README, flags=re.S) if marker in b]
    return "\n".join(line.removeprefix("  ") for line in block.splitlines()) + "\n"


def _login_line() -> str:
    """The README's login command, with its continuation lines (a trailing backslash)."""
    lines = README.splitlines()
    # The README shows the same login in several sections; every copy is the same command.
    starts = [i for i, ln in enumerate(lines) if ln.startswith("T=$(curl") and "auth/token/" in ln]
    assert starts and len({lines[i] for i in starts}) == 1, "the README's login commands differ"
    start = starts[0]
    end = start
    while lines[end].endswith("\\"):
        end += 1
    return "\n".join(lines[start : end + 1])


@pytest.fixture
def approved(transactional_db, auditor, reviewer, workspace):
    """An approved report, and the README's `auditor` user (a member of its workspace) with a known password."""
    readme_user = user_get_or_create(username="auditor", password=PASSWORD)
    membership_set(workspace=workspace, user=readme_user, role=Role.AUDITOR, actor=auditor)
    report = AuditReportFactory(user=auditor, workspace=workspace)
    review = review_submit(user=auditor, report=report)
    review_start(user=reviewer, review=review)
    review_decide(user=reviewer, review=review, decision="approve", comment="intervals checked")
    return report


def _shell(script: str, folder: Path, live_server, **env) -> subprocess.CompletedProcess:
    """Run README shell lines in `folder` against the live server, as a user at the repository would."""
    script = script.replace("localhost:8000", live_server.url.removeprefix("http://"))
    script = script.replace(".venv/bin/python manage.py", f"{sys.executable} {ROOT / 'manage.py'}")
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "auditplatform.settings.test", **env}
    return subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script], cwd=folder, env=env, capture_output=True, text=True, timeout=300
    )


def test_the_readme_verification_steps_work_on_every_export_of_an_approved_report(approved, live_server, tmp_path):
    report, stem = approved, f"audit-report-{approved.pk}"
    prelude = f"PASSWORD='{PASSWORD}'\nREPORT={report.pk}\n{_login_line()}\n"

    done = _shell(prelude + _block("bash", "api/v1/signing-key/"), tmp_path, live_server)

    assert done.returncode == 0, done.stderr + done.stdout
    assert done.stdout.count("predicateType:") == 2 and "\nverified" in done.stdout
    assert f"{stem}.json matches subject {stem}.json" in done.stdout
    assert f"{stem}.html matches subject {stem}.html" in done.stdout
    assert f"{stem}.json: OK" in done.stdout and f"{stem}.html: OK" in done.stdout  # sha256sum -c
    bundle = (tmp_path / f"{stem}.intoto.jsonl").read_bytes()
    assert len(bundle.decode().splitlines()) == 2  # the report's envelope and the approval's, one per line

    snippet = _block("python", "verify_bundle")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    python = subprocess.run(
        [sys.executable, "-c", snippet], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
    )

    assert python.returncode == 0, python.stderr
    assert python.stdout.count(f"matches {stem}.json") == 2 and f"matches {stem}.html" in python.stdout
    assert "attestations/approval/v1" in python.stdout

    # Every export over the API: each signed subject is a served file, byte for byte; the others carry the sha256.
    statements = dsse.verify_bundle(bundle, (tmp_path / "key.pub.pem").read_bytes())
    subjects = {name: sha for s in statements for sha, name in dsse.subject_digests(s).items()}
    client = APIClient()
    client.force_authenticate(approved.run.requested_by)
    served = {}
    for fmt in ExportFormat.values:
        response = client.get(f"/api/v1/reports/{report.pk}/export/", {"format": fmt})
        assert response.status_code == 200, (fmt, response.content[:200])
        assert response["X-Report-SHA256"] == subjects[f"{stem}.json"]
        filename = re.search(r'filename="([^"]+)"', response["Content-Disposition"]).group(1)
        served[filename] = hashlib.sha256(response.content).hexdigest()
    for fmt in SIGNED_FORMATS:  # every signed format is served under its subject's name, with its digest
        name = export_filename(fmt, stem)
        assert served[name] == subjects[name]
    for name in (f"{stem}.json", f"{stem}.html"):  # and the README's downloads are those files
        assert served[name] == hashlib.sha256((tmp_path / name).read_bytes()).hexdigest()
    assert served[f"{stem}.intoto.jsonl"] == hashlib.sha256(bundle).hexdigest()
    files = [name for name in subjects if not name.startswith(("dataset:", "model:"))]
    assert sorted(files) == sorted(f for f in served if served[f] == subjects.get(f))
    assert served[f"{stem}.review.html"] not in subjects.values()  # the review appendix is its own file
    document = report.document
    dataset = client.get(f"/api/v1/datasets/{report.run.plan.dataset_id}/").json()
    model = client.get(f"/api/v1/models/{report.run.plan.model_id}/").json()
    assert subjects[f"dataset:{document['subject']['dataset']['name']}"] == dataset["sha256"]
    assert subjects[f"model:{document['subject']['model']['name']}"] == model["sha256"]


def test_an_edited_download_fails_both_readme_checks(approved, live_server, tmp_path):
    stem = f"audit-report-{approved.pk}"
    prelude = f"PASSWORD='{PASSWORD}'\nREPORT={approved.pk}\n{_login_line()}\n"
    steps = _block("bash", "api/v1/signing-key/")
    downloads = steps[: steps.index(".venv/bin/python manage.py verify_envelope")]
    assert _shell(prelude + downloads, tmp_path, live_server).returncode == 0
    html = tmp_path / f"{stem}.html"
    html.write_bytes(html.read_bytes().replace(b"</html>", b"<!-- edited --></html>"))

    done = _shell(prelude + steps[len(downloads) :], tmp_path, live_server)

    assert done.returncode != 0
    assert f"Envelope NOT verified for {stem}.html" in done.stderr


def test_the_readme_server_side_exports_pass_the_same_checks(approved, live_server, tmp_path):
    stem = f"audit-report-{approved.pk}"
    steps = _block("bash", "api/v1/signing-key/")
    checks = steps[steps.index(".venv/bin/python manage.py verify_envelope") :]
    database = connection.settings_dict
    url = f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/{database['NAME']}"
    script = f"REPORT={approved.pk}\n" + _block("bash", "--format dsse --out .") + checks

    done = _shell(script, tmp_path, live_server, DATABASE_URL=url)

    assert done.returncode == 0, done.stderr + done.stdout
    assert f"{stem}.html: OK" in done.stdout and "\nverified" in done.stdout
    assert (tmp_path / f"{stem}.intoto.jsonl").read_bytes().count(b"\n") == 2


def test_the_html_served_is_the_signed_bytes_even_after_the_template_changes(auditor, workspace, monkeypatch):
    report = AuditReportFactory(user=auditor, workspace=workspace)
    kept = bytes(ReportRendering.objects.get(report=report, format="html").content)
    monkeypatch.setattr("audits.exports.render_report_html", lambda *a, **kw: "<html>a new template</html>")

    served = report_export(actor=auditor, report=report, fmt="html", via="api").content
    with_review = report_export(actor=auditor, report=report, fmt="html_review", via="api").content

    assert served == kept and with_review == b"<html>a new template</html>"
    statement = json.loads(report.signatures.get(kind="report").envelope_json)
    subjects = dsse.subject_digests(dsse.verify_envelope(statement, public_key_pem()))
    assert subjects[hashlib.sha256(served).hexdigest()] == f"audit-report-{report.pk}.html"
