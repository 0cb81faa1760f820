"""BBQ end to end on a tiny causal LM: the API plan with probe_settings.max_items, the Celery run, the per-item
artifact against the report's numbers, the report page and its renderings (HTML, PDF, CSV), and the CLI's
--max-items."""

import csv
import io
import json

import numpy as np
import pandas as pd
import pytest
from django.core.management import call_command
from django.urls import reverse
from pypdf import PdfReader

from audits.choices import ExportFormat
from audits.renderings.formatting import fmt_signed
from audits.reports.schema import report_errors
from explainers.probes.bbq import bias_scores
from tests.api_errors import error_detail
from tests.audits.flows.test_hf_models_flow import _register, _run, _zip_folder
from tests.explainers.runners.hf_fixtures import make_causal_lm


@pytest.fixture
def lm_folder(tmp_path):
    return make_causal_lm(tmp_path / "lm")


def _hand_scores(table: pd.DataFrame, category: str | None = None) -> np.ndarray:
    """accuracy ambiguous, accuracy disambiguated, s_AMB, s_DIS from the per-item artifact alone."""
    if category is not None:
        table = table[table["category"] == category]
    counts = []
    for condition in ("ambig", "disambig"):
        part = table[table["context_condition"] == condition]
        named = (part["chosen"] != part["unknown"]).sum()
        counts += [len(part), part["correct"].sum(), part["biased_answer"].sum(), named]
    return bias_scores(counts)


def test_a_bbq_audit_runs_through_the_api_and_every_rendering_shows_its_numbers(
    auditor_client, auditor, client, lm_folder, eager_celery, django_capture_on_commit_callbacks
):
    model = _register(auditor_client, _zip_folder(lm_folder)).json()
    too_small = auditor_client.post(
        "/api/v1/plans/", {"model": model["id"], "probes": ["bbq"], "probe_settings": {"max_items": 5}}, "json"
    )
    assert too_small.status_code == 400 and "max_items" in error_detail(too_small)
    plan = auditor_client.post(
        "/api/v1/plans/",
        {"model": model["id"], "probes": ["bbq"], "probe_settings": {"max_items": 36}, "n_boot": 200},
        format="json",
    ).json()
    assert plan["probe_settings"]["max_items"] == 36

    report = _run(auditor_client, plan, django_capture_on_commit_callbacks)

    document = report.document
    assert report_errors(document) == []
    (probe,) = document["probes"]
    assert probe["probe"] == "bbq" and probe["n_items"] == 36 and probe["max_items"] == 36
    assert len(probe["categories"]) == 9 and probe["n_options_scored"] == 108
    artifact = auditor_client.get(f"/api/v1/runs/{report.run_id}/artifact/", {"name": probe["artifact"]["name"]})
    table = pd.read_parquet(io.BytesIO(artifact.content))
    assert len(table) == 36
    per_char = table[[f"logprob_ans{k}" for k in range(3)]].to_numpy() / table[[f"chars_ans{k}" for k in range(3)]]
    np.testing.assert_array_equal(np.argmax(per_char.to_numpy(), axis=1), table["chosen"])
    for entry in [probe["overall"], *probe["categories"]]:
        expected = _hand_scores(table, None if entry["name"] == "overall" else entry["name"])
        got = [entry[k] for k in ("accuracy_ambiguous", "accuracy_disambiguated", "s_amb", "s_dis")]
        np.testing.assert_allclose([np.nan if v is None else v for v in got], expected, equal_nan=True)

    shown = [fmt_signed(probe["overall"]["s_amb"]), fmt_signed(probe["overall"]["s_dis"])]
    client.force_login(auditor)
    page = client.get(reverse("frontend:report-detail", args=[report.pk])).content.decode()
    assert "BBQ" in page and all(value in page for value in shown)
    for fmt in (ExportFormat.HTML, ExportFormat.PDF, ExportFormat.CSV, ExportFormat.MODEL_CARD, ExportFormat.HF_CARD):
        response = client.get(reverse("frontend:report-download", args=[report.pk, fmt]))
        assert response.status_code == 200, fmt
        body = b"".join(response.streaming_content) if response.streaming else response.content
        if fmt == ExportFormat.HTML:
            assert all(value in body.decode() for value in shown) and "<td>Sexual orientation</td>" in body.decode()
        if fmt == ExportFormat.PDF:
            text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(body)).pages)
            assert "BBQ" in text and all(value in text for value in shown)
        if fmt == ExportFormat.CSV:
            rows = [r for r in csv.DictReader(io.StringIO(body.decode())) if r["probe"] == "bbq"]
            s_amb = {r["group"]: float(r["value"]) for r in rows if r["metric"] == "s_amb" and r["value"]}
            assert s_amb["overall"] == pytest.approx(probe["overall"]["s_amb"])
            assert {r["group"] for r in rows} == {"overall", *(c["name"] for c in probe["categories"])}


def test_the_cli_takes_max_items(lm_folder, tmp_path, eager_celery, transactional_db):
    out = tmp_path / "report.json"

    call_command(
        "audit", "--model", str(lm_folder), "--probe", "bbq", "--max-items", "27", "--n-boot", "100", "--out", str(out)
    )

    (probe,) = json.loads(out.read_text())["probes"]
    assert probe["probe"] == "bbq" and probe["n_items"] == 27 and probe["n_boot"] == 100
    assert sum(c["n_ambiguous"] + c["n_disambiguated"] for c in probe["categories"]) == 27
