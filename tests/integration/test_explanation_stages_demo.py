"""The demo models get the global-explanation and explanation-quality sections (issue 16), through the CLI.

The MiniLM sentiment classifier (trained here on 600 tweets, as the other real-model tests do) and the Adult income
model of `build_demo_models`, audited with the README's commands.
"""

import json

import pytest
from django.core.management import call_command

from audits.demo_statements import write_statements
from audits.exports.findings_csv import findings_csv
from audits.renderings.html import render_report_html

pytestmark = pytest.mark.integration


def _audit(tmp_path, *arguments) -> dict:
    out = tmp_path / "report.json"
    call_command("audit", *arguments, "--n-boot", "200", "--out", str(out))
    return json.loads(out.read_text())


def test_the_minilm_classifier_gets_clusters_attention_stability_and_consistency(
    tmp_path, settings, eager_celery, transactional_db
):
    from explainers.builtin.minilm_classifier import build_minilm_classifier

    settings.AUDIT_BUILTIN_MODELS_DIR = tmp_path / "models"
    build_minilm_classifier(tmp_path / "models" / "minilm-sentiment", max_rows=600)
    statements = tmp_path / "statements.csv"
    write_statements(statements)

    document = _audit(
        tmp_path, "--dataset", str(statements), "--model", "builtin:minilm-sentiment", "--text-column", "text",
        "--protected", "orientation", "--min-group-size", "10", "--global-explanations", "--explanation-quality",
    )  # fmt: skip

    clusters = document["global_explanations"]["text"]["clusters"]
    assert clusters["layer"] == clusters["n_layers"] == 6 and 2 <= clusters["k"] <= 8
    assert sum(c["n"] for c in clusters["clusters"]) == clusters["n_rows"]
    attention = {a["lexicon"]: a for a in document["global_explanations"]["text"]["attention"]}
    assert attention["gender"]["layers"] == 6 and attention["gender"]["heads"] == 12
    quality = document["explanation_quality"]["text"]
    for entry in quality["stability"]:
        assert entry["overall"]["n"] > 0 and entry["stable"] in (True, False)
    assert quality["consistency"]["agreement"]["mean_spearman"] is not None
    assert document["explanation_quality"]["cost"]["seconds_per_1000"] > 0
    html = render_report_html(document, "0" * 64)
    assert "Explanation quality" in html and "stability" in html.lower()
    assert "quality.consistency" in findings_csv(document)


def test_the_adult_model_gets_shap_per_group_partial_dependence_and_quality(tmp_path, eager_celery, transactional_db):
    call_command("build_demo_models", "--out", str(tmp_path / "demo"))

    document = _audit(
        tmp_path, "--dataset", str(tmp_path / "demo" / "adult_test.csv"), "--model",
        str(tmp_path / "demo" / "adult_income.skops"), "--favourable-class", ">50K", "--outcome", "income",
        "--favourable-outcome", ">50K", "--protected", "sex",
        "--global-explanations", "--explanation-quality",
    )  # fmt: skip

    (entry,) = document["global_explanations"]["tabular"]
    assert entry["protected_is_feature"] and {"Female", "Male"} <= set(entry["groups"])
    assert any(d["feature"] == "sex" and d["range"] > 0 for d in entry["partial_dependence"])
    quality = document["explanation_quality"]["tabular"]
    assert quality["consistency"]["methods"] == ["permutation_shap", "ablation"]
    assert quality["stability"]["agreement"]["n"] > 0
    assert quality["consistency"]["agreement"]["mean_top_overlap"] is not None
