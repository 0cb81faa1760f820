"""Assemble the canonical report document from a run and the engine's results (design.md section 7)."""

import subprocess
from collections import Counter
from dataclasses import asdict
from functools import cache
from importlib import metadata
from pathlib import Path

from django.conf import settings

from audits.constants import REPORT_SCHEMA_VERSION
from audits.models import AuditReport, AuditRun
from explainers.audit_settings import ProbeSettings
from explainers.metrics import METRIC_DEFINITIONS
from explainers.pipeline.finish import ESTIMATED_LABEL, EngineOutput
from explainers.pipeline.spec import EngineInput

from .checks import checks_section
from .compliance import CROSSWALK, limitations
from .regressions import REGRESSION_METHOD, regressions_section
from .score_rank import score_rank_sections

_LIBRARIES = (
    "numpy", "scipy", "pandas", "pyarrow", "fairlearn", "scikit-learn", "torch", "transformers", "django", "celery",
)  # fmt: skip
SIGNIFICANCE_METHOD = (
    "two-sided test of the compared proportions: Fisher exact when an expected cell count is below 5, "
    "else pooled two-proportion z; equalized odds: Bonferroni over the TPR and FPR tests"
)
ESTIMATED_TEST = "two-sided bootstrap percentile test against parity (estimated groups; none for equalized odds)"
ESTIMATED_INTERVAL = "percentile bootstrap over rows resampled with their estimated membership probabilities"
BOOTSTRAP_METHOD = (
    "non-parametric row bootstrap drawn as Multinomial(N, cells/N) over the count table "
    "(exactly equivalent to resampling rows with replacement); percentile intervals"
)


@cache
def code_version() -> str:
    """The git commit of the code that ran (AUDIT_CODE_VERSION wins, e.g. in images)."""
    if settings.AUDIT_CODE_VERSION:
        return settings.AUDIT_CODE_VERSION
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=Path(settings.BASE_DIR), capture_output=True, text=True, timeout=5
        )
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=Path(settings.BASE_DIR),
            capture_output=True,
            text=True,
            timeout=5,
        )
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    if out.returncode != 0:
        return "unknown"
    return out.stdout.strip() + ("-dirty" if dirty.stdout.strip() else "")


@cache
def library_versions() -> dict[str, str]:
    versions = {}
    for name in _LIBRARIES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return versions


def _contract(result, attribute, plan, dataset, model, decision_class: str) -> dict:
    definition = METRIC_DEFINITIONS[result.metric]
    favourable = [decision_class] if decision_class else list(model.decision_favourable)
    return {
        "formula": definition.formula,
        "favourable_decision": favourable,
        "favourable_outcome": [decision_class] if decision_class else list(dataset.outcome_favourable),
        "reference_group": attribute.reference_group,
        "reference_rule": attribute.reference_rule,
        "band": [result.band_low, result.band_high],
        "min_group_size": plan.min_group_size,
        "min_denominator": plan.min_denominator,
        "n_boot": attribute.n_boot,
        "seed": attribute.seed,
        "alpha": attribute.alpha,
        "interval": f"percentile bootstrap, {100 * (1 - attribute.alpha):g}%",
        "test": SIGNIFICANCE_METHOD,
        "verdict_error_control": plan.verdict_error_control,
        "verdict_interval": _verdict_interval(result, plan.verdict_error_control),
    }


# Which interval decided a verdict, per plan rule (explainers.metrics.family; design.md section 4).
_VERDICT_INTERVALS = {
    "per_comparison": "the per-comparison interval",
    "familywise": "the simultaneous interval over the audit's comparisons (max-|t| bootstrap)",
    "fdr": "the Benjamini-Yekutieli false coverage-rate adjusted interval",
}


def _verdict_interval(result, rule: str) -> str:
    if result.adjusted_ci_low is None:
        return "the per-comparison interval" if result.ci_low is not None else "none"
    if rule == "per_comparison":  # only equalized odds is adjusted under this rule
        return "simultaneous intervals of the TPR and FPR differences"
    return _VERDICT_INTERVALS[rule]


