"""The SPDX 3.0.1 AI profile export is a valid document for the spdx-python-model bindings, repeats the report's
numbers and bands exactly, and carries its failed findings as the dataset's known biases."""

import copy
import json

import pytest
from spdx_python_model.bindings import v3_0_1 as spdx3

from audits.exports import export_report
from audits.exports.findings import headline_findings, probe_slice, result_slice
from audits.exports.spdx import spdx_errors
from audits.reports.compliance import CROSSWALK
from tests.audits.exports.documents import load_report


def _objects(data: bytes) -> spdx3.SHACLObjectSet:
    objects = spdx3.SHACLObjectSet()
    spdx3.JSONLDDeserializer().deserialize_data(json.loads(data), objects)
    assert objects.link() == set()
    return objects


def _one(objects, kind):
    (found,) = list(objects.foreach_type(kind))
    return found


def _export(document, sha256) -> bytes:
    return export_report(document, sha256, "spdx", stem="audit-report-7").content


def test_every_kind_of_report_is_a_valid_spdx_3_0_1_document(any_report):
    document, _, sha256 = any_report

    exported = export_report(document, sha256, "spdx", stem="audit-report-7")

    assert spdx_errors(exported.content) == []
    data = json.loads(exported.content)
    assert data["@context"] == "https://spdx.org/rdf/3.0.1/spdx-context.jsonld"
    objects = _objects(exported.content)
    spdx_document = _one(objects, spdx3.SpdxDocument)
    package = _one(objects, spdx3.ai_AIPackage)
    assert list(spdx_document.rootElement) == [package]
    assert _one(objects, spdx3.CreationInfo).specVersion == "3.0.1"
    assert (exported.filename, exported.content_type) == ("audit-report-7.spdx.json", "application/ld+json")


def _node(data: dict, kind: str) -> dict:
    return next(n for n in data["@graph"] if n["type"] == kind)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: _node(d, "dataset_DatasetPackage").update(dataset_datasetType=["tabular"]), "'tabular' is not a"),
        (lambda d: _node(d, "ai_AIPackage").update(ai_fairness="good"), "Unknown property 'ai_fairness'"),
        (lambda d: _node(d, "ai_AIPackage").pop("creationInfo"), "'creationInfo' in ai_AIPackage"),
        (lambda d: _node(d, "ai_AIPackage").update(ai_useSensitivePersonalInformation="maybe"), "'maybe' is not a"),
        (lambda d: _node(d, "Relationship").update(to=["https://example.org/x"]), "unknown element"),
    ],
)
def test_the_model_check_refuses_what_spdx_3_0_1_does_not_allow(change, message):
    document, _, sha256 = load_report("tabular_probe_report.json")
    data = json.loads(_export(document, sha256))
    broken = copy.deepcopy(data)

    change(broken)

    errors = spdx_errors(json.dumps(broken).encode())
    assert len(errors) == 1 and message in errors[0], errors


def test_metrics_and_decision_thresholds_repeat_every_result_and_its_band(compas_report):
    document, _, sha256 = compas_report

    package = _one(_objects(_export(document, sha256)), spdx3.ai_AIPackage)

    metrics = [(e.key, e.value) for e in package.ai_metric]
    results = document["results"]
    assert metrics[: len(results)] == [
        (f"{r['metric']} {result_slice(r)}", "n/a" if r["value"] is None else repr(r["value"])) for r in results
    ]
    assert len(metrics) == len(results) + len(headline_findings(document))
    thresholds = {e.key: e.value for e in package.ai_metricDecisionThreshold}
    assert len(thresholds) == len(results)
    for result in results:
        low, high = json.loads(thresholds[f"{result['metric']} {result_slice(result)}"])
        assert (low, high) == (result["band_low"], result["band_high"])


def test_a_report_with_failing_findings_names_them_as_known_biases_and_keeps_its_limitations():
    document, _, sha256 = load_report("text_probe_report.json")
    failed = document["summary"]["failed"]
    assert len(failed) == 3

    objects = _objects(_export(document, sha256))

    biases = list(_one(objects, spdx3.dataset_DatasetPackage).dataset_knownBias)
    assert [b.split(" vs ")[0] for b in biases[:3]] == [f.replace(":", " ") for f in failed]
    assert biases[0].startswith("disparate_impact orientation=homosexual vs bisexual: 0.469")
    assert any(b.startswith("text_counterfactual") for b in biases[3:])
    package = _one(objects, spdx3.ai_AIPackage)
    assert "not computable" in package.ai_limitation
    assert list(package.ai_standardCompliance) == [entry["framework"] for entry in CROSSWALK]


def test_probe_headlines_are_metrics_under_their_slice():
    document, _, sha256 = load_report("language_model_probe_report.json")

    package = _one(_objects(_export(document, sha256)), spdx3.ai_AIPackage)

    expected = [
        (f"{r['probe']}.{r['statistic']} {probe_slice(r)}", repr(r["value"])) for r in headline_findings(document)
    ]
    assert [(e.key, e.value) for e in package.ai_metric] == expected and expected


def test_sensitive_information_use_is_asserted_only_when_the_audit_saw_the_protected_column_as_an_input():
    tabular, _, tabular_sha = load_report("tabular_probe_report.json")
    encoder, _, encoder_sha = load_report("encoder_probe_report.json")
    assert tabular["attributions"][0]["protected_is_feature"] is True

    used = _one(_objects(_export(tabular, tabular_sha)), spdx3.ai_AIPackage)
    unknown = _one(_objects(_export(encoder, encoder_sha)), spdx3.ai_AIPackage)

    assert used.ai_useSensitivePersonalInformation == spdx3.PresenceType.yes
    assert unknown.ai_useSensitivePersonalInformation == spdx3.PresenceType.noAssertion


def test_dataset_model_and_report_carry_their_sha256_and_are_related():
    document, _, sha256 = load_report("tabular_probe_report.json")

    objects = _objects(_export(document, sha256))

    def digest(element) -> str:
        (method,) = element.verifiedUsing
        assert method.algorithm == spdx3.HashAlgorithm.sha256
        return method.hashValue

    package, data = _one(objects, spdx3.ai_AIPackage), _one(objects, spdx3.dataset_DatasetPackage)
    report = _one(objects, spdx3.software_File)
    assert digest(data) == document["subject"]["dataset"]["sha256"]
    assert digest(package) == document["subject"]["model"]["sha256"]
    assert (digest(report), report.name) == (sha256, "audit-report-7.json")
    relations = {(r.from_, r.relationshipType, tuple(r.to)) for r in objects.foreach_type(spdx3.Relationship)}
    assert relations == {
        (package, spdx3.RelationshipType.testedOn, (data,)),
        (package, spdx3.RelationshipType.hasEvidence, (report,)),
    }


def test_the_same_report_gives_the_same_bytes_dated_by_the_report():
    document, _, sha256 = load_report("tabular_probe_report.json")

    first, second = _export(document, sha256), _export(copy.deepcopy(document), sha256)

    assert first == second
    created = _one(_objects(first), spdx3.CreationInfo).created
    assert created.isoformat().startswith(document["provenance"]["finished_at"][:19])
