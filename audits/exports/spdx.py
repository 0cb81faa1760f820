"""SPDX 3.0.1 AI and Dataset profiles (JSON-LD) of a canonical report (design.md section 7; issue 15).

One ``SpdxDocument`` whose root is the audited model as an ``ai_AIPackage``: every metric result and probe headline
in ``ai_metric`` (exact values as strings), the pass band of each result in ``ai_metricDecisionThreshold`` under the
same key, the limitations in ``ai_limitation``, the frameworks of the report's compliance crosswalk in
``ai_standardCompliance``. The audit data is a ``dataset_DatasetPackage`` whose ``dataset_knownBias`` lists the
failed findings (a report without a dataset names its probes' built-in inputs instead). The canonical report is a
``software_File`` (evidence) with its sha256; relationships say the model was ``testedOn`` the dataset and
``hasEvidence`` in the report.

Built with the SPDX 3.0.1 bindings of ``spdx-python-model`` (which check types, enumerations and cardinalities
while serialising) and checked by reading the JSON-LD back with the same bindings (``spdx_errors``). Identifiers
derive from the report's sha256 and times from its finish time, so the same report always gives the same bytes.
"""

import io
import json
from datetime import datetime

from spdx_python_model.bindings import v3_0_1 as spdx3

from audits.choices import ModelKind
from audits.reports.compliance import CROSSWALK

from .considerations import limitations, risks
from .findings import headline_findings, probe_slice, result_slice

SPEC_VERSION = "3.0.1"
BASE_IRI = "https://fairness-audit.local/spdx"
# Model kinds whose inputs are text (the dataset type SPDX asks for).
_TEXT_KINDS = {ModelKind.BUILTIN_TEXT, ModelKind.HF_CLASSIFIER, ModelKind.HF_CAUSAL_LM, ModelKind.HF_ENCODER}


def _value(value) -> str:
    return "n/a" if value is None else str(value)


def metrics(document: dict) -> list[tuple[str, str]]:
    """(key, value) of every metric result, then every probe headline: the entries of ``ai_metric``."""
    out = [(f"{r['metric']} {result_slice(r)}", _value(r["value"])) for r in document["results"]]
    for row in headline_findings(document):
        out.append((f"{row['probe']}.{row['statistic']} {probe_slice(row)}", _value(row["value"])))
    return out


def decision_thresholds(document: dict) -> list[tuple[str, str]]:
    """(key, pass band) of every metric result, keyed as in ``metrics`` (design.md section 4: pass when the whole
    interval lies inside the band, fail when it lies wholly outside, inconclusive otherwise)."""
    return [
        (f"{r['metric']} {result_slice(r)}", f"[{r['band_low']!r}, {r['band_high']!r}]") for r in document["results"]
    ]


def known_biases(document: dict) -> list[str]:
    """Each failed finding, worded as the model cards' risks."""
    return [risk["name"] for risk in risks(document)]


def _sensitive_information(document: dict) -> str:
    """'yes' when the audit found the protected attribute among the model's inputs, else no assertion."""
    if any(entry.get("protected_is_feature") for entry in document.get("attributions") or []):
        return "yes"
    return "noAssertion"


