"""The Model Card Toolkit export validates against the official v0.0.2 schema and repeats the report's numbers."""

import json

import pytest
from jsonschema import Draft7Validator, FormatChecker

from audits.exports.findings import headline_findings, probe_slice, result_slice
from audits.exports.model_card import model_card, model_card_schema_path
from tests.audits.exports.documents import load_report


@pytest.fixture(scope="module")
def validator() -> Draft7Validator:
    path = model_card_schema_path()
    if not path.exists():
        pytest.skip(f"the official Model Card schema is not at {path} (../shared/schemas/ beside the repository)")
    schema = json.loads(path.read_text())
    Draft7Validator.check_schema(schema)
    return Draft7Validator(schema, format_checker=FormatChecker())


def _errors(validator, card) -> list[str]:
    return [f"{'/'.join(map(str, e.path))}: {e.message}" for e in validator.iter_errors(card)]


def test_model_card_of_every_kind_of_report_validates_against_the_official_schema(any_report, validator):
    document, _, sha256 = any_report

    card = model_card(document, sha256)

    assert _errors(validator, card) == []
    assert card["schema_version"] == "0.0.2"
    assert sha256 in card["model_details"]["overview"]
    assert card["model_details"]["version"]["name"] == f"audit report {sha256[:12]}"


def test_the_validator_refuses_a_metric_value_that_is_not_a_string(compas_report, validator):
    document, _, sha256 = compas_report
    card = model_card(document, sha256)

    card["quantitative_analysis"]["performance_metrics"][0]["value"] = document["results"][0]["value"]

    assert any("is not of type 'string'" in error for error in _errors(validator, card))


def test_every_metric_result_is_one_performance_metric_with_its_exact_value_and_interval(compas_report):
    document, _, sha256 = compas_report

    metrics = model_card(document, sha256)["quantitative_analysis"]["performance_metrics"]

    results = document["results"]
    assert len(metrics) == len(results) + len(headline_findings(document))
    for metric, result in zip(metrics, results, strict=False):
        assert metric["type"] == result["metric"]
        assert metric["slice"] == result_slice(result)
        if result["value"] is None:
            assert metric["value"] == "n/a"
        else:
            assert float(metric["value"]) == result["value"]
        if result["ci_low"] is None:
            assert "confidence_interval" not in metric
        else:
            interval = metric["confidence_interval"]
            assert (float(interval["lower_bound"]), float(interval["upper_bound"])) == (
                result["ci_low"],
                result["ci_high"],
            )


def test_probe_headline_numbers_are_metrics_too(probe_report):
    document, _, sha256 = probe_report

    metrics = model_card(document, sha256)["quantitative_analysis"]["performance_metrics"]

    probe_metrics = {(m["type"], m["slice"]): float(m["value"]) for m in metrics[len(document["results"]) :]}
    expected = {(f"{r['probe']}.{r['statistic']}", probe_slice(r)): r["value"] for r in headline_findings(document)}
    assert probe_metrics == expected and expected


def test_text_probe_excess_flip_rates_and_crows_score_are_in_the_card():
    text, _, text_sha = load_report("text_probe_report.json")
    lm, _, lm_sha = load_report("language_model_probe_report.json")

    text_metrics = model_card(text, text_sha)["quantitative_analysis"]["performance_metrics"]
    lm_metrics = model_card(lm, lm_sha)["quantitative_analysis"]["performance_metrics"]

    flips = [float(m["value"]) for m in text_metrics if m["type"] == "text_counterfactual.excess_flip_rate"]
    assert flips == [pair["excess_flip_rate"] for probe in text["probes"] for pair in probe["pairs"]]
    overall = next(m for m in lm_metrics if m["slice"] == "bias_type=overall")
    assert overall["type"] == "crows_pairs.score" and float(overall["value"]) == lm["probes"][0]["overall"]["score"]


def test_each_failed_finding_is_a_risk_with_a_mitigation_strategy(compas_report):
    document, _, sha256 = compas_report

    risks = model_card(document, sha256)["considerations"]["ethical_considerations"]

    failed = [r for r in document["results"] if r["verdict"] == "fail"]
    assert len(risks) == len(failed) > 0
    for risk, result in zip(risks, failed, strict=True):
        assert risk["name"].startswith(f"{result['metric']} {result_slice(result)} vs {result['reference_group']}")
        assert result["group"] in risk["mitigation_strategy"] and "re-audit" in risk["mitigation_strategy"]


def test_failed_probes_are_risks_too():
    document, _, sha256 = load_report("text_probe_report.json")

    risks = model_card(document, sha256)["considerations"]["ethical_considerations"]

    probe_risks = [r for r in risks if r["name"].startswith("text_counterfactual")]
    assert [r["name"].split(":")[0] for r in probe_risks] == ["text_counterfactual lexicon"] * 2
    assert all("counterfactual term swaps" in r["mitigation_strategy"] for r in probe_risks)


def test_small_groups_and_metrics_without_outcomes_are_limitations(compas_report):
    compas, _, compas_sha = compas_report
    text, _, text_sha = load_report("text_probe_report.json")

    compas_limits = [x["description"] for x in model_card(compas, compas_sha)["considerations"]["limitations"]]
    text_limits = [x["description"] for x in model_card(text, text_sha)["considerations"]["limitations"]]

    assert any(d.startswith("Insufficient data for race=Native American: n_group=18 < 30") for d in compas_limits)
    assert any(d.startswith("Convention: disparate impact of") for d in compas_limits)
    assert "equal_opportunity_difference not computable for orientation (no outcome labels): 5 slices." in text_limits
    assert any(d.startswith("Attributions (occlusion) for lexicon:gender: Occlusion scored") for d in text_limits)
