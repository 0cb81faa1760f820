"""`manage.py audit` lands where the demo users look, says where, and the README's command examples work."""

import json
import re
import shlex
from pathlib import Path

import pandas as pd
import pytest
from django.core.management import call_command, load_command_class

from audits.models import AuditRun, Workspace
from audits.selectors import audit_run_list
from audits.services.workspaces import user_get_or_create
from tests.factories import credit_frame

ROOT = Path(__file__).resolve().parents[3]
# What the README's examples hold in shell variables, as the command line would receive it.
VARIABLES = {"COMPAS": "compas.csv", "REPORT": "7", "PASSWORD": "secret"}


@pytest.fixture
def credit_csv(tmp_path):
    path = tmp_path / "credit.csv"
    credit_frame(n=240).to_csv(path, index=False)
    return path


def _audit(path, *extra) -> None:
    call_command(
        "audit", "--dataset", str(path), "--decision", "decision", "--favourable", "approve", "--protected", "sex",
        "--n-boot", "200", *extra,
    )  # fmt: skip


def test_once_the_demo_exists_the_cli_audits_in_its_workspace_and_says_so(
    credit_csv, eager_celery, transactional_db, capsys
):
    call_command("seed_demo", "--password", "pw-for-tests")

    _audit(credit_csv)

    out = capsys.readouterr().out
    run = AuditRun.objects.get()
    assert run.workspace.slug == "demo" and run.requested_by.username == "cli"
    assert "Acting as user 'cli' in workspace 'demo'" in out
    assert f"Report {run.report.pk} in workspace 'demo'" in out
    for demo_user in ("auditor", "reviewer"):  # the web app shows it to the demo users
        assert list(audit_run_list(user=user_get_or_create(username=demo_user))) == [run]


def test_without_the_demo_the_cli_audits_in_its_own_workspace(credit_csv, eager_celery, transactional_db, capsys):
    _audit(credit_csv)

    assert AuditRun.objects.get().workspace.slug == "cli"
    assert not Workspace.objects.filter(slug="demo").exists()
    assert "Acting as user 'cli' in workspace 'cli'" in capsys.readouterr().out


def test_the_cli_audits_a_file_above_the_web_inline_limit_at_once(credit_csv, eager_celery, transactional_db, settings):
    settings.AUDIT_INGEST_INLINE_MAX_BYTES = 1_000  # a web upload of this file would be validated by a worker

    _audit(credit_csv)

    run = AuditRun.objects.get()
    assert run.status == "succeeded" and run.plan.dataset.status == "ready"


def test_an_explicit_workspace_wins_over_the_demo(credit_csv, eager_celery, transactional_db, capsys):
    call_command("seed_demo", "--password", "pw-for-tests")

    _audit(credit_csv, "--workspace", "credit-team")

    assert AuditRun.objects.get().workspace.slug == "credit-team"
    assert "Acting as user 'cli' in workspace 'credit-team'" in capsys.readouterr().out


def _readme_commands() -> list[list[str]]:
    """Every `manage.py` command of the README's bash blocks, continuation lines joined, variables filled in."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    commands = []
    for block in re.findall(r"```bash\n(.*?)```", text, flags=re.S):
        for line in block.replace("\\\n", " ").splitlines():
            if "manage.py" not in line:
                continue
            line = re.sub(r"\$\{?(\w+)\}?", lambda m: VARIABLES.get(m.group(1), m.group(0)), line)
            words = shlex.split(line.split("manage.py", 1)[1], comments=True)
            commands.append(words[: words.index(">")] if ">" in words else words)  # the redirection is the shell's
    return commands


def test_the_readme_names_only_files_it_derives_and_ids_it_reads_from_responses():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = "\n".join(re.findall(r"```(?:bash|python)\n(.*?)```", text, flags=re.S))

    assert "compas-scores-two-years.csv" not in blocks.replace("dataset/compas/compas-scores-two-years.csv", "")
    assert "file=@compas.csv" not in blocks
    assert not re.search(r"/(plans|runs|reports)/\d+/", blocks) and '"dataset": 1' not in blocks
    assert not re.search(r"report-\d+", blocks)


def test_every_readme_command_parses_with_the_commands_options():
    commands = _readme_commands()

    assert {c[0] for c in commands} >= {"audit", "export_report", "signing_key", "verify_envelope"}
    for name, *arguments in commands:
        if name == "shell":  # Django's own, used to read the newest report id
            continue
        parser = load_command_class("audits", name).create_parser("manage.py", name)
        parser.parse_args(arguments)  # an unknown flag or a missing argument exits with an error


def test_the_readme_cli_example_audits_a_sample_of_compas(compas_path, tmp_path, eager_celery, transactional_db):
    examples = [c for c in _readme_commands() if c[0] == "audit" and VARIABLES["COMPAS"] in c]
    assert len(examples) == 2  # the CLI section's, and the one with checks you state
    sample = tmp_path / "compas.csv"
    pd.read_csv(compas_path).sample(600, random_state=0).to_csv(sample, index=False)
    for example in examples:
        arguments = [str(sample) if a == VARIABLES["COMPAS"] else a for a in example[1:]]
        arguments = [str(tmp_path / a) if a == "report.json" else a for a in arguments]

        call_command("audit", *arguments, "--n-boot", "200")

        report = (tmp_path / "report.json").read_text()
        assert '"race"' in report and '"sex"' in report
        checks = json.loads(report).get("checks")
        assert (checks is not None) == ("--check" in example)
        assert checks is None or [c["text"] for c in checks["items"]] == [
            example[i + 1] for i, a in enumerate(example) if a == "--check"
        ]
    assert AuditRun.objects.filter(status="succeeded").count() == len(examples)
