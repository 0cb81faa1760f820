"""bench/load_bench.py runs end to end (seeding with the real services, gunicorn with production settings on
loopback, concurrent clients): a 2-second run with 2 clients answers every request of every endpoint without an
error. Figures are not checked (no timed assertions); the bench prints them."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]


def test_the_load_bench_runs_and_every_request_succeeds(transactional_db, tmp_path):
    db = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}",
        "CONN_MAX_AGE": "0",  # the test database is dropped at the end: leave no connection open
    }
    out = tmp_path / "load.json"
    command = [
        sys.executable, "bench/load_bench.py", "--clients", "2", "--duration", "2", "--warmup", "0.5", "--reports", "2",
        "--endpoints", "list,detail,page,floor",
    ]  # fmt: skip
    result = subprocess.run(
        [*command, "--out", str(out)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )

    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    figures = json.loads(out.read_text())
    assert figures["meta"]["settings"] == "auditplatform.settings.production" and figures["meta"]["workers"] == 2
    for name in ("api report list", "api report detail", "report page", "floor: signing key"):
        assert figures["endpoints"][name]["requests"] > 0 and figures["endpoints"][name]["errors"] == 0, name
        assert name in result.stdout
    assert figures["meta"]["reports"] == 2 and len(figures["meta"]["endpoints"]) == 4
