"""Verdicts that hold as a family (design.md §4 "Verdicts hold as a family").

An audit makes many claims at once (COMPAS by race x sex: 102 comparisons). Judged one by one at 95%, some
`fail` is expected somewhere even when every true value is inside its band. The plan's
``verdict_error_control`` says which error rate the verdicts hold at:

``per_comparison``
    each verdict from its own percentile interval at ``1 - alpha`` (equalized odds excepted, below).
``familywise`` (default)
    simultaneous intervals over every judged comparison of the audit (every metric x group x attribute,
    intersection and decision class): a studentised max-|t| bootstrap (the single-step max-T of Westfall &
    Young 1993 and Romano & Wolf 2005, Econometrica 73(4):1237-1282, turned into intervals as in Romano &
    Wolf's "Exact and approximate stepdown methods", §4). For comparison k with estimate ``phi_k`` on its
    working scale, bootstrap replicates ``phi*_bk`` and bootstrap standard error ``s_k``,
    ``c = quantile_{1-alpha}( max_k |phi*_bk - phi_k| / s_k )`` and the simultaneous interval is
    ``phi_k +- c s_k``. Every pass and every fail then holds jointly with probability at least ``1 - alpha``.
``fdr``
    false coverage-statement rate control (Benjamini & Yekutieli 2005, JASA 100(469):71-81): the claims are
    selected by the step-up rule of the BH procedure dual to the intervals, ``R = max{r : at least r
    comparisons make a claim (pass or fail) with intervals at level 1 - r alpha / (m H_m)}``, and every interval
    is reported at level ``1 - R alpha / (m H_m)`` (``H_m = sum 1/i``, the factor that makes the bound hold under
    any dependence, Benjamini & Yekutieli 2001 Thm 1.3 / 2005 §3), as ``phi_k +- z s_k``.

Working scale: ratio metrics (disparate impact, equal opportunity ratio) on the log scale, where their
sampling distribution is near symmetric; differences as they are. Bootstrap tables are the ones
:func:`explainers.metrics.audit.audit_attribute_with_replicates` already drew (Multinomial over the count
table), so this costs one pass over replicates already in memory. Slices (attributes) are bootstrapped
independently and joined replicate by replicate; for two-sided statistics Sidak's inequality makes the
critical value of independent blocks at least that of the true (positively dependent) joint resample, so
joining them errs on the safe side.

Equalized odds is ``max(|dTPR|, |dFPR|)``: its percentile interval is biased away from zero and under-covers
when the two components are close (bench/familywise_sim.py measures it). Under every rule its deciding
interval is therefore derived from simultaneous intervals of its two components: if ``dTPR in I_T`` and
``dFPR in I_F``, then ``EO in [max(dist(0, I_T), dist(0, I_F)), max(|I_T|max, |I_F|max)]``, so it covers
whenever both components do. Under ``per_comparison`` the two components form their own family of two.

Every adjusted interval is the hull of the construction above and the per-comparison percentile interval
(never narrower than what a reader sees beside it), clipped to the metric's range. Not judged (insufficient
data, not computable, an undefined interval): left as they are and not in the family.

Last, the rule "a fail never stands beside an adjusted test that finds no evidence": a `fail` whose adjusted
p-value (Holm under ``familywise``, Benjamini-Yekutieli under ``fdr``, unadjusted under ``per_comparison``) is
above alpha is reported `inconclusive`, with the reason. This only withdraws claims, so the error rates hold.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace

import numpy as np
from scipy import stats

from explainers.audit_settings import VERDICT_ERROR_CONTROLS
from explainers.metrics import rates
from explainers.metrics.audit import AttributeResult, MetricResult
from explainers.metrics.definitions import metric_values
from explainers.metrics.verdicts import Verdict, band_verdict

PER_COMPARISON, FAMILYWISE, FDR = VERDICT_ERROR_CONTROLS
ERROR_CONTROLS = VERDICT_ERROR_CONTROLS
EQUALIZED_ODDS = "equalized_odds_difference"
_LOG_SCALE = frozenset({"disparate_impact", "equal_opportunity_ratio"})
_RANGE = {"disparate_impact": (0.0, math.inf), "equal_opportunity_ratio": (0.0, math.inf), EQUALIZED_ODDS: (0.0, 1.0)}
_JUDGED = (Verdict.PASS, Verdict.FAIL, Verdict.INCONCLUSIVE)

# What each rule's coherence check tests with, for the reason a withheld fail gives.
ADJUSTED_TEST = {PER_COMPARISON: "unadjusted", FAMILYWISE: "Holm-adjusted", FDR: "Benjamini-Yekutieli-adjusted"}
RULE_METHOD = {
    PER_COMPARISON: "each verdict from its own percentile interval at 1 - alpha; equalized odds from simultaneous "
    "intervals of its TPR and FPR differences (max-|t| bootstrap over the two)",
    FAMILYWISE: "simultaneous intervals over every judged comparison of the audit: studentised max-|t| bootstrap "
    "(Westfall-Young / Romano-Wolf single step) on the count-table replicates, ratios on the log scale; "
    "equalized odds from its TPR and FPR components; every pass and fail holds jointly at 1 - alpha",
    FDR: "false coverage-statement rate intervals (Benjamini-Yekutieli 2005, arbitrary dependence): claims selected "
    "by the step-up rule, every interval at level 1 - R alpha / (m H_m), normal on the bootstrap standard error, "
    "ratios on the log scale",
}


@dataclass(frozen=True)
class FamilySlice:
    """One audited slice as the family sees it: its results, point table ``(G, 2, 2)``, bootstrap tables
    ``(B, G, 2, 2)`` (None when none were drawn) and, aligned with ``result.results``, the adjusted p-values
    that a `fail` must stand beside."""

    result: AttributeResult
    cells: np.ndarray
    replicates: np.ndarray | None
    p_adjusted: Sequence[float | None]


@dataclass(frozen=True)
class FamilySummary:
    """What the rule did over the audit, recorded in the report.

    comparisons: judged comparisons (the family m); statistics: studentised statistics in the max (equalized
    odds counts its two components); critical_value: the max-|t| quantile c (familywise); marginal_level: the
    level each adjusted interval has on its own (2 Phi(c) - 1 for familywise, 1 - R alpha / (m H_m) for fdr);
    selected: R (fdr); withheld: fails reported inconclusive because the adjusted test found no evidence.
    """

    rule: str
    alpha: float
    method: str
    adjusted_test: str
    comparisons: int
    statistics: int
    critical_value: float | None
    marginal_level: float | None
    selected: int | None
    withheld: int

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class _Comparison:
    slice_index: int
    result_index: int
    result: MetricResult
    points: np.ndarray  # (K,) working-scale estimates: 1 component, or 2 for equalized odds
    errors: np.ndarray  # (K,) bootstrap standard errors
    logs: tuple[bool, ...]
    t: np.ndarray  # (B, K) |phi* - phi| / s, inf where a replicate is undefined (conservative)


def control_family(
    slices: Sequence[FamilySlice], *, rule: str, alpha: float
) -> tuple[list[AttributeResult], FamilySummary]:
    """Revise every slice's verdicts under ``rule`` (module docstring) and say what was done.

    Returns the slices' results with ``adjusted_ci_low/high``, verdict and reason set, in the input order.

    Raises:
        ValueError: on an unknown rule, or slices whose replicate counts differ.
    """
    if rule not in ERROR_CONTROLS:
        raise ValueError(f"unknown verdict_error_control {rule!r}; known: {', '.join(ERROR_CONTROLS)}")
    comparisons = _comparisons(slices)
    boots = {c.t.shape[0] for c in comparisons}
    if len(boots) > 1:
        raise ValueError("every slice must have the same number of bootstrap replicates")
    critical, level, selected = None, None, None
    intervals: dict[tuple[int, int], tuple[float, float]] = {}
    if comparisons and rule == FAMILYWISE:
        maxima = np.max([c.t.max(axis=1) for c in comparisons], axis=0)  # max over the family, per replicate
        critical = _max_t_quantile(maxima[:, None], alpha)
        level = 2 * stats.norm.cdf(critical) - 1 if math.isfinite(critical) else 1.0
        intervals = {(c.slice_index, c.result_index): _interval(c, [critical] * len(c.points)) for c in comparisons}
    elif comparisons and rule == FDR:
        intervals, level, selected = _fcr_intervals(comparisons, alpha)
    elif rule == PER_COMPARISON:
        for c in comparisons:
            if c.result.metric == EQUALIZED_ODDS:
                intervals[(c.slice_index, c.result_index)] = _interval(c, [_max_t_quantile(c.t, alpha)] * 2)
    withheld = 0
    revised = []
    for s, piece in enumerate(slices):
        results = []
        for i, result in enumerate(piece.result.results):
            result, was_withheld = _decide(result, intervals.get((s, i)), piece.p_adjusted[i], alpha, rule)
            withheld += was_withheld
            results.append(result)
        revised.append(replace(piece.result, results=tuple(results)))
    summary = FamilySummary(
        rule=rule,
        alpha=alpha,
        method=RULE_METHOD[rule],
        adjusted_test=ADJUSTED_TEST[rule],
        comparisons=len(comparisons),
        statistics=sum(len(c.points) for c in comparisons),
        critical_value=_finite(critical),
        marginal_level=_finite(level),
        selected=selected,
        withheld=withheld,
    )
    return revised, summary


def _decide(result: MetricResult, interval, p_adjusted, alpha: float, rule: str) -> tuple[MetricResult, int]:
    """The verdict from the deciding interval, then the coherence rule with the adjusted test."""
    if result.verdict not in _JUDGED or result.reason:
        return result, 0
    if interval is not None:
        low, high = interval
        result = replace(
            result,
            adjusted_ci_low=low,
            adjusted_ci_high=high,
            verdict=band_verdict(low, high, result.band_low, result.band_high),
        )
    if result.verdict == Verdict.FAIL and (p_adjusted is None or p_adjusted > alpha):
        shown = "not computable" if p_adjusted is None else f"{p_adjusted:.3g} > {alpha:g}"
        reason = (
            f"interval outside the band, but the {ADJUSTED_TEST[rule]} test finds no evidence of a difference "
            f"(p {shown}); not claimed as a fail"
        )
        return replace(result, verdict=Verdict.INCONCLUSIVE, reason=reason), 1
    return result, 0


def _comparisons(slices: Sequence[FamilySlice]) -> list[_Comparison]:
    """Every judged comparison with its working-scale estimates, standard errors and studentised replicates."""
    found = []
    for s, piece in enumerate(slices):
        if piece.replicates is None:
            continue
        names = [g.group for g in piece.result.groups]
        reference = names.index(piece.result.reference_group)
        cache: dict[str, tuple] = {}
        for i, result in enumerate(piece.result.results):
            if result.verdict not in _JUDGED or result.reason or result.ci_low is None or result.ci_high is None:
                continue
            g = names.index(result.group)
            parts = _EO_PARTS if result.metric == EQUALIZED_ODDS else (result.metric,)
            for part in parts:
                if part not in cache:
                    cache[part] = _studentised(part, piece.cells, piece.replicates, reference)
            point, error, logs, t = (np.array([cache[part][k][..., g] for part in parts]) for k in range(4))
            found.append(_Comparison(s, i, result, point, error, tuple(bool(x) for x in logs), t.T))
    return found


_EO_PARTS = ("tpr_difference", "fpr_difference")


def _values(part: str, cells: np.ndarray, reference: int) -> np.ndarray:
    """Values of a metric, or of one equalized-odds component (signed TPR / FPR difference), for every group."""
    if part in _EO_PARTS:
        rate = rates.true_positive_rate(cells) if part == "tpr_difference" else rates.false_positive_rate(cells)
        return rate - rate[..., reference : reference + 1]
    return metric_values(part, cells, reference)


def _studentised(part: str, cells: np.ndarray, replicates: np.ndarray, reference: int):
    """For every group at once: working-scale estimate ``(G,)``, bootstrap standard error ``(G,)``, whether the log
    scale is used ``(G,)``, and ``|phi* - phi| / s`` of shape ``(B, G)`` (inf where a replicate is undefined, which
    errs on the safe side; 0 where s = 0, a statistic that cannot vary)."""
    point, boot = _values(part, cells, reference), _values(part, replicates, reference)
    with np.errstate(invalid="ignore", divide="ignore"):
        if part in _LOG_SCALE:  # log only where the estimate and every defined replicate are positive
            logs = (point > 0) & np.all(np.isnan(boot) | (boot > 0), axis=0)
            point = np.where(logs, np.log(np.where(logs, point, 1.0)), point)
            boot = np.where(logs, np.log(np.where(logs & (boot > 0), boot, 1.0)), boot)
        else:
            logs = np.zeros(point.shape, dtype=bool)
        defined = np.isfinite(boot).sum(axis=0)
        error = np.where(defined > 1, np.nanstd(np.where(np.isfinite(boot), boot, np.nan), axis=0, ddof=1), 0.0)
        error = np.nan_to_num(error)
        t = np.abs(boot - point) / np.where(error > 0, error, 1.0)
    t = np.where(error > 0, t, 0.0)
    return point, error, logs, np.where(np.isnan(t) | np.isinf(t), np.inf, t)


def _max_t_quantile(t: np.ndarray, alpha: float) -> float:
    """The (1 - alpha) quantile of max_k t[b, k] over replicates b, rounded up to an observed replicate."""
    return float(np.quantile(t.max(axis=1), 1 - alpha, method="higher"))


def _interval(c: _Comparison, critical: Sequence[float]) -> tuple[float, float]:
    """The adjusted interval of one comparison: ``phi +- c s`` per component, back on the metric's scale."""
    bounds = []
    for point, error, use_log, crit in zip(c.points, c.errors, c.logs, critical, strict=True):
        low, high = point - crit * error, point + crit * error
        if use_log:
            low, high = (
                math.exp(low) if math.isfinite(low) else 0.0,
                math.exp(high) if math.isfinite(high) else math.inf,
            )
        if not use_log and c.result.metric not in _LOG_SCALE:  # a difference of two rates lies in [-1, 1]
            low, high = max(low, -1.0), min(high, 1.0)
        bounds.append((low, high))
    if c.result.metric == EQUALIZED_ODDS:
        nearest = max(0.0 if lo <= 0 <= hi else min(abs(lo), abs(hi)) for lo, hi in bounds)
        farthest = max(max(abs(lo), abs(hi)) for lo, hi in bounds)
        low, high = nearest, farthest
    else:
        ((low, high),) = bounds
    floor, ceiling = _RANGE.get(c.result.metric, (-1.0, 1.0))
    low, high = max(floor, min(low, c.result.ci_low)), min(ceiling, max(high, c.result.ci_high))
    return float(low), float(high)


