"""The Hugging Face card loads with huggingface_hub and its model-index carries the report's exact numbers."""

import copy

import yaml
from huggingface_hub import ModelCard

from audits.exports.findings import headline_findings, probe_slice, result_slice
from audits.exports.hf_card import hf_model_card
from audits.renderings.formatting import fmt_number
from tests.audits.exports.documents import load_report


def _expected_metrics(document: dict) -> dict[str, float]:
    expected = {
        f"{r['metric']} {result_slice(r)} vs {r['reference_group']}": r["value"]
        for r in document["results"]
        if r["value"] is not None
    }
    expected |= {f"{r['statistic']} {probe_slice(r)}": r["value"] for r in headline_findings(document)}
    return expected


def test_card_loads_and_its_eval_results_equal_the_report(any_report):
    document, _, sha256 = any_report

    card = ModelCard(hf_model_card(document, sha256))

    results = card.data.eval_results
    assert {r.metric_name: r.metric_value for r in results} == _expected_metrics(document)
    assert len(results) == len(_expected_metrics(document))
    assert all(r.verified is False for r in results)
    assert card.data.to_dict()["model-index"][0]["name"] == document["subject"]["model"]["name"]


def _model_index(card: str) -> list[dict]:
    front = card.split("\n---\n", 1)[0].removeprefix("---\n")
    return yaml.safe_load(front)["model-index"]


def test_group_metrics_and_each_probe_are_separate_results_with_their_task_and_dataset():
    document, _, sha256 = load_report("text_probe_report.json")

    # huggingface_hub merges results of one task type and dataset when it re-writes a card; the values survive.
    index = _model_index(hf_model_card(document, sha256))[0]["results"]

    assert [r["task"]["name"] for r in index] == [
        "Fairness audit: group metrics",
        "Fairness probe: text_counterfactual (lexicon:sexual_orientation)",
        "Fairness probe: text_counterfactual (lexicon:gender)",
    ]
    assert {r["task"]["type"] for r in index} == {"text-classification"}
    assert index[0]["dataset"] == {
        "name": "statements.csv",
        "type": "statements.csv",
        "revision": f"sha256:{document['subject']['dataset']['sha256']}",
    }
    metric = index[0]["metrics"][0]
    assert metric["type"] == "disparate_impact" and metric["verified"] is False
    assert isinstance(metric["value"], float)


def test_benchmark_probes_name_their_data_source_and_the_model_task():
    lm, _, lm_sha = load_report("language_model_probe_report.json")
    encoder, _, encoder_sha = load_report("encoder_probe_report.json")

    lm_index = _model_index(hf_model_card(lm, lm_sha))[0]["results"]
    encoder_index = _model_index(hf_model_card(encoder, encoder_sha))[0]["results"]

    assert [(r["task"]["type"], r["dataset"]["name"]) for r in lm_index] == [
        ("text-generation", "CrowS-Pairs"),
        ("text-generation", "discrim-eval (explicit)"),
    ]
    assert encoder_index[0]["task"]["type"] == "feature-extraction"
    assert encoder_index[0]["dataset"]["type"] == "weat"


def test_body_shows_the_report_sha256_every_verdict_and_the_fingerprints(compas_report):
    document, _, sha256 = compas_report

    text = hf_model_card(document, sha256)

    body = text.split("\n---\n", 1)[1]
    assert body.count(sha256) == 2
    for result in document["results"]:
        assert f"`{result['metric']}` | {result_slice(result).replace('_', chr(92) + '_')} |" in body
    assert body.count(" | fail |") + body.count(" | **fail** |") == document["summary"]["verdicts"]["fail"]
    assert f"Model sha256: `{document['fingerprints']['model_sha256']}`" in body
    assert fmt_number(document["results"][0]["value"]) in body


def test_labels_from_the_data_cannot_inject_markdown_html_or_yaml(compas_report):
    document, _, sha256 = compas_report
    document = copy.deepcopy(document)
    hostile = "<script>alert(1)</script> | [x](http://evil.example)\n---\nlicense: mit"
    document["results"][0]["group"] = hostile

    text = hf_model_card(document, sha256)

    body = text.split("\n---\n", 1)[1]
    assert "<script>" not in body and "&lt;script&gt;" in body
    assert "[x](" not in body and "\\| \\[x\\](" in body  # no link, no extra table cell
    names = [m["name"] for m in _model_index(text)[0]["results"][0]["metrics"]]
    assert (
        names[0] == f"{document['results'][0]['metric']} race={hostile} vs {document['results'][0]['reference_group']}"
    )
    assert "license" not in ModelCard(text).data.to_dict()
