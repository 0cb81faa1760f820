"""The CI gate's cases, failures and JUnit XML, on real reports (the stored probe reports and a COMPAS audit).

The JUnit XML is validated against data/junit.xsd (the Ant / Jenkins structure, stricter than the readers)."""

import json
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

import pytest
import xmlschema

from audits.exports.ci_gate import gate_cases, gate_failures, gate_json, gate_junit, gate_text
from tests.audits.exports.documents import load_report

SCHEMA = xmlschema.XMLSchema(Path(__file__).parent / "data" / "junit.xsd")


def _verdicts(document: dict) -> Counter:
    """Every verdict the report gives: group metrics, then each probe slice with one (counted by hand here)."""
    counts = Counter(result["verdict"] for result in document["results"])
    for probe in document["probes"]:
        if probe["probe"] == "tabular_counterfactual":
            counts[probe["verdict"]] += 1
        elif probe["probe"] == "text_counterfactual":
            counts.update([probe["verdict"], *(pair["verdict"] for pair in probe["pairs"])])
        elif probe["probe"] == "crows_pairs":
            entries = [probe["overall"], *probe["bias_types"], *(probe.get("directions") or [])]
            counts.update(entry["verdict"] for entry in entries)
        elif probe["probe"] == "weat":
            counts.update([probe["verdict"], *(test["verdict"] for test in probe["tests"])])
        elif probe["probe"] == "discrim_eval":
            rows = [row for attribute in probe["attributes"] for row in attribute["comparisons"]]
            counts.update([probe["verdict"], *(row["verdict"] for row in rows)])
    return counts


def _check_cases(document: dict) -> None:
    cases = gate_cases(document)

    assert Counter(case.verdict for case in cases) == _verdicts(document)
    assert len({(case.suite, case.name) for case in cases}) == len(cases)  # each case is named apart


def _check_junit(document: dict, sha256: str) -> None:
    cases = gate_cases(document)
    for fail_on in ("fail", "inconclusive", None):
        text = gate_junit(document, sha256, 7, fail_on)

        SCHEMA.validate(text)  # raises XMLSchemaValidationError with the path of the offence
        root = ET.fromstring(text)
        testcases = root.findall("./testsuite/testcase")
        failures = [tc.find("failure") for tc in testcases if tc.find("failure") is not None]
        expected = gate_failures(cases, fail_on)
        assert len(testcases) == len(cases) == int(root.get("tests"))
        assert len(failures) == len(expected) == int(root.get("failures"))
        assert sorted(f.get("type") for f in failures) == sorted(c.verdict for c in expected)
        for suite in root.findall("testsuite"):
            members = suite.findall("testcase")
            assert int(suite.get("tests")) == len(members)
            assert int(suite.get("failures")) == sum(tc.find("failure") is not None for tc in members)
            assert int(suite.get("skipped")) == sum(tc.find("skipped") is not None for tc in members)


def test_one_case_per_result_and_per_probe_verdict_and_the_junit_validates(probe_report):
    document, _, sha256 = probe_report

    _check_cases(document)
    _check_junit(document, sha256)


def test_the_compas_audit_gives_one_case_per_result_and_valid_junit(compas_report):
    document, _, sha256 = compas_report

    _check_cases(document)
    _check_junit(document, sha256)
    assert len(gate_cases(document)) == len(document["results"]) > 20


def test_fail_on_fail_counts_fail_and_inconclusive_counts_both():
    document, _, _ = load_report("tabular_probe_report.json")
    cases = gate_cases(document)

    fails = gate_failures(cases, "fail")
    both = gate_failures(cases, "inconclusive")

    # summary: 2 failing and 3 inconclusive group metrics, 1 failing probe
    assert [c.verdict for c in fails] == ["fail"] * 3
    assert Counter(c.verdict for c in both) == {"fail": 3, "inconclusive": 3}
    assert gate_failures(cases, None) == []
    assert {c.name for c in fails} >= {"disparate_impact sex=female vs male"}
    assert "FAILED (3 of" in gate_text(document, "fail") and gate_text(document, None) == ""


def test_the_xsd_refuses_what_ci_readers_would_not_read():
    document, _, sha256 = load_report("tabular_probe_report.json")
    root = ET.fromstring(gate_junit(document, sha256, 7, "fail"))
    root.find("./testsuite/testcase").attrib.pop("name")

    with pytest.raises(xmlschema.XMLSchemaValidationError):
        SCHEMA.validate(ET.tostring(root, encoding="unicode"))


def test_json_gate_holds_every_case_and_the_outcome():
    document, _, sha256 = load_report("tabular_probe_report.json")

    payload = json.loads(gate_json(document, sha256, 7, "inconclusive"))

    assert (payload["report"], payload["sha256"], payload["passed"], payload["failures"]) == (7, sha256, False, 6)
    assert payload["verdict_counts"] == dict(sorted(_verdicts(document).items()))
    failed = [c for c in payload["cases"] if c["failed"]]
    assert {c["verdict"] for c in failed} == {"fail", "inconclusive"} and len(failed) == 6
    di = next(c for c in payload["cases"] if c["name"] == "disparate_impact sex=female vs male")
    assert di["value"] == pytest.approx(0.4855144855144855) and di["failed"]
