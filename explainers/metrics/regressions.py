"""Regressions of an audit against a baseline audit of the same plan (the last approved report).

Four kinds, each one :class:`Regression`:

- ``verdict_change``: a (metric, group) verdict got worse on the scale pass < inconclusive < fail, or a pass could
  no longer be judged (insufficient data, not computable) although its group did not fall under the minimum size;
- ``metric_move``: the metric moved away from parity (1 for ratios, 0 for differences) by more than the plan's
  tolerance, and the bootstrap interval of the difference ``m(current) - m(baseline)`` excludes zero;
- ``probe_failure``: a probe fails now and did not in the baseline (or was not run then);
- ``group_below_minimum``: a group had at least the minimum size in the baseline and has fewer rows now;
- ``check_failure``: a user-stated check of the plan (explainers.metrics.checks) passed in the baseline and fails now.

The difference interval (design.md section 4, applied to two count tables). The two audits count different rows,
so their bootstraps are independent: each table gets its own B replicates, drawn exactly as the report's own
intervals are (``bootstrap_tables``: one Multinomial(N, cells/N) draw per replicate, the row bootstrap), and the
percentile ``1 - alpha`` interval of the B differences ``m(current*) - m(baseline*)`` is the two-sample bootstrap
interval of the difference. Both are measured against the current report's reference group, so the two values
answer the same question. The seeds follow the report's scheme: numpy ``SeedSequence`` streams derived from the
slice's recorded seed (:func:`regression_seeds`), one for each table, so a re-computation gives the same interval
and the two tables never share random numbers (shared numbers would make the interval too narrow).

A re-run on unchanged data has difference exactly 0, so it never reports a move; on resamples of one population
the interval alone excludes zero at about the nominal rate ``alpha`` per comparison, which is why a move must also
exceed the tolerance and point away from parity (tests/explainers/metrics/test_regressions.py measures both).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from explainers.metrics.bootstrap import bootstrap_tables, percentile_interval
from explainers.metrics.counts import FAV, UNFAV, CountTable
from explainers.metrics.definitions import METRIC_DEFINITIONS, metric_values
from explainers.metrics.verdicts import insufficiency_reasons

KINDS = ("verdict_change", "metric_move", "probe_failure", "group_below_minimum", "check_failure")
# A worse verdict has a higher rank; insufficient_data and not_computable are not on this scale (see above).
VERDICT_SEVERITY = {"pass": 0, "inconclusive": 1, "fail": 2}
UNJUDGED = ("insufficient_data", "not_computable")
# Entropy word that separates the difference bootstrap's streams from the slice's own interval stream.
REGRESSION_STREAM = 0x7265_6772  # "regr"


@dataclass(frozen=True)
class SliceSnapshot:
    """One audited slice of a report: its count table, reference group, seed and the verdict of each result.

    verdicts: ``(metric, group) -> verdict`` as reported.
    passes_alone: the ``(metric, group)`` whose own (per-comparison) interval lies inside the band while a wider,
    audit-wide interval decided their verdict (verdict_error_control familywise or fdr): a pass there that became
    inconclusive moved because the family grew, not because the group did.
    """

    attribute: str
    decision_class: str
    reference_group: str
    table: CountTable
    seed: int
    verdicts: Mapping[tuple[str, str], str] = field(default_factory=dict)
    passes_alone: frozenset[tuple[str, str]] = frozenset()

    @property
    def key(self) -> tuple[str, str]:
        return self.attribute, self.decision_class


@dataclass(frozen=True)
class AuditSnapshot:
    """What a report says that a regression can be read from: its slices and each probe's verdict.

    probes: ``(probe, attribute) -> verdict``; checks: ``check text -> verdict``.
    """

    slices: tuple[SliceSnapshot, ...] = ()
    probes: Mapping[tuple[str, str], str] = field(default_factory=dict)
    checks: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class RegressionRules:
    """The current plan's settings that decide what a regression is (explainers.audit_settings.PlanSettings)."""

    tolerance: float
    n_boot: int
    alpha: float
    min_group_size: int
    min_denominator: int


@dataclass(frozen=True)
class MetricDifference:
    """One metric of one group in both audits against the same reference, with the difference's interval."""

    metric: str
    group: str
    before: float
    after: float
    difference: float
    ci_low: float | None
    ci_high: float | None

    @property
    def excludes_zero(self) -> bool:
        return self.ci_low is not None and self.ci_high is not None and (self.ci_low > 0 or self.ci_high < 0)


