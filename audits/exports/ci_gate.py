"""A report as a CI gate (`manage.py audit --fail-on ... --format text|json|junit`): one test case per result, the
verdicts that fail the gate, and the JUnit XML that CI systems (GitHub Actions, GitLab, Jenkins) show natively.

Pure functions of the report document. Cases: every group-metric result, and every probe slice that carries a
verdict (the probe's own verdict included), as audits.exports.findings lists them. ``--fail-on fail`` fails on
``fail`` verdicts; ``--fail-on inconclusive`` on ``fail`` and ``inconclusive``. ``insufficient_data`` and
``not_computable`` never fail the gate: they are reported as skipped test cases (CI shows them, the report says why).
"""

import json
import xml.etree.ElementTree as ET
from collections import Counter
from dataclasses import asdict, dataclass

from audits.reports.score_rank_findings import score_rank_findings

from .findings import probe_findings, probe_slice

FAIL_ON = {"fail": ("fail",), "inconclusive": ("fail", "inconclusive")}
SKIPPED = ("insufficient_data", "not_computable")


@dataclass(frozen=True)
class GateCase:
    suite: str  # "group metrics: sex" or "probe: tabular_counterfactual"
    name: str
    verdict: str
    value: float | None
    ci_low: float | None
    ci_high: float | None
    detail: str  # one line: value, interval, band or the reason


def _number(value) -> str:
    return "-" if value is None else f"{value:.4g}"


def _result_case(result: dict) -> GateCase:
    attribute = result["attribute"] + (f" (class {result['decision_class']})" if result["decision_class"] else "")
    group = f"{result['attribute']}={result['group']} vs {result['reference_group']}"
    if result["value"] is None:
        detail = result.get("reason") or result["verdict"]
    else:
        detail = (
            f"{result['metric']} {_number(result['value'])} [{_number(result['ci_low'])}, "
            f"{_number(result['ci_high'])}], band {_number(result['band_low'])}..{_number(result['band_high'])}"
        )
    return GateCase(
        suite=f"group metrics: {attribute}",
        name=f"{result['metric']} {group}",
        verdict=result["verdict"],
        value=result["value"],
        ci_low=result["ci_low"],
        ci_high=result["ci_high"],
        detail=detail,
    )


def _score_rank_case(finding: dict) -> GateCase:
    if finding["value"] is None:
        detail = finding.get("reason") or finding["verdict"]
    else:
        detail = (
            f"{finding['metric']} {_number(finding['value'])} [{_number(finding['ci_low'])}, "
            f"{_number(finding['ci_high'])}], band {_number(finding['band_low'])}..{_number(finding['band_high'])}"
        )
    return GateCase(
        suite=f"{finding['section']}: {finding['attribute']}",
        name=f"{finding['metric']} {finding['attribute']}={finding['group']} vs {finding['reference_group']}",
        verdict=finding["verdict"],
        value=finding["value"],
        ci_low=finding["ci_low"],
        ci_high=finding["ci_high"],
        detail=detail,
    )


def _probe_case(row: dict) -> GateCase:
    interval = f" [{_number(row['ci_low'])}, {_number(row['ci_high'])}]" if row["ci_low"] is not None else ""
    value = "" if row["value"] is None else f" {_number(row['value'])}{interval}"
    return GateCase(
        suite=f"probe: {row['probe']}",
        name=f"{row['statistic']} {probe_slice(row)}",
        verdict=row["verdict"],
        value=row["value"],
        ci_low=row["ci_low"],
        ci_high=row["ci_high"],
        detail=f"{row['statistic']}{value}",
    )


def gate_cases(document: dict) -> list[GateCase]:
    """One case per group-metric result, continuous-score or ranking finding, and probe slice with a verdict."""
    cases = [_result_case(result) for result in document.get("results") or []]
    cases += [_score_rank_case(finding) for finding in score_rank_findings(document)]
    cases += [_probe_case(row) for row in probe_findings(document) if row["kind"] == "probe" and row["verdict"]]
    return cases


