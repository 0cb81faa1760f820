"""The CycloneDX 1.6 ML-BOM export validates against the schema bundled in cyclonedx-python-lib, repeats the
report's numbers exactly, and carries its failed findings."""

import json

import pytest

from audits.exports import export_report
from audits.exports.cyclonedx import bom_errors, cyclonedx_bom, serial_number
from audits.exports.findings import headline_findings, result_slice
from tests.audits.exports.documents import load_report


def _bom(document, sha256) -> dict:
    return json.loads(export_report(document, sha256, "cyclonedx", stem="audit-report-7").content)


def _model(bom: dict) -> dict:
    return next(c for c in bom["components"] if c["type"] == "machine-learning-model")


def test_every_kind_of_report_validates_against_the_bundled_cyclonedx_1_6_schema(any_report):
    document, _, sha256 = any_report

    exported = export_report(document, sha256, "cyclonedx", stem="audit-report-7")

    assert bom_errors(exported.content.decode()) == []
    bom = json.loads(exported.content)
    assert (bom["bomFormat"], bom["specVersion"]) == ("CycloneDX", "1.6")
    assert exported.filename == "audit-report-7.cdx.json"
    assert exported.content_type == "application/vnd.cyclonedx+json"


def test_the_schema_check_refuses_a_number_an_unknown_key_and_a_wrong_component_type():
    document, _, sha256 = load_report("tabular_probe_report.json")
    bom = cyclonedx_bom(document, sha256, report_filename="r.json")
    card = _model(bom)["modelCard"]

    card["quantitativeAnalysis"]["performanceMetrics"][0]["value"] = 0.5
    card["considerations"]["fairnessAssessments"][0]["severity"] = "high"
    bom["components"][1]["type"] = "dataset"

    errors = bom_errors(json.dumps(bom))
    assert any("0.5 is not of type 'string'" in e for e in errors)
    assert any("'severity' was unexpected" in e for e in errors)
    assert any("'dataset' is not one of" in e for e in errors)


def test_every_result_is_a_performance_metric_with_its_exact_value_and_interval(compas_report):
    document, _, sha256 = compas_report

    metrics = _model(_bom(document, sha256))["modelCard"]["quantitativeAnalysis"]["performanceMetrics"]

    results = document["results"]
    assert len(metrics) == len(results) + len(headline_findings(document))
    for metric, result in zip(metrics, results, strict=False):
        assert (metric["type"], metric["slice"]) == (result["metric"], result_slice(result))
        assert metric["value"] == ("n/a" if result["value"] is None else repr(result["value"]))
        if result["ci_low"] is None:
            assert "confidenceInterval" not in metric
        else:
            bounds = metric["confidenceInterval"]
            assert (float(bounds["lowerBound"]), float(bounds["upperBound"])) == (result["ci_low"], result["ci_high"])


def test_the_disparate_impact_equals_a_hand_computation_from_the_group_counts():
    document, _, sha256 = load_report("tabular_probe_report.json")
    groups = {g["group"]: g for g in document["attributes"][0]["groups"]}

    metrics = _model(_bom(document, sha256))["modelCard"]["quantitativeAnalysis"]["performanceMetrics"]

    value = next(float(m["value"]) for m in metrics if (m["type"], m["slice"]) == ("disparate_impact", "sex=female"))
    by_hand = (groups["female"]["n_selected"] / groups["female"]["n"]) / (
        groups["male"]["n_selected"] / groups["male"]["n"]
    )
    assert (groups["female"]["n_selected"], groups["female"]["n"], groups["male"]["n_selected"]) == (243, 780, 462)
    assert value == pytest.approx(by_hand, rel=1e-12) == pytest.approx(0.48551448551, rel=1e-9)


