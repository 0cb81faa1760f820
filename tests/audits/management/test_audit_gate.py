"""`manage.py audit --fail-on ... --format text|json|junit`: a CI step's exit status and a clean standard output."""

import json
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xmlschema
import yaml
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection

from audits.models import AuditReport
from tests.factories import credit_frame

ROOT = Path(__file__).resolve().parents[3]
README = (ROOT / "README.md").read_text(encoding="utf-8")
SCHEMA = xmlschema.XMLSchema(ROOT / "tests" / "audits" / "exports" / "data" / "junit.xsd")


@pytest.fixture
def biased_csv(tmp_path):
    """Men approved at 0.7, women at 0.45 (planted): disparate impact about 0.64, a fail."""
    path = tmp_path / "credit.csv"
    credit_frame(n=600).to_csv(path, index=False)
    return path


@pytest.fixture
def fair_csv(tmp_path):
    """Exactly half of each sex approved, 1,000 rows each: every selection-rate metric passes."""
    sex = np.repeat(["female", "male"], 1000)
    decision = np.tile(["approve", "deny"], 1000)
    path = tmp_path / "fair.csv"
    pd.DataFrame({"sex": sex, "decision": decision}).to_csv(path, index=False)
    return path


def _audit(path, *extra):
    call_command(
        "audit", "--dataset", str(path), "--decision", "decision", "--favourable", "approve", "--protected", "sex",
        "--n-boot", "300", *extra,
    )  # fmt: skip


def test_junit_fail_on_fail_exits_3_with_only_valid_xml_on_stdout(biased_csv, eager_celery, transactional_db, capsys):
    with pytest.raises(CommandError, match="Gate failed: .* at or beyond 'fail'") as error:
        _audit(biased_csv, "--fail-on", "fail", "--format", "junit")

    assert error.value.returncode == 3
    out, err = capsys.readouterr()
    SCHEMA.validate(out)  # the whole of stdout is the JUnit document
    root = ET.fromstring(out)
    failed = {tc.get("name") for tc in root.iter("testcase") if tc.find("failure") is not None}
    assert "disparate_impact sex=female vs male" in failed
    report = AuditReport.objects.get()
    expected = sum(result["verdict"] == "fail" for result in report.document["results"])
    assert len(failed) == expected == int(root.get("failures")) > 0
    assert "Acting as user 'cli'" in err and "Acting as user" not in out


def test_json_without_fail_on_reports_and_passes(biased_csv, eager_celery, transactional_db, capsys):
    _audit(biased_csv, "--format", "json")

    out, _ = capsys.readouterr()
    payload = json.loads(out)
    report = AuditReport.objects.get()
    di = next(c for c in payload["cases"] if c["name"] == "disparate_impact sex=female vs male")
    result = next(r for r in report.document["results"] if (r["metric"], r["group"]) == ("disparate_impact", "female"))
    assert (payload["passed"], payload["fail_on"], payload["report"]) == (True, None, report.pk)
    assert di["value"] == result["value"] and di["verdict"] == "fail" and not di["failed"]


def test_a_fair_model_passes_both_gates_and_not_computable_never_fails(
    fair_csv, eager_celery, transactional_db, capsys
):
    _audit(fair_csv, "--fail-on", "inconclusive")

    out = capsys.readouterr().out
    document = AuditReport.objects.get().document
    computed = {r["verdict"] for r in document["results"] if r["value"] is not None}
    assert computed == {"pass"} and "not_computable" in {r["verdict"] for r in document["results"]}
    assert f"Gate --fail-on inconclusive: passed (0 of {len(document['results'])} cases)" in out


def test_an_inconclusive_verdict_fails_fail_on_inconclusive_as_a_junit_failure(
    tmp_path, eager_celery, transactional_db, capsys
):
    """80 rows a group, rates 0.5 and 0.45: the interval of DI straddles 0.8 (inconclusive)."""
    sex = np.repeat(["female", "male"], 80)
    decision = np.concatenate([np.tile(["approve", "deny"], 40), np.repeat(["approve", "deny"], [36, 44])])
    path = tmp_path / "small.csv"
    pd.DataFrame({"sex": sex, "decision": decision}).to_csv(path, index=False)

    _audit(path, "--fail-on", "fail", "--format", "junit")
    passed = ET.fromstring(capsys.readouterr().out)
    with pytest.raises(CommandError):
        _audit(path, "--fail-on", "inconclusive", "--format", "junit")
    failed = ET.fromstring(capsys.readouterr().out)

    inconclusive = [tc for tc in passed.iter("testcase") if "inconclusive" in (tc.findtext("system-out") or "")]
    assert inconclusive and int(passed.get("failures")) == 0
    types = [f.get("type") for f in failed.iter("failure")]
    assert types and set(types) == {"inconclusive"} and len(types) == len(inconclusive)


def test_the_readme_gitlab_step_fails_the_job_and_leaves_a_valid_junit_report(transactional_db, tmp_path):
    """The README's CI script, run by a shell as GitLab would, on a decisions file with a planted disparity."""
    (block,) = [b for b in re.findall(r"```yaml\n(.*?)```", README, flags=re.S) if "junit: fairness.xml" in b]
    (script,) = yaml.safe_load(block)["fairness"]["script"]
    frame = credit_frame(n=600)
    frame.assign(approved=(frame["decision"] == "approve").astype(int)).to_csv(tmp_path / "decisions.csv")
    database = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "auditplatform.settings.local",
        "DATABASE_URL": f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/{database['NAME']}",
        "CELERY_BROKER_URL": "",  # no broker: the audit runs in the command's process
        "AUDIT_SIGNING_KEY": settings.AUDIT_SIGNING_KEY,
        "MEDIA_ROOT": str(tmp_path / "media"),
    }
    script = script.replace(".venv/bin/python manage.py", f"{sys.executable} {ROOT / 'manage.py'}")

    done = subprocess.run(["bash", "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True)

    assert done.returncode == 3, done.stderr
    report = (tmp_path / "fairness.xml").read_text()
    SCHEMA.validate(report)
    assert 'name="disparate_impact sex=female vs male"' in report and "<failure" in report
    assert "Gate failed" in done.stderr and "Acting as user" in done.stderr and done.stdout == ""
