"""Audit an estimated attribute: the metrics of design.md §4 on the soft count table, with its row bootstrap.

Differences from :func:`explainers.metrics.audit_attribute`, all because group membership is estimated:

- counts are expected counts (sums of probabilities); ``GroupStats`` carries them rounded to whole rows, the
  report's estimated-attribute section carries them exactly;
- the bootstrap resamples the estimation rows (``bootstrap_soft_tables``), not the cells of a hard table;
- the Fisher / z test needs whole counts of known members, so the test is the bootstrap's own: two-sided
  ``p = min(1, 2 min(P*(T <= parity), P*(T >= parity)))`` over the replicates (the percentile test that goes
  with the percentile interval); equalized odds (a maximum of absolute differences, never below parity) gets none.
"""

from __future__ import annotations

import math

import numpy as np

from explainers.estimated.soft import SoftPatterns, bootstrap_soft_tables
from explainers.metrics import rates
from explainers.metrics.audit import AttributeResult, GroupStats, MetricConfig, MetricResult
from explainers.metrics.bootstrap import percentile_interval
from explainers.metrics.definitions import METRIC_DEFINITIONS, metric_values, undefined_reason
from explainers.metrics.verdicts import Verdict, band_verdict, insufficiency_reasons

BOOTSTRAP_TEST = "bootstrap_percentile"
NO_BOOTSTRAP_TEST = {"equalized_odds_difference"}


def audit_estimated_attribute(
    patterns: SoftPatterns, attribute: str, config: MetricConfig | None = None
) -> AttributeResult:
    """:func:`audit_estimated_attribute_with_replicates` without its bootstrap tables."""
    return audit_estimated_attribute_with_replicates(patterns, attribute, config)[0]


def audit_estimated_attribute_with_replicates(
    patterns: SoftPatterns, attribute: str, config: MetricConfig | None = None
) -> tuple[AttributeResult, np.ndarray | None]:
    """Group statistics and every requested metric on the soft table; intervals from the row bootstrap.

    The reference is the declared group, else the group with the highest (estimated) selection rate among groups
    whose expected size reaches ``min_group_size``, fixed for every replicate.

    Raises:
        ValueError: if there are no rows or the declared reference group is not a group of the estimate.
    """
    config = config or MetricConfig()
    if patterns.n == 0:
        raise ValueError(f"estimated attribute {attribute!r} has no rows")
    cells = patterns.table()
    reference, rule = _choose_reference(patterns.groups, cells, config)
    metric_ids = config.metric_ids()
    computable = [m for m in metric_ids if patterns.has_outcome or not METRIC_DEFINITIONS[m].requires_outcome]
    replicates = bootstrap_soft_tables(patterns, config.n_boot, config.seed) if computable else None
    sizes = rates.group_size(cells)
    results = []
    for metric_id in metric_ids:
        definition = METRIC_DEFINITIONS[metric_id]
        band_low, band_high = config.band(metric_id)
        if metric_id in computable:
            point = metric_values(metric_id, cells, reference)
            spread = metric_values(metric_id, replicates, reference)
            low, high = percentile_interval(spread, config.alpha)
        for g, group in enumerate(patterns.groups):
            if g == reference:
                continue
            common = {
                "metric": metric_id,
                "attribute": attribute,
                "group": group,
                "reference_group": patterns.groups[reference],
                "n_group": round(float(sizes[g])),
                "n_reference": round(float(sizes[reference])),
                "band_low": band_low,
                "band_high": band_high,
            }
            if metric_id not in computable:
                results.append(
                    MetricResult(
                        **common,
                        value=None,
                        ci_low=None,
                        ci_high=None,
                        verdict=Verdict.NOT_COMPUTABLE,
                        reason="no outcome labels",
                        test="none",
                    )
                )
                continue
            value, ci_low, ci_high = _py(point[g]), _py(low[g]), _py(high[g])
            if value is None:
                reason = undefined_reason(metric_id, cells, g, reference)
                results.append(
                    MetricResult(
                        **common,
                        value=None,
                        ci_low=None,
                        ci_high=None,
                        verdict=Verdict.NOT_COMPUTABLE,
                        reason=reason,
                        test="none",
                    )
                )
                continue
            reasons = insufficiency_reasons(
                definition,
                cells,
                g,
                reference,
                min_group_size=config.min_group_size,
                min_denominator=config.min_denominator,
            )
            if reasons:
                verdict, reason = Verdict.INSUFFICIENT_DATA, "; ".join(reasons) + " (expected counts)"
            elif ci_low is None or ci_high is None:
                verdict, reason = Verdict.INCONCLUSIVE, "bootstrap interval undefined"
            else:
                verdict, reason = band_verdict(ci_low, ci_high, band_low, band_high), ""
            test, p_value = _bootstrap_test(metric_id, spread[:, g], definition.parity)
            results.append(
                MetricResult(
                    **common,
                    value=value,
                    ci_low=ci_low,
                    ci_high=ci_high,
                    verdict=verdict,
                    reason=reason,
                    test=test,
                    p_value=p_value,
                )
            )
    result = AttributeResult(
        attribute=attribute,
        reference_group=patterns.groups[reference],
        reference_rule=rule,
        groups=_group_stats(patterns.groups, cells, patterns.has_outcome),
        results=tuple(results),
        n_boot=config.n_boot,
        seed=config.seed,
        alpha=config.alpha,
    )
    # The soft bootstrap tables (B, G, 2, 2) join the audit's family (explainers.metrics.family) like hard ones.
    return result, replicates