@dataclass(frozen=True)
class Regression:
    """One regression. ``before`` and ``after`` are verdicts (verdict_change, probe_failure), metric values
    (metric_move) or group sizes (group_below_minimum); ``difference`` is after - before where that is a number;
    ``interval`` is the difference's bootstrap interval (metric_move only). ``reference_group`` is the group both
    values were measured against; ``baseline_reference_group`` the baseline report's own, when it differs."""

    kind: str
    attribute: str
    decision_class: str = ""
    group: str | None = None
    metric: str | None = None
    before: float | int | str | None = None
    after: float | int | str | None = None
    difference: float | int | None = None
    interval: tuple[float, float] | None = None
    reference_group: str | None = None
    baseline_reference_group: str | None = None


def table_from_group_stats(groups: Sequence[Mapping]) -> CountTable:
    """The count table behind a report's per-group statistics (``asdict(GroupStats)``): the confusion counts when
    the audit had outcomes (tp = cells[g, fav, fav], fn = [fav, unfav], fp = [unfav, fav], tn = [unfav, unfav]),
    else n and n_selected at y index 0. Exact: a report's group rows hold every count of its table.

    Raises:
        ValueError: when the counts do not add up to n (a malformed report).
    """
    has_outcome = any(g.get("tp") is not None for g in groups)
    ordered = sorted(groups, key=lambda g: str(g["group"]))
    cells = np.zeros((len(ordered), 2, 2), dtype=np.int64)
    for index, group in enumerate(ordered):
        if has_outcome:
            cells[index, FAV, FAV], cells[index, FAV, UNFAV] = group["tp"], group["fn"]
            cells[index, UNFAV, FAV], cells[index, UNFAV, UNFAV] = group["fp"], group["tn"]
        else:
            cells[index, UNFAV, FAV] = group["n_selected"]
            cells[index, UNFAV, UNFAV] = group["n"] - group["n_selected"]
        if int(cells[index].sum()) != int(group["n"]):
            raise ValueError(f"the counts of group {group['group']!r} do not add up to its n")
    return CountTable(groups=tuple(str(g["group"]) for g in ordered), cells=cells, has_outcome=has_outcome)


def regression_seeds(seed: int) -> tuple[int, int]:
    """(baseline seed, current seed) of the difference bootstrap: two independent SeedSequence children of the
    current slice's recorded seed, in their own stream (REGRESSION_STREAM)."""
    children = np.random.SeedSequence([int(seed), REGRESSION_STREAM]).spawn(2)
    return tuple(int(child.generate_state(1, dtype=np.uint64)[0]) for child in children)


def _py(value) -> float | None:
    value = float(value)
    return value if math.isfinite(value) else None


def metric_differences(
    current: CountTable,
    baseline: CountTable,
    reference_group: str,
    metrics: Sequence[str],
    *,
    n_boot: int,
    alpha: float,
    seed: int,
) -> list[MetricDifference]:
    """Every requested metric of every group present in both tables (the reference excluded), measured against
    `reference_group` in both, with the percentile ``1 - alpha`` interval of ``m(current) - m(baseline)`` from
    independent bootstraps of the two tables (seeds from :func:`regression_seeds`). Metrics that need outcomes
    are skipped unless both tables have them; a value undefined in either table is skipped.

    Raises:
        ValueError: when the reference group is missing from either table.
    """
    for table in (current, baseline):
        if reference_group not in table.groups:
            raise ValueError(f"reference group {reference_group!r} is not in both tables")
    baseline_seed, current_seed = regression_seeds(seed)
    reps_baseline = bootstrap_tables(baseline.cells, n_boot, baseline_seed)
    reps_current = bootstrap_tables(current.cells, n_boot, current_seed)
    ref_now, ref_before = current.groups.index(reference_group), baseline.groups.index(reference_group)
    shared = [g for g in current.groups if g in baseline.groups and g != reference_group]
    out = []
    for metric in metrics:
        if METRIC_DEFINITIONS[metric].requires_outcome and not (current.has_outcome and baseline.has_outcome):
            continue
        after_all = metric_values(metric, current.cells, ref_now)
        before_all = metric_values(metric, baseline.cells, ref_before)
        boot_after = metric_values(metric, reps_current, ref_now)
        boot_before = metric_values(metric, reps_baseline, ref_before)
        for group in shared:
            now, then = current.groups.index(group), baseline.groups.index(group)
            after, before = _py(after_all[now]), _py(before_all[then])
            if after is None or before is None:
                continue
            low, high = percentile_interval(boot_after[:, now] - boot_before[:, then], alpha)
            out.append(MetricDifference(metric, group, before, after, after - before, _py(low), _py(high)))
    return out


def _judgeable(metric: str, table: CountTable, group: str, reference: str, rules: RegressionRules) -> bool:
    """The verdict rule's own minimum sizes hold for this comparison in this table (design.md section 4)."""
    reasons = insufficiency_reasons(
        METRIC_DEFINITIONS[metric],
        np.asarray(table.cells),
        table.groups.index(group),
        table.groups.index(reference),
        min_group_size=rules.min_group_size,
        min_denominator=rules.min_denominator,
    )
    return not reasons


