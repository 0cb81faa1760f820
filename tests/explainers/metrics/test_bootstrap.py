"""Multinomial bootstrap over the count table (design.md §4 "Uncertainty and verdicts")."""

import numpy as np
import pytest

from explainers.metrics import MetricConfig, audit_attribute, count_table
from explainers.metrics.bootstrap import bootstrap_tables


def _data(seed: int, n: int = 5000) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    group = rng.choice(["a", "b", "c"], size=n, p=[0.5, 0.3, 0.2])
    y = rng.random(n) < 0.5
    decision = rng.random(n) < np.where(group == "a", 0.5, 0.42) + np.where(y, 0.2, -0.1)
    return group, decision, y


def _di_interval(group: np.ndarray, decision: np.ndarray, seed: int, n_boot: int = 2000) -> tuple[float, float]:
    config = MetricConfig(reference_group="a", metrics=("disparate_impact",), n_boot=n_boot, seed=seed)
    result = audit_attribute(count_table(group, decision), "g", config)
    b = next(item for item in result.results if item.group == "b")
    return b.ci_low, b.ci_high


def test_same_seed_gives_identical_results_and_another_seed_different_intervals():
    table = count_table(*_data(0))
    first = audit_attribute(table, "g", MetricConfig(seed=7))
    assert audit_attribute(table, "g", MetricConfig(seed=7)) == first
    other = audit_attribute(table, "g", MetricConfig(seed=8))
    assert [r.value for r in other.results] == [r.value for r in first.results]
    assert all(
        (a.ci_low, a.ci_high) != (b.ci_low, b.ci_high) for a, b in zip(first.results, other.results, strict=True)
    )


def test_interval_contains_the_point_estimate_for_every_metric_and_group():
    result = audit_attribute(count_table(*_data(1)), "g", MetricConfig(seed=1))
    assert result.results
    for item in result.results:
        assert item.ci_low < item.value < item.ci_high, item


def test_bootstrap_tables_keep_the_total_and_average_to_the_observed_table():
    cells = np.array([[[40, 10], [5, 45]], [[300, 100], [60, 440]]])
    draws = bootstrap_tables(cells, n_boot=4000, seed=0)
    assert draws.shape == (4000, 2, 2, 2)
    assert (draws.sum(axis=(1, 2, 3)) == cells.sum()).all()
    # Mean N p and sd sqrt(N p (1 - p)) of each cell: the multinomial's moments.
    p = cells / cells.sum()
    assert draws.mean(axis=0) == pytest.approx(cells, rel=0.02)
    assert draws.std(axis=0) == pytest.approx(np.sqrt(cells.sum() * p * (1 - p)), rel=0.05)


def test_multinomial_interval_matches_an_explicit_row_resampling_bootstrap():
    group, decision, _ = _data(2)
    ours = _di_interval(group, decision, seed=2)

    # The textbook row bootstrap: resample N row indices with replacement, recompute DI(b vs a) each time.
    rng = np.random.default_rng(123)
    codes = np.searchsorted(["a", "b", "c"], group)
    n = len(group)
    replicates = np.empty(2000)
    for i in range(2000):
        index = rng.integers(0, n, size=n)
        sizes = np.bincount(codes[index], minlength=3)
        selected = np.bincount(codes[index], weights=decision[index], minlength=3)
        rate = selected / sizes
        replicates[i] = rate[1] / rate[0]
    rows_low, rows_high = np.percentile(replicates, [2.5, 97.5])

    # Monte-Carlo error of each endpoint at B = 2000 is about 0.003 here; the width check catches a bootstrap
    # that resamples the wrong number of rows (width scales with 1 / sqrt(N)).
    assert ours[0] == pytest.approx(rows_low, abs=0.01)
    assert ours[1] == pytest.approx(rows_high, abs=0.01)
    assert ours[1] - ours[0] == pytest.approx(rows_high - rows_low, rel=0.1)
