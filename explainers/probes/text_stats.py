"""Statistics of the text probe's substitution sets: paired Deltas, control baselines, verdicts (design.md §5)."""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import numpy as np
from scipy import stats

from explainers.metrics.bootstrap import percentile_interval
from explainers.metrics.verdicts import Verdict
from explainers.probes.paired import wilcoxon_p

MIN_ROWS = 30  # fewer rows holding a source term than this: the pair's verdict is insufficient_data

# Worst first when ranking pair verdicts: an untested direction outranks a pass.
_RANK = {Verdict.PASS: 0, Verdict.INSUFFICIENT_DATA: 1, Verdict.INCONCLUSIVE: 2, Verdict.FAIL: 3}
_EMPTY = np.empty(0)


@dataclass
class TermSet:
    """Rows of one substitution (a group pair or a group's control), filled in as the probe runs.

    ``replicates`` are bootstrap means ``(B, 3)`` of flip, Delta and |Delta| over this set's rows.
    """

    positions: np.ndarray
    texts: list[str]
    n_substitutions: int
    base_decisions: np.ndarray = field(default_factory=lambda: _EMPTY.astype(bool))
    base_scores: np.ndarray = field(default_factory=lambda: _EMPTY)
    new_decisions: np.ndarray = field(default_factory=lambda: _EMPTY.astype(bool))
    new_scores: np.ndarray = field(default_factory=lambda: _EMPTY)
    replicates: np.ndarray | None = None

    @property
    def n(self) -> int:
        return int(self.positions.size)

    @property
    def flips(self) -> np.ndarray:
        return self.new_decisions != self.base_decisions

    @property
    def deltas(self) -> np.ndarray:
        return self.new_scores - self.base_scores

    def record(self, base_decisions, base_scores, new_decisions, new_scores) -> None:
        self.base_decisions, self.base_scores = np.asarray(base_decisions), np.asarray(base_scores)
        self.new_decisions, self.new_scores = np.asarray(new_decisions), np.asarray(new_scores)

    def bootstrap(self, sums: Callable[[np.ndarray], np.ndarray]) -> None:
        """Replicate means from ``sums`` (bootstrap_sums bound to B and a generator); none for an empty set."""
        if self.n:
            values = np.column_stack([self.flips, self.deltas, np.abs(self.deltas)])
            self.replicates = sums(values) / self.n


def set_statistics(term_set: TermSet, alpha: float) -> dict:
    """The shared fields of TextPairResult and TextControlResult; None where the set is empty."""
    result = {"n": term_set.n, "n_substitutions": int(term_set.n_substitutions)}
    names = ("flip_rate", "mean_delta", "mean_abs_delta")
    bounds = (("flip_ci_low", "flip_ci_high"), ("delta_ci_low", "delta_ci_high"))
    bounds += (("abs_delta_ci_low", "abs_delta_ci_high"),)
    if not term_set.n:
        result.update(dict.fromkeys(names, None))
        result.update(dict.fromkeys([name for pair in bounds for name in pair], None))
        return result | {"wilcoxon_p": None, "t_test_p": None}
    deltas = term_set.deltas
    estimates = (term_set.flips.mean(), deltas.mean(), np.abs(deltas).mean())
    low, high = percentile_interval(term_set.replicates, alpha)
    for j, (name, (low_name, high_name)) in enumerate(zip(names, bounds, strict=True)):
        result[name] = float(estimates[j])
        result[low_name], result[high_name] = _number(low[j]), _number(high[j])
    return result | {"wilcoxon_p": wilcoxon_p(deltas), "t_test_p": paired_t_p(deltas)}


def excess(pair: TermSet, control: TermSet, alpha: float) -> dict:
    """Pair minus control flip rate and mean |Delta|, with intervals from independent bootstraps of each set.

    Replicate r of the excess is pair replicate r minus control replicate r; the two sets were resampled with
    separate draws, which treats them as independent samples. Without control rows the baseline is 0.
    """
    names = ("excess_flip_rate", "excess_flip_ci_low", "excess_flip_ci_high")
    names += ("excess_mean_abs_delta", "excess_abs_delta_ci_low", "excess_abs_delta_ci_high")
    if not pair.n:
        return dict.fromkeys(names, None)
    estimate = np.array([pair.flips.mean(), np.abs(pair.deltas).mean()])
    replicates = pair.replicates[:, [0, 2]]
    if control.n:
        estimate = estimate - np.array([control.flips.mean(), np.abs(control.deltas).mean()])
        replicates = replicates - control.replicates[:, [0, 2]]
    low, high = percentile_interval(replicates, alpha)
    values = (estimate[0], low[0], high[0], estimate[1], low[1], high[1])
    return {name: _number(value) for name, value in zip(names, values, strict=True)}


def pair_verdict(n: int, ci_low: float | None, ci_high: float | None, threshold: float) -> str:
    """design.md §5: judge the excess flip rate; fail if wholly above the threshold, pass if wholly at or below."""
    if n < MIN_ROWS or ci_low is None or ci_high is None:
        return Verdict.INSUFFICIENT_DATA.value
    if ci_low > threshold:
        return Verdict.FAIL.value
    if ci_high <= threshold:
        return Verdict.PASS.value
    return Verdict.INCONCLUSIVE.value


def worst(verdicts: Iterable[str]) -> str:
    """The worst verdict (fail > inconclusive > insufficient_data > pass); insufficient_data for none."""
    ranked = [Verdict(verdict) for verdict in verdicts]
    return max(ranked, key=_RANK.__getitem__).value if ranked else Verdict.INSUFFICIENT_DATA.value


def paired_t_p(deltas: np.ndarray) -> float | None:
    """Two-sided one-sample t-test of the paired Deltas against 0; None below 2 rows or with no spread."""
    deltas = np.asarray(deltas, dtype=np.float64)
    if deltas.size < 2 or not np.any(deltas != 0):
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # constant non-zero Deltas: zero variance, NaN p
        p = float(stats.ttest_1samp(deltas, 0.0).pvalue)
    return _number(p)


def _number(value) -> float | None:
    value = float(value)
    return value if math.isfinite(value) else None
