"""CycloneDX 1.6 ML-BOM of a canonical report (design.md section 7; issue 15).

The audited model is a ``machine-learning-model`` component whose ``modelCard`` carries every metric result and
probe headline as a ``performanceMetric`` (value and bounds as exact strings, as in the Model Card Toolkit export),
the findings as ``fairnessAssessments`` and ``ethicalConsiderations``, and the limitations as
``technicalLimitations``. The audit dataset is a ``data`` component with its sha256; the canonical report is an
external reference with its sha256. Everything is derived from the report (serial number from its sha256,
timestamp from its finish time), so the same report always gives the same bytes, which is what lets the report's
signature name this rendering as a subject.

cyclonedx-python-lib has no model-card classes, so the JSON is built here and checked against the CycloneDX 1.6
JSON schema bundled in that library (``bom_errors``), offline.
"""

import uuid
from functools import cache

from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator

from audits.reports.compliance import CROSSWALK

from .considerations import fairness_assessments, limitations, risks
from .model_card import card_documentation, card_overview, performance_metrics

SPEC_VERSION = "1.6"
# uuid5 namespace of this platform's BOM serial numbers: a report's sha256 names its BOM.
_SERIAL_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://fairness-audit.local/cyclonedx")
TOOL_NAME = "fairness-audit-platform"


def serial_number(sha256: str) -> str:
    return f"urn:uuid:{uuid.uuid5(_SERIAL_NAMESPACE, sha256)}"


def _sha256(value: str) -> list[dict]:
    return [{"alg": "SHA-256", "content": value}]


def _metric(entry: dict) -> dict:
    metric = {"type": entry["type"], "value": entry["value"], "slice": entry["slice"]}
    interval = entry.get("confidence_interval")
    if interval:
        metric["confidenceInterval"] = {"lowerBound": interval["lower_bound"], "upperBound": interval["upper_bound"]}
    return metric


def _property(name: str, value) -> dict:
    return {"name": f"fairness-audit:{name}", "value": str(value)}


def _dataset_component(document: dict, ref: str) -> dict:
    dataset = document["subject"]["dataset"]
    sensitive = sorted({column for a in document["attributes"] for column in a["columns"]})
    outcome = document["subject"]["outcome"]
    contents = [_property("rows", dataset["rows"]), _property("columns", dataset["columns"])]
    if outcome:
        contents.append(_property("outcome_column", outcome["column"]))
    return {
        "type": "data",
        "bom-ref": ref,
        "name": dataset["name"],
        "description": f"Audit (test) dataset: {dataset['rows']} rows, {dataset['columns']} columns.",
        "hashes": _sha256(dataset["sha256"]),
        "data": [
            {
                "type": "dataset",
                "name": dataset["name"],
                "contents": {"properties": contents},
                "classification": "sensitive: protected attributes" if sensitive else "internal",
                "sensitiveData": sensitive,
            }
        ],
    }


def _model_card(document: dict, dataset_ref: str | None) -> dict:
    model = document["subject"]["model"]
    parameters = {"modelArchitecture": model.get("estimator") or model["kind"]}
    if dataset_ref:
        parameters["datasets"] = [{"ref": dataset_ref}]
    return {
        "modelParameters": parameters,
        "quantitativeAnalysis": {"performanceMetrics": [_metric(m) for m in performance_metrics(document)]},
        "considerations": {
            "users": ["Auditors, reviewers and owners deciding whether the model may be used."],
            "useCases": [f"Evidence for the fairness review of {model['name']}; not a certification."],
            "technicalLimitations": limitations(document),
            "ethicalConsiderations": [
                {"name": risk["name"], "mitigationStrategy": risk["mitigation_strategy"]} for risk in risks(document)
            ],
            "fairnessAssessments": [
                {
                    "groupAtRisk": entry["group_at_risk"],
                    "benefits": entry["benefits"],
                    "harms": entry["harms"],
                    "mitigationStrategy": entry["mitigation_strategy"],
                }
                for entry in fairness_assessments(document)
            ],
        },
    }


def cyclonedx_bom(document: dict, sha256: str, *, report_filename: str) -> dict:
    """The report as a CycloneDX 1.6 BOM (a dict; ``bom_errors`` checks it against the bundled schema).

    ``report_filename`` is the name the platform serves the canonical JSON under (the external reference's url).
    """
    subject, fingerprints = document["subject"], document["fingerprints"]
    model, dataset = subject["model"], subject["dataset"]
    model_ref = f"model-{model['sha256'][:16]}"
    dataset_ref = f"dataset-{dataset['sha256'][:16]}" if dataset else None
    summary = document["summary"]
    report_reference = {
        "type": "evidence",
        "url": report_filename,
        "comment": f"Canonical fairness audit report (signed, DSSE); sha256 {sha256}.",
        "hashes": _sha256(sha256),
    }
    component = {
        "type": "machine-learning-model",
        "bom-ref": model_ref,
        "name": model["name"],
        "description": card_overview(document, sha256),
        "hashes": _sha256(model["sha256"]),
        "externalReferences": [report_reference],
        "properties": [_property("model_kind", model["kind"])]
        + [_property(f"verdicts:{k}", v) for k, v in summary["verdicts"].items()]
        + [_property(f"probe_verdicts:{k}", v) for k, v in (summary.get("probe_verdicts") or {}).items()],
        "modelCard": _model_card(document, dataset_ref),
    }
    components = [component] + ([_dataset_component(document, dataset_ref)] if dataset else [])
    crosswalk = document.get("compliance_crosswalk") or list(CROSSWALK)
    return {
        "$schema": "http://cyclonedx.org/schema/bom-1.6.schema.json",
        "bomFormat": "CycloneDX",
        "specVersion": SPEC_VERSION,
        "serialNumber": serial_number(sha256),
        "version": 1,
        "metadata": {
            "timestamp": document["provenance"]["finished_at"],
            "tools": {
                "components": [
                    {"type": "application", "name": TOOL_NAME, "version": fingerprints["code_version"]},
                ]
            },
            "properties": [
                _property("report_sha256", sha256),
                _property("plan", document["plan"]["name"]),
                _property("documentation", card_documentation(document)),
            ]
            + [_property("crosswalk", f"{entry['framework']}: {entry['need']}") for entry in crosswalk],
        },
        "components": components,
        "externalReferences": [report_reference],
    }


@cache
def _validator() -> JsonStrictValidator:
    return JsonStrictValidator(SchemaVersion.V1_6)


def bom_errors(bom_json: str) -> list[str]:
    """Every violation of the CycloneDX 1.6 JSON schema bundled in cyclonedx-python-lib (strict: no unknown keys).

    Empty when the BOM is valid; offline (the library resolves the schema's references from its own files)."""
    errors = _validator().validate_str(bom_json, all_errors=True) or []
    return [f"{'/'.join(map(str, e.data.path)) or '(root)'}: {e.data.message}" for e in errors]
