"""Row bootstrap and signed-rank test shared by the probes (design.md §5)."""

import numpy as np
import pytest
from scipy import stats

from explainers.metrics.bootstrap import percentile_interval
from explainers.probes.paired import bootstrap_sums, wilcoxon_p


def test_bootstrap_sums_are_seeded_and_shaped_per_replicate_and_column():
    values = np.random.default_rng(0).random((300, 3))
    first = bootstrap_sums(values, 50, np.random.default_rng(9))
    assert first.shape == (50, 3)
    np.testing.assert_array_equal(first, bootstrap_sums(values, 50, np.random.default_rng(9)))
    assert not np.array_equal(first, bootstrap_sums(values, 50, np.random.default_rng(10)))


def test_a_column_of_ones_sums_to_n_in_every_replicate():
    sums = bootstrap_sums(np.ones(250), 40, np.random.default_rng(1))
    np.testing.assert_array_equal(sums[:, 0], 250.0)


def test_bootstrap_mean_has_the_sampling_distribution_of_a_row_resample():
    rng = np.random.default_rng(2)
    flips = rng.random(2000) < 0.3
    means = bootstrap_sums(flips, 4000, np.random.default_rng(3))[:, 0] / flips.size
    assert means.mean() == pytest.approx(flips.mean(), abs=0.002)
    assert means.std() == pytest.approx(np.sqrt(flips.mean() * (1 - flips.mean()) / flips.size), rel=0.06)


def test_interval_matches_an_explicit_index_resampling_bootstrap():
    values = np.random.default_rng(4).exponential(size=400)
    ours = percentile_interval(bootstrap_sums(values, 3000, np.random.default_rng(5))[:, 0] / values.size, 0.05)
    rng = np.random.default_rng(6)
    explicit = [values[rng.integers(0, values.size, values.size)].mean() for _ in range(3000)]
    reference = np.percentile(explicit, [2.5, 97.5])
    assert float(ours[0]) == pytest.approx(reference[0], abs=0.015)
    assert float(ours[1]) == pytest.approx(reference[1], abs=0.015)


def test_many_replicates_over_many_rows_are_chunked_without_changing_the_totals():
    sums = bootstrap_sums(np.ones((30_000, 2)), 300, np.random.default_rng(7))  # several chunks of replicates
    np.testing.assert_array_equal(sums, 30_000.0)


def test_wilcoxon_is_none_for_few_pairs_or_all_zero_deltas():
    assert wilcoxon_p(np.full(9, 0.2)) is None
    assert wilcoxon_p(np.zeros(500)) is None


def test_wilcoxon_matches_scipy_and_detects_a_shift():
    deltas = np.random.default_rng(8).normal(0.05, 0.2, size=300)
    assert wilcoxon_p(deltas) == pytest.approx(stats.wilcoxon(deltas).pvalue)
    assert wilcoxon_p(deltas + 0.3) < 1e-20
