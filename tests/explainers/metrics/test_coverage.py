"""Nominal 95% intervals cover the true DI about 95% of the time (design.md §4 cross-checks)."""

import numpy as np

from explainers.metrics import CountTable, MetricConfig, audit_attribute


def test_percentile_interval_covers_true_disparate_impact_near_nominal_rate():
    rng = np.random.default_rng(2024)
    repetitions, covered = 300, 0
    for repetition in range(repetitions):
        true_rates = rng.uniform(0.2, 0.7, size=2)
        sizes = rng.integers(350, 450, size=2)
        selected = rng.binomial(sizes, true_rates)
        cells = np.zeros((2, 2, 2), dtype=np.int64)
        cells[:, 0, 1], cells[:, 0, 0] = selected, sizes - selected
        table = CountTable(groups=("a", "b"), cells=cells, has_outcome=False)
        config = MetricConfig(reference_group="a", metrics=("disparate_impact",), n_boot=500, seed=repetition)
        (result,) = audit_attribute(table, "g", config).results
        covered += result.ci_low <= true_rates[1] / true_rates[0] <= result.ci_high
    assert 0.90 <= covered / repetitions <= 0.99
