"""Significance test per comparison and Holm adjustment across an audit (design.md §4 "Uncertainty and verdicts").

design.md §4: "A significance test per comparison (Fisher exact for small cells, else two-proportion z) is
reported with Holm-adjusted p-values across all comparisons of the audit." Each canonical metric compares one
proportion of group g with the same proportion of the reference r; :func:`metric_test` says which proportion,
:func:`two_proportion_test` tests it, and the caller applies :func:`holm_adjust` once over the whole audit
(every attribute), because the family of comparisons is the audit, not one attribute.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

from explainers.metrics import rates
from explainers.metrics.counts import FAV, UNFAV

# Cochran's rule: the chi-square (equivalently z) approximation is trusted only when every expected count of
# the 2x2 table is at least 5; below that the exact conditional test is used.
MIN_EXPECTED_COUNT = 5.0


@dataclass(frozen=True)
class TestResult:
    """One two-sided test: ``test`` is "fisher_exact", "two_proportion_z", "none" or a combination.

    ``statistic`` is z for the z test (group minus reference), the sample odds ratio for Fisher, None when
    there is none or it is infinite; ``p_value`` is a Python float in [0, 1], or None when no test was possible.
    """

    __test__ = False  # not a pytest test class, although its name starts with "Test"

    test: str
    statistic: float | None
    p_value: float | None


NO_TEST = TestResult(test="none", statistic=None, p_value=None)


def two_proportion_test(success_a: int, n_a: int, success_b: int, n_b: int) -> TestResult:
    """Two-sided test of ``success_a / n_a == success_b / n_b`` (design.md §4).

    Rule: Fisher's exact test (``scipy.stats.fisher_exact``) when any expected count of the 2x2 table
    ``[[success_a, n_a - success_a], [success_b, n_b - success_b]]`` under the null is below 5, else the
    pooled two-proportion z test, ``z = (p_a - p_b) / sqrt(p (1 - p) (1 / n_a + 1 / n_b))`` with
    ``p = (success_a + success_b) / (n_a + n_b)`` and ``p_value = 2 * (1 - Phi(|z|))``.
    Returns test "none" with p None when either denominator is 0 (a proportion is undefined).

    Raises:
        ValueError: on negative counts or more successes than trials.
    """
    success_a, n_a, success_b, n_b = (int(v) for v in (success_a, n_a, success_b, n_b))
    if min(success_a, n_a, success_b, n_b) < 0 or success_a > n_a or success_b > n_b:
        raise ValueError(f"invalid counts {success_a}/{n_a} vs {success_b}/{n_b}")
    if n_a == 0 or n_b == 0:
        return NO_TEST
    total = n_a + n_b
    successes = success_a + success_b
    # The smallest expected count is (smallest row total) * (smallest column total) / N.
    smallest_expected = min(n_a, n_b) * min(successes, total - successes) / total
    if smallest_expected < MIN_EXPECTED_COUNT:
        # A zero column (nobody or everybody succeeds) lands here too: Fisher then gives p = 1, no evidence.
        result = stats.fisher_exact([[success_a, n_a - success_a], [success_b, n_b - success_b]])
        return TestResult("fisher_exact", _finite(result.statistic), _probability(result.pvalue))
    pooled = successes / total
    z = (success_a / n_a - success_b / n_b) / math.sqrt(pooled * (1 - pooled) * (1 / n_a + 1 / n_b))
    # 2 * (1 - Phi(|z|)) = erfc(|z| / sqrt 2): exact, and 100x cheaper than scipy's per-call overhead.
    return TestResult("two_proportion_z", z, _probability(math.erfc(abs(z) / math.sqrt(2))))


def holm_adjust(p_values: Sequence[float | None]) -> list[float | None]:
    """Holm-Bonferroni step-down adjusted p-values, in the input order (design.md §4).

    With the m non-None p-values sorted ascending, ``p_adj_(i) = min(1, max_{j <= i} (m - j + 1) p_(j))``:
    the running max keeps the adjusted values monotone in the raw ones. None entries (comparisons that could
    not be tested) pass through as None and do not count in m, since they cannot be rejected.

    Raises:
        ValueError: on a p-value that is NaN or outside [0, 1].
    """
    present = [(p, i) for i, p in enumerate(p_values) if p is not None]
    for p, _ in present:
        if not 0.0 <= p <= 1.0:  # also False for NaN
            raise ValueError(f"p-value {p!r} is not in [0, 1]")
    adjusted: list[float | None] = [None] * len(p_values)
    m = len(present)
    running = 0.0
    for rank, (p, index) in enumerate(sorted(present, key=lambda item: item[0])):
        running = max(running, min(1.0, (m - rank) * float(p)))
        adjusted[index] = running
    return adjusted


def by_adjust(p_values: Sequence[float | None]) -> list[float | None]:
    """Benjamini-Yekutieli step-up adjusted p-values (FDR under any dependence), in the input order.

    Benjamini & Yekutieli (2001), Ann. Statist. 29(4):1165-1188, Theorem 1.3: with the m non-None p-values
    sorted ascending and ``H_m = sum_{i<=m} 1/i``, ``p_adj_(i) = min(1, min_{j >= i} m H_m p_(j) / j)``.
    None entries pass through and do not count in m, as in :func:`holm_adjust`.

    Raises:
        ValueError: on a p-value that is NaN or outside [0, 1].
    """
    present = [(p, i) for i, p in enumerate(p_values) if p is not None]
    for p, _ in present:
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"p-value {p!r} is not in [0, 1]")
    adjusted: list[float | None] = [None] * len(p_values)
    m = len(present)
    harmonic = sum(1.0 / i for i in range(1, m + 1))
    running = 1.0
    ordered = sorted(present, key=lambda item: item[0])
    for rank in range(m, 0, -1):
        p, index = ordered[rank - 1]
        running = min(running, m * harmonic * float(p) / rank)
        adjusted[index] = min(1.0, running)
    return adjusted


# Which proportion each canonical metric compares: (successes, trials) per group from a (G, 2, 2) table.
_Proportion = tuple[Callable[[np.ndarray], np.ndarray], Callable[[np.ndarray], np.ndarray]]
_SR: _Proportion = (rates.n_selected, rates.group_size)  # yhat=fav among all rows
_TPR: _Proportion = (lambda c: c[..., FAV, FAV], rates.n_positive)  # yhat=fav among y=fav
_FPR: _Proportion = (lambda c: c[..., UNFAV, FAV], rates.n_negative)  # yhat=fav among y!=fav
_PPV: _Proportion = (lambda c: c[..., FAV, FAV], rates.n_selected)  # y=fav among yhat=fav
_METRIC_PROPORTIONS: dict[str, tuple[tuple[str, _Proportion], ...]] = {
    "disparate_impact": (("sr", _SR),),
    "statistical_parity_difference": (("sr", _SR),),
    "equal_opportunity_difference": (("tpr", _TPR),),
    "equal_opportunity_ratio": (("tpr", _TPR),),
    "equalized_odds_difference": (("tpr", _TPR), ("fpr", _FPR)),
    "predictive_parity_difference": (("ppv", _PPV),),
}


def metric_test(metric_id: str, cells: np.ndarray, group: int, reference: int) -> TestResult:
    """Test of the proportion behind ``metric_id``, group against reference, on a point table ``(G, 2, 2)``.

    SR for disparate impact and statistical parity, TPR for the equal-opportunity pair, PPV for predictive
    parity. Equalized odds is a max over TPR and FPR, so both are tested and combined by Bonferroni over the
    two, ``p = min(1, 2 min(p_tpr, p_fpr))``, named e.g. ``bonferroni(tpr:two_proportion_z,fpr:fisher_exact)``.
    """
    cells = np.asarray(cells)
    parts = []
    for name, (successes, trials) in _METRIC_PROPORTIONS[metric_id]:
        s, n = successes(cells), trials(cells)
        parts.append((name, two_proportion_test(s[group], n[group], s[reference], n[reference])))
    if len(parts) == 1:
        return parts[0][1]
    if any(result.p_value is None for _, result in parts):
        return NO_TEST
    label = ",".join(f"{name}:{result.test}" for name, result in parts)
    p_value = min(1.0, len(parts) * min(result.p_value for _, result in parts))
    return TestResult(f"bonferroni({label})", None, p_value)


def _finite(value: float) -> float | None:
    value = float(value)
    return value if math.isfinite(value) else None


def _probability(value: float) -> float:
    """Plain Python float clipped to [0, 1]: scipy's sums can overshoot 1 by an ulp."""
    return min(1.0, max(0.0, float(value)))
