"""The demo's broker (kombu's filesystem transport, as scripts/demo.sh sets it) takes messages without warnings."""

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PUBLISH = """
import django
django.setup()
from auditplatform.celery import app
app.send_task("audits.nothing", queue="default")
print(app.conf.broker_url)
"""


def test_the_demo_broker_publishes_without_the_hostname_warning(tmp_path):
    (url,) = re.findall(r"^export CELERY_BROKER_URL=(\S+)", (ROOT / "scripts" / "demo.sh").read_text(), flags=re.M)
    for folder in ("queue", "control", "results"):
        (tmp_path / folder).mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CELERY_", "DJANGO_", "DATABASE_URL"))}
    env |= {
        "DJANGO_SETTINGS_MODULE": "auditplatform.settings.local",
        "CELERY_BROKER_URL": url,
        "AUDIT_BROKER_DIR": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
    }

    done = subprocess.run(
        [sys.executable, "-c", PUBLISH], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )

    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == url and url.startswith("filesystem://")
    assert len(list((tmp_path / "queue").iterdir())) == 1  # the message is a file in the demo's folder
    assert "No hostname was supplied" not in done.stderr + done.stdout