def expected_counts(patterns: SoftPatterns) -> dict[str, dict[str, float]]:
    """Exact expected counts per group: rows, favourable decisions and (with labels) favourable outcomes."""
    cells = patterns.table()
    out = {}
    for g, group in enumerate(patterns.groups):
        entry = {"n": float(cells[g].sum()), "n_selected": float(cells[g, :, 1].sum())}
        if patterns.has_outcome:
            entry["n_outcome_favourable"] = float(cells[g, 1, :].sum())
        out[group] = entry
    return out


def _bootstrap_test(metric_id: str, spread: np.ndarray, parity: float) -> tuple[str, float | None]:
    if metric_id in NO_BOOTSTRAP_TEST:
        return "none", None
    defined = spread[np.isfinite(spread)]
    if defined.size == 0:
        return "none", None
    below, above = float((defined <= parity).mean()), float((defined >= parity).mean())
    return BOOTSTRAP_TEST, min(1.0, 2.0 * min(below, above))


def _choose_reference(groups: tuple[str, ...], cells: np.ndarray, config: MetricConfig) -> tuple[int, str]:
    if config.reference_group is not None:
        if config.reference_group not in groups:
            raise ValueError(
                f"reference group {config.reference_group!r} is not a group of the estimate; groups: {list(groups)}"
            )
        return groups.index(config.reference_group), "declared"
    selection = rates.selection_rate(cells)
    sizes = rates.group_size(cells)
    if (sizes >= config.min_group_size).any():
        selection = np.where(sizes >= config.min_group_size, selection, np.nan)
    return int(np.argmax(np.nan_to_num(selection, nan=-np.inf))), "highest_selection_rate"


def _group_stats(groups: tuple[str, ...], cells: np.ndarray, has_outcome: bool) -> tuple[GroupStats, ...]:
    """Rates from the soft table; counts are expected counts rounded to whole rows (the report schema's integers)."""
    labelled = {
        "base_rate": rates.base_rate(cells),
        "tpr": rates.true_positive_rate(cells),
        "fpr": rates.false_positive_rate(cells),
        "fnr": rates.false_negative_rate(cells),
        "ppv": rates.positive_predictive_value(cells),
        "npv": rates.negative_predictive_value(cells),
        "accuracy": rates.accuracy(cells),
    }
    sizes, selected, selection = rates.group_size(cells), rates.n_selected(cells), rates.selection_rate(cells)
    stats = []
    for g, group in enumerate(groups):
        if has_outcome:
            confusion = {"tp": cells[g, 1, 1], "fp": cells[g, 0, 1], "tn": cells[g, 0, 0], "fn": cells[g, 1, 0]}
            confusion = {k: round(float(v)) for k, v in confusion.items()}
            label_rates = {name: _py(values[g]) for name, values in labelled.items()}
        else:
            confusion = dict.fromkeys(("tp", "fp", "tn", "fn"))
            label_rates = dict.fromkeys(labelled)
        stats.append(
            GroupStats(
                group=group,
                n=round(float(sizes[g])),
                n_selected=round(float(selected[g])),
                selection_rate=_py(selection[g]),
                **confusion,
                **label_rates,
            )
        )
    return tuple(stats)


def _py(value) -> float | None:
    value = float(value)
    return value if math.isfinite(value) else None
