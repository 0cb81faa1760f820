"""Report documents for the export and rendering tests.

``compas_report``: the real pipeline (the `audit` command on COMPAS: race, sex, their intersection and the decile
score), run once per test session on first use and reused after. The probe reports in ``data/`` are real reports
of this code, trimmed and re-checked against the report schema: ``text_probe_report.json`` (profanity-check,
text counterfactual probes of two lexicons with occlusion attributions, first attribution pair kept),
``language_model_probe_report.json`` (a tiny causal LM: CrowS-Pairs and discrim-eval),
``encoder_probe_report.json`` (a tiny encoder: WEAT) and ``tabular_probe_report.json`` (a skops pipeline using
sex: counterfactual probe and SHAP; SHAP values and score curves cut to their first rows).
"""

import json
from pathlib import Path

import pytest

from audits.canonical import canonical_dumps, sha256_hex
from audits.reports.schema import report_errors
from tests.factories import audit_compas

DATA = Path(__file__).parent / "data"
PROBE_REPORTS = (
    "text_probe_report.json",
    "language_model_probe_report.json",
    "encoder_probe_report.json",
    "tabular_probe_report.json",
)
_SESSION: dict[str, tuple[dict, str, str]] = {}


def load_report(name: str) -> tuple[dict, str, str]:
    """(document, canonical JSON, sha256) of a stored report; it must still satisfy the report schema."""
    document = json.loads((DATA / name).read_text(encoding="utf-8"))
    assert report_errors(document) == [], f"{name} no longer matches the report schema"
    canonical = canonical_dumps(document)
    return document, canonical, sha256_hex(canonical)


@pytest.fixture
def compas_report(transactional_db, eager_celery, compas_path, tmp_path) -> tuple[dict, str, str]:
    """(document, canonical JSON, sha256) of a real COMPAS audit (the run commits, so the database is flushed
    after each test that asks for it; the audit itself runs once)."""
    if "compas" not in _SESSION:
        out = tmp_path / "compas.json"
        options = ["--protected", "race", "--protected", "sex", "--intersect", "race,sex"]
        options += ["--score-column", "decile_score", "--score-lower-is-favourable", "--n-boot", "200"]
        audit_compas(str(compas_path), *options, out=out)
        canonical = out.read_text(encoding="utf-8")
        _SESSION["compas"] = (json.loads(canonical), canonical, sha256_hex(canonical))
    return _SESSION["compas"]


@pytest.fixture(params=PROBE_REPORTS)
def probe_report(request) -> tuple[dict, str, str]:
    return load_report(request.param)


@pytest.fixture(params=["compas", *PROBE_REPORTS])
def any_report(request) -> tuple[dict, str, str]:
    if request.param == "compas":
        return request.getfixturevalue("compas_report")
    return load_report(request.param)
