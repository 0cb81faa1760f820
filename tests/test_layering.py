"""design.md section 2: explainers/ is plain Python; frontend/ never imports explainers."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
IMPORT = re.compile(r"^\s*(from|import)\s+(\w+)", re.MULTILINE)


def _imported_top_levels(folder: str) -> dict[str, set[str]]:
    return {
        str(path.relative_to(ROOT)): {m.group(2) for m in IMPORT.finditer(path.read_text())}
        for path in (ROOT / folder).rglob("*.py")
    }


def test_explainers_imports_neither_django_nor_the_app_layer():
    forbidden = {"django", "rest_framework", "celery", "audits", "frontend", "auditplatform"}
    offenders = {f: sorted(i & forbidden) for f, i in _imported_top_levels("explainers").items() if i & forbidden}
    assert offenders == {}
    assert not any("django" in p.read_text() for p in (ROOT / "explainers").rglob("*.py"))


def test_frontend_does_not_import_explainers():
    offenders = [f for f, i in _imported_top_levels("frontend").items() if "explainers" in i]
    assert offenders == []
