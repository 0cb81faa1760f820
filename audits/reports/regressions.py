"""The `regressions` section of a new report: what got worse since the plan's last approved report.

The statistics are explainers.metrics.regressions; this module reads the two canonical documents into its
snapshots (a report's group rows hold every count of its tables, so the baseline's count tables are rebuilt
exactly from the stored document) and writes the section in the contract other parts read (webhooks, pages):

    {"baseline": {"report_id": int, "sha256": str}, "tolerance": float,
     "items": [{"kind", "attribute", "group", "metric", "before", "after", "difference", "interval", "sentence"}]}

The section is absent from a report whose plan had no approved report when the run finished.
"""

from audits.models import AuditPlan, AuditReport
from explainers.metrics.family import EQUALIZED_ODDS, FAMILYWISE, FDR
from explainers.metrics.regressions import (
    AuditSnapshot,
    Regression,
    RegressionRules,
    SliceSnapshot,
    find_regressions,
    table_from_group_stats,
)
from explainers.metrics.verdicts import Verdict, band_verdict

from .sentences import regression_sentence

# Recorded in the report's plan section, beside bootstrap_method.
REGRESSION_METHOD = (
    "compared with the plan's last approved report: a metric move is a regression when it points away from parity, "
    "exceeds the plan's regression_tolerance and its percentile interval of the difference (independent bootstraps "
    "of both count tables, B and alpha of the plan, seeds from numpy SeedSequence([slice seed, 0x72656772]).spawn(2): "
    "baseline, current) excludes zero; also verdicts that got worse (but not a pass that became inconclusive only "
    "because the audit-wide interval of verdict_error_control is wider, the result's own interval still inside its "
    "band), new probe failures and groups that fell under the minimum size"
)


def audit_snapshot(document: dict) -> AuditSnapshot:
    """A report document read as the regression statistics need it: per slice its count table (rebuilt from the
    group rows), reference group, seed and verdicts; per probe its verdict."""
    verdicts: dict[tuple[str, str], dict] = {}
    passes_alone: dict[tuple[str, str], set] = {}
    audit_wide = document.get("verdict_error_control") in (FAMILYWISE, FDR)
    for result in document["results"]:
        key = (result["attribute"], result["decision_class"])
        verdicts.setdefault(key, {})[(result["metric"], result["group"])] = result["verdict"]
        if audit_wide and _passes_alone(result):
            passes_alone.setdefault(key, set()).add((result["metric"], result["group"]))
    slices = tuple(
        SliceSnapshot(
            attribute=a["attribute"],
            decision_class=a["decision_class"],
            reference_group=a["reference_group"],
            table=table_from_group_stats(a["groups"]),
            seed=a["seed"],
            verdicts=verdicts.get((a["attribute"], a["decision_class"]), {}),
            passes_alone=frozenset(passes_alone.get((a["attribute"], a["decision_class"]), ())),
        )
        for a in document["attributes"]
    )
    probes = {(p["probe"], p["attribute"]): p["verdict"] for p in document.get("probes") or []}
    checks = {c["text"]: c["verdict"] for c in (document.get("checks") or {}).get("items") or []}
    return AuditSnapshot(slices=slices, probes=probes, checks=checks)


def _passes_alone(result: dict) -> bool:
    """Whether an audit-wide interval decided `result` while its own per-comparison interval lies inside its band.

    Never for equalized odds: its own percentile interval under-covers near the band edge, which is why a derived
    interval decides it under every rule (explainers.metrics.family)."""
    if result["metric"] == EQUALIZED_ODDS or result.get("adjusted_ci_low") is None:
        return False
    if result.get("ci_low") is None or result.get("ci_high") is None:
        return False
    own = band_verdict(result["ci_low"], result["ci_high"], result["band_low"], result["band_high"])
    return own == Verdict.PASS


def plan_regression_rules(plan: AuditPlan) -> RegressionRules:
    return RegressionRules(
        tolerance=plan.regression_tolerance,
        n_boot=plan.n_boot,
        alpha=plan.alpha,
        min_group_size=plan.min_group_size,
        min_denominator=plan.min_denominator,
    )


def _attribute_label(regression: Regression) -> str:
    """The attribute, with the one-vs-rest class when there is one (as the report's summary writes it)."""
    if regression.decision_class:
        return f"{regression.attribute} (class {regression.decision_class})"
    return regression.attribute


def regression_item(regression: Regression, *, baseline_id: int, rules: RegressionRules) -> dict:
    """One item of the contract, with its plain-language sentence."""
    return {
        "kind": regression.kind,
        "attribute": _attribute_label(regression),
        "group": regression.group,
        "metric": regression.metric,
        "before": regression.before,
        "after": regression.after,
        "difference": regression.difference,
        "interval": list(regression.interval) if regression.interval else None,
        "sentence": regression_sentence(
            regression,
            baseline_id=baseline_id,
            tolerance=rules.tolerance,
            alpha=rules.alpha,
            min_group_size=rules.min_group_size,
        ),
    }


def regressions_between(
    document: dict, baseline_document: dict, *, baseline_id: int, baseline_sha256: str, rules: RegressionRules
) -> dict:
    """The section comparing `document` with the baseline's document (both canonical report documents)."""
    found = find_regressions(
        audit_snapshot(document), audit_snapshot(baseline_document), document["plan"]["metrics"], rules
    )
    return {
        "baseline": {"report_id": baseline_id, "sha256": baseline_sha256},
        "tolerance": rules.tolerance,
        "items": [regression_item(r, baseline_id=baseline_id, rules=rules) for r in found],
    }


def regressions_section(*, document: dict, baseline: AuditReport, plan: AuditPlan) -> dict:
    """The section comparing `document` (the new report, built but not stored) with the approved `baseline`."""
    return regressions_between(
        document,
        baseline.document,
        baseline_id=baseline.pk,
        baseline_sha256=baseline.sha256,
        rules=plan_regression_rules(plan),
    )