def _estimated_contract(contract: dict, method: str) -> dict:
    """An estimated attribute's numbers come from probability-weighted counts: say so in every contract."""
    return {**contract, "test": ESTIMATED_TEST, "interval": ESTIMATED_INTERVAL, "estimated_from_proxies": method}


def _slices(output: EngineOutput, plan, dataset, model) -> tuple[list[dict], list[dict]]:
    attributes, results = [], []
    methods = {e["attribute"]: f"{e['method']} ({e['package']})" for e in output.estimated}
    for piece in output.slices:
        attribute = piece.result
        entry = {
            "attribute": attribute.attribute,
            "columns": list(piece.estimated.columns if piece.estimated else piece.spec.columns),
            "intersectional": piece.spec.intersectional,
            "decision_class": piece.decision_class,
            "reference_group": attribute.reference_group,
            "reference_rule": attribute.reference_rule,
            "seed": attribute.seed,
            "groups": [asdict(g) for g in attribute.groups],
            "conventions": piece.conventions,
        }
        if piece.estimated is not None:
            # Group counts are expected counts rounded to whole rows; estimated_attributes holds them exactly.
            entry["estimated"] = ESTIMATED_LABEL
        attributes.append(entry)
        for result, p_holm in zip(attribute.results, piece.p_holm, strict=True):
            row = asdict(result)
            row["verdict"] = str(getattr(result.verdict, "value", result.verdict))
            row["decision_class"] = piece.decision_class
            row["p_value_holm"] = p_holm
            row["contract"] = _contract(result, attribute, plan, dataset, model, piece.decision_class)
            if piece.estimated is not None:
                row["contract"] = _estimated_contract(row["contract"], methods.get(attribute.attribute, ""))
            results.append(row)
    return attributes, results


def _dataset(dataset) -> dict | None:
    if dataset is None:
        return None
    return {
        "name": dataset.name,
        "sha256": dataset.sha256,
        "source_sha256": dataset.source_sha256,
        "source_format": dataset.source_format,
        "rows": dataset.n_rows,
        "columns": dataset.n_columns,
    }