def _moves_away_from_parity(difference: MetricDifference) -> bool:
    parity = METRIC_DEFINITIONS[difference.metric].parity
    return abs(difference.after - parity) > abs(difference.before - parity)


def _groups_below_minimum(now: SliceSnapshot, before: SliceSnapshot, rules: RegressionRules) -> list[Regression]:
    sizes_now = dict(zip(now.table.groups, now.table.group_sizes().tolist(), strict=True))
    out = []
    for group, size_before in zip(before.table.groups, before.table.group_sizes().tolist(), strict=True):
        size_now = int(sizes_now.get(group, 0))
        if size_before >= rules.min_group_size > size_now:
            out.append(
                Regression(
                    kind="group_below_minimum",
                    attribute=now.attribute,
                    group=group,
                    before=int(size_before),
                    after=size_now,
                    difference=size_now - int(size_before),
                )
            )
    return out


def _verdict_changes(now: SliceSnapshot, before: SliceSnapshot, small: set[str]) -> list[Regression]:
    out = []
    for (metric, group), after in now.verdicts.items():
        previous = before.verdicts.get((metric, group))
        if previous is None:
            continue
        worse = previous in VERDICT_SEVERITY and after in VERDICT_SEVERITY
        worse = worse and VERDICT_SEVERITY[after] > VERDICT_SEVERITY[previous]
        # A pass that can no longer be judged, unless a group fell under the minimum (its own item says so).
        lost = previous == "pass" and after in UNJUDGED and not ({group, now.reference_group} & small)
        # A pass withheld only by a wider audit-wide interval: the group's own interval still passes, so nothing about
        # the group got worse (a real move of its metric is a metric_move of its own).
        widened = previous == "pass" and after == "inconclusive" and (metric, group) in now.passes_alone
        if (worse or lost) and not widened:
            out.append(
                Regression(
                    kind="verdict_change",
                    attribute=now.attribute,
                    decision_class=now.decision_class,
                    group=group,
                    metric=metric,
                    before=previous,
                    after=after,
                    reference_group=now.reference_group,
                )
            )
    return out


def _metric_moves(now: SliceSnapshot, before: SliceSnapshot, metrics: Sequence[str], rules: RegressionRules):
    reference = now.reference_group
    if reference not in before.table.groups:
        return []
    differences = metric_differences(
        now.table, before.table, reference, metrics, n_boot=rules.n_boot, alpha=rules.alpha, seed=now.seed
    )
    out = []
    for d in differences:
        comparable = all(_judgeable(d.metric, t, d.group, reference, rules) for t in (now.table, before.table))
        if comparable and d.excludes_zero and abs(d.difference) > rules.tolerance and _moves_away_from_parity(d):
            out.append(
                Regression(
                    kind="metric_move",
                    attribute=now.attribute,
                    decision_class=now.decision_class,
                    group=d.group,
                    metric=d.metric,
                    before=d.before,
                    after=d.after,
                    difference=d.difference,
                    interval=(d.ci_low, d.ci_high),
                    reference_group=reference,
                    baseline_reference_group=before.reference_group if before.reference_group != reference else None,
                )
            )
    return out


def find_regressions(
    current: AuditSnapshot, baseline: AuditSnapshot, metrics: Sequence[str], rules: RegressionRules
) -> list[Regression]:
    """Every regression of `current` against `baseline`, slice by slice in the current report's order (groups that
    fell under the minimum size, verdict changes, metric moves), then the new probe failures.

    Slices, groups and probes present in only one of the two audits are compared as far as they can be: a group
    missing now has 0 rows; a probe missing in the baseline makes a current failure new.
    """
    before_by_key = {s.key: s for s in baseline.slices}
    found: list[Regression] = []
    small_by_attribute: dict[str, set[str]] = {}
    for now in current.slices:
        before = before_by_key.get(now.key)
        if before is None:
            continue
        if now.attribute not in small_by_attribute:  # group sizes do not depend on the decision class
            small = _groups_below_minimum(now, before, rules)
            small_by_attribute[now.attribute] = {r.group for r in small}
            found += small
        found += _verdict_changes(now, before, small_by_attribute[now.attribute])
        found += _metric_moves(now, before, metrics, rules)
    for (probe, attribute), verdict in current.probes.items():
        previous = baseline.probes.get((probe, attribute))
        if verdict == "fail" and previous != "fail":
            found.append(
                Regression(kind="probe_failure", attribute=attribute, metric=probe, before=previous, after=verdict)
            )
    for text, verdict in current.checks.items():
        previous = baseline.checks.get(text)
        if verdict == "fail" and previous == "pass":
            found.append(
                Regression(
                    kind="check_failure", attribute="user-stated check", metric=text, before=previous, after=verdict
                )
            )
    return found
