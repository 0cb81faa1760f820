"""Audit one protected attribute: per-group statistics and every canonical metric with interval and verdict."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from explainers.audit_settings import (
    DEFAULT_ALPHA,
    DEFAULT_MIN_DENOMINATOR,
    DEFAULT_MIN_GROUP_SIZE,
    DEFAULT_N_BOOT,
    DEFAULT_SEED,
)
from explainers.metrics import rates
from explainers.metrics.bootstrap import bootstrap_tables, percentile_interval
from explainers.metrics.counts import CountTable
from explainers.metrics.definitions import METRIC_DEFINITIONS, metric_values, undefined_reason
from explainers.metrics.significance import metric_test
from explainers.metrics.verdicts import Verdict, band_verdict, insufficiency_reasons


@dataclass(frozen=True)
class MetricConfig:
    """What to compute and how to judge it; recorded with the report (design.md §4).

    Attributes:
        reference_group: declared privileged group; None picks the group with the highest selection rate.
        metrics: metric ids to compute; None means all of METRIC_DEFINITIONS.
        bands: per-metric ``(low, high)`` overrides of the default inclusive pass bands.
        n_boot, seed, alpha: bootstrap replicates, RNG seed and interval level (``1 - alpha``).
        min_group_size: below this many rows in the group or the reference the verdict is insufficient_data.
        min_denominator: below this many rows in any denominator of the metric, likewise.

    Raises:
        ValueError: on unknown metric ids or out-of-range settings.
    """

    reference_group: str | None = None
    metrics: tuple[str, ...] | None = None
    bands: Mapping[str, tuple[float, float]] | None = None
    n_boot: int = DEFAULT_N_BOOT
    seed: int = DEFAULT_SEED
    alpha: float = DEFAULT_ALPHA
    min_group_size: int = DEFAULT_MIN_GROUP_SIZE
    min_denominator: int = DEFAULT_MIN_DENOMINATOR

    def __post_init__(self) -> None:
        if self.metrics is not None:
            unknown = sorted(set(self.metrics) - set(METRIC_DEFINITIONS))
            if unknown:
                raise ValueError(f"unknown metrics {unknown}; known: {list(METRIC_DEFINITIONS)}")
            object.__setattr__(self, "metrics", tuple(self.metrics))
        if self.bands is not None:
            bands = {}
            for metric_id, (low, high) in self.bands.items():
                if metric_id not in METRIC_DEFINITIONS:
                    raise ValueError(f"band given for unknown metric {metric_id!r}")
                if not low <= high:
                    raise ValueError(f"band for {metric_id!r} has low {low} > high {high}")
                bands[metric_id] = (float(low), float(high))
            object.__setattr__(self, "bands", bands)
        if int(self.n_boot) < 1:
            raise ValueError("n_boot must be at least 1")
        if not 0 < self.alpha < 1:
            raise ValueError("alpha must lie strictly between 0 and 1")
        if self.min_group_size < 0 or self.min_denominator < 0:
            raise ValueError("minimum sizes must be non-negative")

    def metric_ids(self) -> tuple[str, ...]:
        """Requested metrics in METRIC_DEFINITIONS order, each once."""
        wanted = set(METRIC_DEFINITIONS if self.metrics is None else self.metrics)
        return tuple(m for m in METRIC_DEFINITIONS if m in wanted)

    def band(self, metric_id: str) -> tuple[float, float]:
        """The pass band in force for ``metric_id``: the override if given, else the default."""
        if self.bands and metric_id in self.bands:
            return self.bands[metric_id]
        definition = METRIC_DEFINITIONS[metric_id]
        return definition.band_low, definition.band_high


@dataclass(frozen=True)
class GroupStats:
    """Counts and rates of one group (design.md §4). Rates are None when not computable."""

    group: str
    n: int
    tp: int | None
    fp: int | None
    tn: int | None
    fn: int | None
    n_selected: int
    selection_rate: float | None
    base_rate: float | None
    tpr: float | None
    fpr: float | None
    fnr: float | None
    ppv: float | None
    npv: float | None
    accuracy: float | None


@dataclass(frozen=True)
class MetricResult:
    """One metric for one non-reference group, with its percentile interval, verdict and significance test.

    ``p_value`` is unadjusted (test "none", p None if not computable); the caller Holm-adjusts it (design.md §4).
    """

    metric: str
    attribute: str
    group: str
    reference_group: str
    value: float | None
    ci_low: float | None
    ci_high: float | None
    verdict: Verdict
    n_group: int
    n_reference: int
    band_low: float
    band_high: float
    reason: str
    test: str = ""  # defaulted, and last, so constructors written before the test existed keep working
    p_value: float | None = None
    # The interval that decided the verdict when it is not the per-comparison one (explainers.metrics.family):
    # simultaneous over the audit (familywise), FCR-adjusted (fdr), or equalized odds' interval derived from its
    # TPR and FPR components. None when the per-comparison interval decided, or no interval could.
    adjusted_ci_low: float | None = None
    adjusted_ci_high: float | None = None


@dataclass(frozen=True)
class AttributeResult:
    """Everything computed for one protected attribute."""

    attribute: str
    reference_group: str
    reference_rule: str  # "declared" | "highest_selection_rate"
    groups: tuple[GroupStats, ...]
    results: tuple[MetricResult, ...]
    n_boot: int
    seed: int
    alpha: float


def audit_attribute(table: CountTable, attribute: str, config: MetricConfig | None = None) -> AttributeResult:
    """Compute group statistics and every requested metric of design.md §4 for one attribute.

    One set of ``config.n_boot`` multinomial bootstrap tables is drawn and shared by all metrics, with the
    reference group fixed to the point-estimate choice so every replicate answers the same question.
    Verdicts use per-comparison intervals; :func:`explainers.metrics.family.control_family` revises them
    for an error rate over the whole audit.

    Raises:
        ValueError: if the table is empty or the declared reference group is not in it.
    """
    return audit_attribute_with_replicates(table, attribute, config)[0]


def audit_attribute_with_replicates(
    table: CountTable, attribute: str, config: MetricConfig | None = None
) -> tuple[AttributeResult, np.ndarray | None]:
    """:func:`audit_attribute` and the bootstrap tables ``(B, G, 2, 2)`` it drew (None when no metric could use
    them), so that intervals over the whole audit reuse the same replicates instead of drawing again."""
    config = config or MetricConfig()
    if table.n == 0:
        raise ValueError(f"count table for {attribute!r} has no rows")
    cells = np.asarray(table.cells)
    reference, rule = _choose_reference(table, config.reference_group, config.min_group_size)
    metric_ids = config.metric_ids()

    computable = [m for m in metric_ids if table.has_outcome or not METRIC_DEFINITIONS[m].requires_outcome]
    replicates = bootstrap_tables(cells, config.n_boot, config.seed) if computable else None
    sizes = rates.group_size(cells)

    results = []
    for metric_id in metric_ids:
        band_low, band_high = config.band(metric_id)
        if metric_id in computable:
            point = metric_values(metric_id, cells, reference)
            low, high = percentile_interval(metric_values(metric_id, replicates, reference), config.alpha)
        for g, group in enumerate(table.groups):
            if g == reference:
                continue
            common = {
                "metric": metric_id,
                "attribute": attribute,
                "group": group,
                "reference_group": table.groups[reference],
                "n_group": int(sizes[g]),
                "n_reference": int(sizes[reference]),
                "band_low": band_low,
                "band_high": band_high,
            }
            if metric_id not in computable:
                # Reported, not dropped: design.md §4 "No labels".
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
            else:
                values = (_py(point[g]), _py(low[g]), _py(high[g]))
                results.append(_judge(metric_id, cells, g, reference, config, *values, common))
    result = AttributeResult(
        attribute=attribute,
        reference_group=table.groups[reference],
        reference_rule=rule,
        groups=_group_stats(table),
        results=tuple(results),
        n_boot=config.n_boot,
        seed=config.seed,
        alpha=config.alpha,
    )
    return result, replicates


def _judge(
    metric_id: str,
    cells: np.ndarray,
    g: int,
    reference: int,
    config: MetricConfig,
    value: float | None,
    ci_low: float | None,
    ci_high: float | None,
    common: dict,
) -> MetricResult:
    """Apply the verdict rule in its order of precedence: undefined, too small, then the band; attach the test."""
    if value is None:
        return MetricResult(
            **common,
            value=None,
            ci_low=None,
            ci_high=None,
            verdict=Verdict.NOT_COMPUTABLE,
            reason=undefined_reason(metric_id, cells, g, reference),
            test="none",
        )
    reasons = insufficiency_reasons(
        METRIC_DEFINITIONS[metric_id],
        cells,
        g,
        reference,
        min_group_size=config.min_group_size,
        min_denominator=config.min_denominator,
    )
    if reasons:
        verdict, reason = Verdict.INSUFFICIENT_DATA, "; ".join(reasons)
    elif ci_low is None or ci_high is None:
        verdict, reason = Verdict.INCONCLUSIVE, "bootstrap interval undefined"
    else:
        verdict, reason = band_verdict(ci_low, ci_high, common["band_low"], common["band_high"]), ""
    significance = metric_test(metric_id, cells, g, reference)
    common = {**common, "test": significance.test, "p_value": significance.p_value}
    return MetricResult(**common, value=value, ci_low=ci_low, ci_high=ci_high, verdict=verdict, reason=reason)


def _choose_reference(table: CountTable, declared: str | None, min_group_size: int = 0) -> tuple[int, str]:
    """Declared group, else the highest selection rate (first in sorted order on ties), design.md §4.

    Only groups of at least `min_group_size` rows compete (all groups if none is that large): a tiny group
    with a lucky selection rate would otherwise become the yardstick and leave every comparison
    insufficient_data (seen on COMPAS intersections, where 'Asian x Female' has a handful of rows).
    """
    if declared is not None:
        if declared not in table.groups:
            raise ValueError(f"reference group {declared!r} is not in the data; available groups: {list(table.groups)}")
        return table.groups.index(declared), "declared"
    selection = rates.selection_rate(np.asarray(table.cells))
    sizes = rates.group_size(np.asarray(table.cells))
    if (sizes >= min_group_size).any():
        selection = np.where(sizes >= min_group_size, selection, np.nan)
    # Equal fractions give bit-identical floats (division is correctly rounded), so argmax's first-max rule
    # breaks ties by sorted order. A group without rows has no rate and can never be the reference.
    return int(np.argmax(np.nan_to_num(selection, nan=-np.inf))), "highest_selection_rate"


def _group_stats(table: CountTable) -> tuple[GroupStats, ...]:
    """Counts and rates of every group; label-based ones are None when the table has no outcome."""
    cells = np.asarray(table.cells)
    sizes, selected, selection = rates.group_size(cells), rates.n_selected(cells), rates.selection_rate(cells)
    labelled = {
        "base_rate": rates.base_rate(cells),
        "tpr": rates.true_positive_rate(cells),
        "fpr": rates.false_positive_rate(cells),
        "fnr": rates.false_negative_rate(cells),
        "ppv": rates.positive_predictive_value(cells),
        "npv": rates.negative_predictive_value(cells),
        "accuracy": rates.accuracy(cells),
    }
    stats = []
    for g, group in enumerate(table.groups):
        if table.has_outcome:
            confusion = {"tp": int(cells[g, 1, 1]), "fp": int(cells[g, 0, 1]), "tn": int(cells[g, 0, 0])}
            confusion["fn"] = int(cells[g, 1, 0])
            label_rates = {name: _py(values[g]) for name, values in labelled.items()}
        else:
            confusion = dict.fromkeys(("tp", "fp", "tn", "fn"))
            label_rates = dict.fromkeys(labelled)
        stats.append(
            GroupStats(
                group=group,
                n=int(sizes[g]),
                n_selected=int(selected[g]),
                selection_rate=_py(selection[g]),
                **confusion,
                **label_rates,
            )
        )
    return tuple(stats)


def _py(value: float | np.floating) -> float | None:
    """Plain Python float, or None for NaN/inf: reports must never carry NaN or numpy scalars."""
    value = float(value)
    return value if math.isfinite(value) else None