def build_report_document(
    *,
    run: AuditRun,
    spec: EngineInput,
    output: EngineOutput,
    timings: dict,
    started_at,
    finished_at,
    device="cpu",
    baseline: AuditReport | None = None,
) -> dict:
    """The canonical document of `run`'s report. With `baseline` (the plan's last approved report) it holds a
    `regressions` section comparing the two; without, it has none."""
    plan = run.plan
    dataset, model = plan.dataset, plan.model
    attributes, results = _slices(output, plan, dataset, model)
    verdicts = Counter(r["verdict"] for r in results)
    warnings = [w for a in attributes if a["conventions"] for w in a["conventions"].get("warnings", [])]
    document = {
        "schema_version": REPORT_SCHEMA_VERSION,
        "report_type": "group_fairness_audit" if dataset is not None else "model_probe_audit",
        "subject": {
            "dataset": _dataset(dataset),
            "model": {
                "name": model.name,
                "kind": model.kind,
                "sha256": model.sha256,
                "decision_column": model.decision_column,
                "favourable_decision": list(model.decision_favourable),
                "estimator": model.config.get("estimator", "") or model.config.get("architecture", ""),
                "builtin": model.config.get("builtin", ""),
                "framework_versions": model.framework_versions,
            },
            "outcome": (
                {"column": dataset.outcome_column, "favourable": list(dataset.outcome_favourable)}
                if dataset is not None and dataset.outcome_column
                else None
            ),
        },
        "plan": {
            "name": plan.name,
            "metrics": list(plan.metrics),
            "n_boot": plan.n_boot,
            "seed": plan.seed,
            "alpha": plan.alpha,
            "min_group_size": plan.min_group_size,
            "min_denominator": plan.min_denominator,
            "bands": plan.bands,
            "intersections": plan.intersections,
            "probes": list(plan.probes),
            # Every probe setting the run used, defaults and cost caps included (resolved again here for plans
            # stored before their settings were, which hold only the values their author chose).
            "probe_settings": ProbeSettings.from_dict(plan.probe_settings).to_dict() if plan.probes else {},
            "decision_classes": plan.decision_classes,
            "missing_policy": dataset.missing_policy if dataset is not None else None,
            "bootstrap_method": BOOTSTRAP_METHOD,
            "regression_tolerance": plan.regression_tolerance,
            "regression_method": REGRESSION_METHOD,
            "verdict_error_control": plan.verdict_error_control,
        },
        "data": {
            "rows_total": output.rows_total,
            "rows_dropped_missing_decision_or_outcome": output.rows_missing_decision_or_outcome,
            "rows_dropped_missing_attribute": output.rows_missing_attribute,
        },
        "contracts": {
            metric: {
                "name": d.name,
                "formula": d.formula,
                "default_band": [d.band_low, d.band_high],
                "requires_outcome": d.requires_outcome,
            }
            for metric, d in METRIC_DEFINITIONS.items()
            if metric in plan.metrics
        },
        "significance": {
            "method": SIGNIFICANCE_METHOD,
            "adjustment": "Holm step-down across all comparisons of this audit",
            "comparisons": output.comparisons_tested,
        },
        "attributes": attributes,
        "results": results,
        "score_analysis": output.score_analysis,
        "score_rates": output.score_rates,
        "probes": output.probes,
        "attributions": output.attributions,
        "limitations": limitations(results, output.probes, output.attributions),
        "compliance_crosswalk": [dict(entry) for entry in CROSSWALK],
        "summary": {
            "verdicts": dict(sorted(verdicts.items())),
            "failed": [
                f"{r['metric']}:{r['attribute']}={r['group']}"
                + (f" (class {r['decision_class']})" if r["decision_class"] else "")
                for r in results
                if r["verdict"] == "fail"
            ],
            "probe_verdicts": dict(sorted(Counter(p["verdict"] for p in output.probes).items())),
            "probes_failed": [f"{p['probe']}:{p['attribute']}" for p in output.probes if p["verdict"] == "fail"],
            "convention_warnings": warnings,
        },
        "fingerprints": {
            "dataset_sha256": dataset.sha256 if dataset is not None else None,
            "model_sha256": model.sha256,
            "code_version": code_version(),
            "libraries": library_versions(),
            "bootstrap_seed": plan.seed,
            "device": device,
        },
        "provenance": {
            "run_id": run.pk,
            "plan_id": plan.pk,
            "workspace": run.workspace.slug,
            "requested_by": run.requested_by.get_username(),
            "started_at": started_at.isoformat(),
            "finished_at": finished_at.isoformat(),
            "worker": run.worker,
            "attempt": run.attempts,
            "timings": timings,
        },
    }
    if output.verdict_error_control is not None:
        document["verdict_error_control"] = output.verdict_error_control
    if plan.checks:
        document["checks"] = checks_section(output.checks)
    document.update(score_rank_sections(plan=plan, spec=spec, output=output, document=document))
    for key in ("global_explanations", "explanation_quality"):  # optional sections (issue 16)
        if getattr(output, key, None) is not None:
            document[key] = getattr(output, key)
    for method in (output.explanation_quality or {}).get("unstable_methods", []):
        document["limitations"].append(
            f"explanation quality: {method.replace('_', ' ')} is unstable (its top words or features change under "
            "changes that keep the meaning); do not rely on its rankings"
        )
    if output.estimated:
        document["estimated_attributes"] = output.estimated
    if baseline is not None:
        document["regressions"] = regressions_section(document=document, baseline=baseline, plan=plan)
    return document