def test_failed_findings_are_fairness_assessments_and_ethical_considerations():
    document, _, sha256 = load_report("tabular_probe_report.json")
    assert document["summary"]["failed"] == ["disparate_impact:sex=female", "statistical_parity_difference:sex=female"]

    considerations = _model(_bom(document, sha256))["modelCard"]["considerations"]

    assessments = considerations["fairnessAssessments"]
    disparate = assessments[0]
    assert disparate["groupAtRisk"] == "sex=female"
    assert disparate["harms"].startswith("sex=female receives the favourable decision (grant) less often than sex=male")
    assert "0.486 [0.438, 0.536] outside the band 0.8..1.25" in disparate["harms"]
    assert "re-weighing" in disparate["mitigationStrategy"] and "sex=female" in disparate["benefits"]
    assert assessments[2]["groupAtRisk"] == "sex" and "tabular_counterfactual" in assessments[2]["harms"]
    risks = [risk["name"] for risk in considerations["ethicalConsiderations"]]
    assert len(risks) == 3 and risks[0].startswith("disparate_impact sex=female vs male: 0.486")


def test_a_group_too_small_to_judge_is_a_fairness_assessment_with_unmeasured_harm(compas_report):
    document, _, sha256 = compas_report
    small = {result_slice(r) for r in document["results"] if r["verdict"] == "insufficient_data"}
    assert small, "the COMPAS audit has groups below the minimum size"

    assessments = _model(_bom(document, sha256))["modelCard"]["considerations"]["fairnessAssessments"]

    unmeasured = {a["groupAtRisk"] for a in assessments if a["harms"].startswith("Unmeasured")}
    assert unmeasured == small


def test_dataset_and_report_are_referenced_by_their_sha256():
    document, _, sha256 = load_report("tabular_probe_report.json")

    bom = _bom(document, sha256)

    model = _model(bom)
    data = next(c for c in bom["components"] if c["type"] == "data")
    assert data["hashes"] == [{"alg": "SHA-256", "content": document["subject"]["dataset"]["sha256"]}]
    assert data["data"][0]["sensitiveData"] == ["sex"]
    assert model["modelCard"]["modelParameters"]["datasets"] == [{"ref": data["bom-ref"]}]
    assert model["hashes"] == [{"alg": "SHA-256", "content": document["subject"]["model"]["sha256"]}]
    reference = bom["externalReferences"][0]
    assert (reference["url"], reference["hashes"]) == ("audit-report-7.json", [{"alg": "SHA-256", "content": sha256}])
    assert model["externalReferences"] == [reference]


def test_a_report_without_a_dataset_has_only_the_model_component():
    document, _, sha256 = load_report("language_model_probe_report.json")

    bom = _bom(document, sha256)

    assert [c["type"] for c in bom["components"]] == ["machine-learning-model"]
    assert "datasets" not in _model(bom)["modelCard"]["modelParameters"]


def test_the_same_report_gives_the_same_bytes_with_serial_and_time_from_the_report():
    document, _, sha256 = load_report("text_probe_report.json")

    first = export_report(document, sha256, "cyclonedx", stem="s").content
    second = export_report(json.loads(json.dumps(document)), sha256, "cyclonedx", stem="s").content

    assert first == second
    bom = json.loads(first)
    assert bom["serialNumber"] == serial_number(sha256) and serial_number(sha256) != serial_number("0" * 64)
    assert bom["metadata"]["timestamp"] == document["provenance"]["finished_at"]


def test_a_gap_above_the_band_puts_the_reference_group_at_risk():
    document, _, sha256 = load_report("tabular_probe_report.json")
    disparate = document["results"][0]
    assert (disparate["metric"], disparate["group"], disparate["reference_group"]) == (
        "disparate_impact",
        "female",
        "male",
    )
    disparate.update(value=1.6, ci_low=1.4, ci_high=1.8)  # female now selected 1.6 times as often as male

    assessment = cyclonedx_bom(document, sha256, report_filename="r.json")["components"][0]["modelCard"][
        "considerations"
    ]["fairnessAssessments"][0]

    assert assessment["groupAtRisk"] == "sex=male"
    assert assessment["harms"].startswith(
        "sex=male receives the favourable decision (grant) less often than sex=female"
    )