def gate_failures(cases: list[GateCase], fail_on: str | None) -> list[GateCase]:
    """The cases whose verdict is at or beyond `fail_on` (None: the gate is off, nothing fails)."""
    failing = FAIL_ON[fail_on] if fail_on else ()
    return [case for case in cases if case.verdict in failing]


def gate_json(document: dict, sha256: str, report_id: int, fail_on: str | None) -> str:
    """The gate as one JSON document: the report, the verdict counts, whether it passed, and every case."""
    cases = gate_cases(document)
    failures = gate_failures(cases, fail_on)
    payload = {
        "report": report_id,
        "sha256": sha256,
        "fail_on": fail_on,
        "passed": not failures,
        "failures": len(failures),
        "verdict_counts": dict(sorted(Counter(case.verdict for case in cases).items())),
        "cases": [{**asdict(case), "failed": any(case is f for f in failures)} for case in cases],
    }
    return json.dumps(payload, indent=2, sort_keys=True, ensure_ascii=False, allow_nan=False) + "\n"


def gate_text(document: dict, fail_on: str | None) -> str:
    """One line per failing case and the gate's outcome, for the end of the text summary."""
    cases = gate_cases(document)
    failures = gate_failures(cases, fail_on)
    if not fail_on:
        return ""
    lines = [f"Gate --fail-on {fail_on}: {'FAILED' if failures else 'passed'} ({len(failures)} of {len(cases)} cases)"]
    lines += [f"  {case.verdict.upper()}: {case.suite} / {case.name}: {case.detail}" for case in failures]
    return "\n".join(lines)


def gate_junit(document: dict, sha256: str, report_id: int, fail_on: str | None) -> str:
    """JUnit XML (the Ant/Jenkins schema CI systems read): a <testsuite> per attribute or probe, a <testcase> per
    case, a <failure> per verdict at or beyond `fail_on`, <skipped> for insufficient data and not computable."""
    cases = gate_cases(document)
    failing = {id(case) for case in gate_failures(cases, fail_on)}
    suites: dict[str, list[GateCase]] = {}
    for case in cases:
        suites.setdefault(case.suite, []).append(case)
    timestamp = (document.get("provenance") or {}).get("finished_at") or ""
    root = ET.Element("testsuites", name=f"fairness audit report {report_id}")
    totals = Counter()
    for index, (suite_name, members) in enumerate(suites.items()):
        failures = sum(id(case) in failing for case in members)
        skipped = sum(case.verdict in SKIPPED for case in members)
        suite = ET.SubElement(
            root, "testsuite", name=suite_name, tests=str(len(members)), failures=str(failures), errors="0",
            skipped=str(skipped), time="0", hostname="fairness-audit", id=str(index), package=f"report-{report_id}",
        )  # fmt: skip
        if timestamp:
            suite.set("timestamp", timestamp)
        properties = ET.SubElement(suite, "properties")
        ET.SubElement(properties, "property", name="report_sha256", value=sha256)
        ET.SubElement(properties, "property", name="fail_on", value=fail_on or "")
        for case in members:
            element = ET.SubElement(suite, "testcase", name=case.name, classname=case.suite, time="0")
            if id(case) in failing:
                failure = ET.SubElement(element, "failure", message=f"{case.verdict}: {case.detail}", type=case.verdict)
                failure.text = f"{case.suite} / {case.name}: {case.verdict}\n{case.detail}"
            elif case.verdict in SKIPPED:
                ET.SubElement(element, "skipped", message=f"{case.verdict}: {case.detail}")
            else:
                ET.SubElement(element, "system-out").text = f"{case.verdict}: {case.detail}"
        ET.SubElement(suite, "system-out").text = f"report {report_id} sha256 {sha256}"
        ET.SubElement(suite, "system-err").text = ""
        totals.update(tests=len(members), failures=failures, skipped=skipped)
    root.set("tests", str(totals["tests"]))
    root.set("failures", str(totals["failures"]))
    root.set("errors", "0")
    root.set("time", "0")
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