def _elements(document: dict, sha256: str, report_filename: str, creation) -> tuple[object, list]:
    subject, base = document["subject"], f"{BASE_IRI}/{sha256}"
    model, dataset = subject["model"], subject["dataset"]

    def sha(value: str):
        return spdx3.Hash(algorithm=spdx3.HashAlgorithm.sha256, hashValue=value)

    def entries(pairs):
        return [spdx3.DictionaryEntry(key=key, value=value) for key, value in pairs]

    crosswalk = document.get("compliance_crosswalk") or list(CROSSWALK)
    package = spdx3.ai_AIPackage(
        spdxId=f"{base}/model",
        creationInfo=creation,
        name=model["name"],
        description=f"Audited by fairness audit report sha256 {sha256} ('{document['plan']['name']}').",
        verifiedUsing=[sha(model["sha256"])],
        software_primaryPurpose=spdx3.software_SoftwarePurpose.model,
        ai_typeOfModel=[model.get("estimator") or model["kind"]],
        ai_metric=entries(metrics(document)),
        ai_metricDecisionThreshold=entries(decision_thresholds(document)),
        ai_limitation="\n".join(limitations(document)) or "None recorded by the audit.",
        ai_standardCompliance=[entry["framework"] for entry in crosswalk],
        ai_useSensitivePersonalInformation=getattr(spdx3.PresenceType, _sensitive_information(document)),
        ai_informationAboutApplication=f"Evidence for the fairness review of {model['name']}; not a certification.",
    )
    if dataset:
        data = spdx3.dataset_DatasetPackage(
            spdxId=f"{base}/dataset",
            name=dataset["name"],
            description=f"Audit (test) dataset: {dataset['rows']} rows, {dataset['columns']} columns.",
            verifiedUsing=[sha(dataset["sha256"])],
            # Every dataset audit compares groups of protected attributes (in `attributes`, or only in the
            # continuous-score and ranking sections of an audit without binary decisions).
            dataset_hasSensitivePersonalInformation=spdx3.PresenceType.yes,
        )
    else:
        probes = ", ".join(p["probe"] for p in document.get("probes") or []) or "none"
        data = spdx3.dataset_DatasetPackage(
            spdxId=f"{base}/dataset",
            name=f"Built-in probe inputs ({probes})",
            description="The probes' built-in benchmarks and lexicons; the report names their versions.",
        )
    data.creationInfo = creation
    data.software_primaryPurpose = spdx3.software_SoftwarePurpose.data
    data.dataset_datasetType = [
        spdx3.dataset_DatasetType.text if model["kind"] in _TEXT_KINDS else spdx3.dataset_DatasetType.structured
    ]
    data.dataset_intendedUse = "Test data of a fairness audit."
    data.dataset_knownBias = known_biases(document)
    report = spdx3.software_File(
        spdxId=f"{base}/report",
        creationInfo=creation,
        name=report_filename,
        description="Canonical fairness audit report (JSON, signed as a DSSE envelope).",
        verifiedUsing=[sha(sha256)],
        contentType="application/json",
        software_primaryPurpose=spdx3.software_SoftwarePurpose.evidence,
    )
    relationships = [
        spdx3.Relationship(
            spdxId=f"{base}/relationship/{name}",
            creationInfo=creation,
            from_=package,
            relationshipType=kind,
            to=[target],
        )
        for name, kind, target in (
            ("tested-on", spdx3.RelationshipType.testedOn, data),
            ("has-evidence", spdx3.RelationshipType.hasEvidence, report),
        )
    ]
    return package, [package, data, report, *relationships]


def spdx_jsonld(document: dict, sha256: str, *, report_filename: str) -> bytes:
    """The report as an SPDX 3.0.1 JSON-LD document (UTF-8 bytes, keys in the bindings' order, indented)."""
    finished = datetime.fromisoformat(document["provenance"]["finished_at"])
    base = f"{BASE_IRI}/{sha256}"
    agent = spdx3.SoftwareAgent(spdxId=f"{base}/agent", name="Fairness audit platform")
    tool = spdx3.Tool(spdxId=f"{base}/tool", name=f"fairness-audit-platform {document['fingerprints']['code_version']}")
    creation = spdx3.CreationInfo(specVersion=SPEC_VERSION, created=finished, createdBy=[agent], createdUsing=[tool])
    agent.creationInfo = creation
    tool.creationInfo = creation
    root, elements = _elements(document, sha256, report_filename, creation)
    spdx_document = spdx3.SpdxDocument(
        spdxId=f"{base}/document",
        creationInfo=creation,
        name=f"Fairness audit {sha256[:12]} of {document['subject']['model']['name']}",
        profileConformance=[getattr(spdx3.ProfileIdentifierType, p) for p in ("core", "software", "ai", "dataset")],
        rootElement=[root],
        element=[agent, tool, *elements],
    )
    objects = spdx3.SHACLObjectSet()
    for obj in (spdx_document, agent, tool, *elements):
        objects.add(obj)
    out = io.BytesIO()
    spdx3.JSONLDSerializer(indent=2, ensure_ascii=False).write(objects, out, force_at_graph=True)
    return out.getvalue() + b"\n"


def spdx_errors(data: bytes) -> list[str]:
    """What the SPDX 3.0.1 bindings refuse when reading ``data`` back and writing it again (unknown types or
    properties, wrong types, enumerations, cardinalities, dangling references); empty when it is valid."""
    try:
        objects = spdx3.SHACLObjectSet()
        spdx3.JSONLDDeserializer().deserialize_data(json.loads(data), objects)
        missing = objects.link()
        spdx3.JSONLDSerializer().serialize_data(objects, force_at_graph=True)
    except (TypeError, ValueError, KeyError) as exc:
        return [f"{type(exc).__name__}: {exc}"]
    return [f"reference to an unknown element: {iri}" for iri in sorted(missing)]
