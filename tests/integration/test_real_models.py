"""The real models that ship offline, through the same paths as users' models (the integration tier).

A transformers classifier goes to the gpu queue and a real worker consuming it runs it; the profanity
classifier's orientation bias is found; SmolLM2 gets CrowS-Pairs by bias type; MiniLM gets WEAT.
"""

import json

import pytest
from django.core.management import call_command

from audits.demo_statements import write_statements
from audits.models import AuditReport
from tests.audits.flows.test_hf_models_flow import _zip_folder
from tests.explainers.runners.hf_fixtures import make_text_classifier
from tests.factories import upload_form
from tests.integration.test_worker_end_to_end import _wait_for

pytestmark = pytest.mark.integration


def test_a_transformers_audit_is_routed_to_the_gpu_queue_and_run_by_a_worker(celery_workers, auditor_client, tmp_path):
    (worker,) = celery_workers(1)
    statements = tmp_path / "statements.csv"
    write_statements(statements)
    with statements.open("rb") as handle:
        form = upload_form(
            handle, decision_column="", favourable_decision=[], outcome_column="", favourable_outcome=[],
            protected=["gender"], text_column="text",
        )  # fmt: skip
        dataset = auditor_client.post("/api/v1/datasets/", form, format="multipart")
    assert dataset.status_code == 201, dataset.json()
    upload = _zip_folder(make_text_classifier(tmp_path / "clf"))
    model = auditor_client.post(
        "/api/v1/models/",
        {"file": upload, "workspace": "credit-risk", "favourable": ["positive"], "dataset": dataset.json()["id"]},
        format="multipart",
    ).json()
    plan = auditor_client.post(
        "/api/v1/plans/",
        {"dataset": dataset.json()["id"], "model": model["id"], "n_boot": 200, "min_group_size": 10},
        format="json",
    ).json()

    run = _wait_for(auditor_client, auditor_client.post(f"/api/v1/plans/{plan['id']}/run/").json()["id"])

    assert run["status"] == "succeeded", run["error"]
    assert run["worker"] == worker.name
    assert "audits.tasks.audit_run_execute_task" in worker.log_path.read_text()


def _audit(tmp_path, *arguments) -> dict:
    out = tmp_path / "report.json"
    call_command("audit", *arguments, "--n-boot", "300", "--out", str(out))
    return json.loads(out.read_text())


def test_the_profanity_classifier_is_biased_against_gay_statements(tmp_path, eager_celery, transactional_db):
    statements = tmp_path / "statements.csv"
    write_statements(statements)

    document = _audit(
        tmp_path, "--dataset", str(statements), "--model", "builtin:profanity-check", "--text-column", "text",
        "--protected", "orientation", "--protected", "gender", "--probe", "text_counterfactual",
        "--lexicon", "sexual_orientation", "--min-group-size", "10",
    )  # fmt: skip

    (probe,) = document["probes"]
    assert probe["verdict"] == "fail"
    gay_to_straight = next(
        p for p in probe["pairs"] if (p["source_group"], p["target_group"]) == ("lgb", "heterosexual")
    )
    assert gay_to_straight["mean_delta"] > 0.2  # P(not offensive) rises when "gay" becomes "straight"
    assert AuditReport.objects.count() == 1


def test_smollm2_gets_crows_pairs_by_bias_type(tmp_path, eager_celery, transactional_db):
    document = _audit(
        tmp_path, "--model", "builtin:smollm2-135m-instruct", "--probe", "crows_pairs", "--max-pairs", "200"
    )

    (probe,) = document["probes"]
    assert document["report_type"] == "model_probe_audit"
    assert probe["n_scored"] == 200 and len(probe["bias_types"]) >= 5
    assert 0 <= probe["overall"]["ci_low"] <= probe["overall"]["score"] <= probe["overall"]["ci_high"] <= 100
    assert document["subject"]["model"]["builtin"] == "smollm2-135m-instruct"


def test_minilm_gets_weat_with_effect_sizes(tmp_path, eager_celery, transactional_db):
    document = _audit(tmp_path, "--model", "builtin:all-minilm-l6-v2", "--probe", "weat")

    (probe,) = document["probes"]
    assert len(probe["tests"]) == 10
    flowers = probe["tests"][0]  # WEAT 1: flowers vs insects ~ pleasant vs unpleasant, a strong association
    assert flowers["effect_size"] > 0.8 and flowers["verdict"] == "fail"


def test_the_minilm_classifier_is_built_audited_and_explained(tmp_path, settings, eager_celery, transactional_db):
    from explainers.builtin.minilm_classifier import build_minilm_classifier

    settings.AUDIT_BUILTIN_MODELS_DIR = tmp_path / "models"
    build_minilm_classifier(tmp_path / "models" / "minilm-sentiment", max_rows=600)
    statements = tmp_path / "statements.csv"
    write_statements(statements)

    document = _audit(
        tmp_path, "--dataset", str(statements), "--model", "builtin:minilm-sentiment", "--text-column", "text",
        "--protected", "orientation", "--min-group-size", "10", "--probe", "text_counterfactual",
        "--lexicon", "sexual_orientation", "--attributions", "--attribution-budget", "4",
    )  # fmt: skip

    assert document["subject"]["model"]["kind"] == "hf_classifier"
    (probe,) = document["probes"]
    (attribution,) = document["attributions"]
    assert probe["n_rows"] > 0 and attribution["method"] == "integrated_gradients"
    assert 1 <= attribution["n_pairs"] <= 4
    # Either every attribution set met the 1% completeness bound, or the report lists those that did not.
    assert attribution["all_converged"] or attribution["non_converged"]