def _fcr_intervals(comparisons: list[_Comparison], alpha: float):
    """Benjamini-Yekutieli (2005) FCR-adjusted intervals with the step-up selection (module docstring).

    ``claims(r)`` (comparisons whose interval at level ``1 - r alpha / (m H_m)`` lies inside or outside the band)
    grows with r, so ``R = max{r : claims(r) >= r}`` is found by stepping down from r = m to r = claims(r) until
    it holds, as the BH step-up is computed (any r above claims(r) cannot qualify, since claims only shrink).
    """
    m = len(comparisons)
    harmonic = sum(1.0 / i for i in range(1, m + 1))

    def at(r: int) -> dict:
        level = r * alpha / (m * harmonic)
        z = {k: float(stats.norm.ppf(1 - level / (2 * k))) for k in (1, 2)}  # k = 2: Bonferroni over EO's two parts
        return {(c.slice_index, c.result_index): _interval(c, [z[len(c.points)]] * len(c.points)) for c in comparisons}

    def claims(found: dict) -> int:
        return sum(
            band_verdict(*found[(c.slice_index, c.result_index)], c.result.band_low, c.result.band_high)
            != Verdict.INCONCLUSIVE
            for c in comparisons
        )

    r = m
    while True:
        found = at(r)
        made = claims(found)
        if made >= r or made == 0:
            break
        r = made
    selected = r if made >= r else 0
    intervals = found if selected else at(1)
    return intervals, 1 - max(selected, 1) * alpha / (m * harmonic), selected


def _finite(value: float | None) -> float | None:
    return float(value) if value is not None and math.isfinite(value) else None
