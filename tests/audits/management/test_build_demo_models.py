"""`build_demo_models` trains the Adult model once per demo: the demo's second call, for the text models, skips it."""

import re
import shlex
from pathlib import Path

from django.core.management import call_command

ROOT = Path(__file__).resolve().parents[3]


def test_the_demo_trains_the_adult_model_once():
    script = (ROOT / "scripts" / "demo.sh").read_text(encoding="utf-8")
    lines = re.findall(r"^.*manage\.py build_demo_models.*$", script, flags=re.M)
    calls = [shlex.split(line, comments=True) for line in lines]

    assert len(calls) == 2 and any("--text" in call for call in calls)
    assert [call for call in calls if "--no-adult" not in call] == [calls[0]]


def test_no_adult_leaves_the_adult_model_alone(tmp_path, capsys):
    call_command("build_demo_models", "--out", str(tmp_path / "demo"), "--no-adult")

    assert not (tmp_path / "demo").exists()
    assert "trained" not in capsys.readouterr().out
