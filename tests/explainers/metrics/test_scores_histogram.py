"""The score histogram: binning, validation, and merge-by-addition of chunk histograms (design.md §4, §9)."""

import json

import numpy as np
import pandas as pd
import pytest

from explainers.metrics.scores import ScoreHistogram, score_histogram


def _rows(seed: int, n: int = 6000) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    group = rng.choice(["g2", "g10", "a", "B"], size=n, p=[0.4, 0.3, 0.2, 0.1])
    y = rng.random(n) < 0.45
    score = np.clip(rng.normal(np.where(y, 0.6, 0.4), 0.2), 0, 1)
    return pd.DataFrame({"group": group, "y": y, "score": score})


def test_counts_match_a_pandas_groupby_of_the_binned_rows():
    rows = _rows(1)
    hist = score_histogram(rows["group"], rows["score"], rows["y"], n_bins=50)
    bins = np.minimum((rows["score"] * 50).astype(int), 49)
    expected = rows.assign(bin=bins).groupby(["group", "y", "bin"]).size()
    assert hist.groups == ("B", "a", "g10", "g2")
    assert hist.counts.shape == (4, 2, 50)
    for g, group in enumerate(hist.groups):
        for y in (False, True):
            for b in range(50):
                assert hist.counts[g, int(y), b] == expected.get((group, y, b), 0)
    assert hist.n == len(rows)
    assert hist.counts.dtype == np.int64


def test_merged_chunk_histograms_equal_the_histogram_of_the_whole_data():
    rows = _rows(2)
    whole = score_histogram(rows["group"], rows["score"], rows["y"])
    # Unequal chunks, the last ones small enough to miss some groups entirely.
    bounds = [0, 2500, 4000, 5990, 5995, 6000]
    chunks = [rows.iloc[a:b] for a, b in zip(bounds[:-1], bounds[1:], strict=True)]
    hists = [score_histogram(c["group"], c["score"], c["y"]) for c in chunks]
    assert any(len(h.groups) < len(whole.groups) for h in hists)
    merged = hists[0]
    for hist in hists[1:]:
        merged = merged.merge(hist)
    assert merged == whole
    assert merged.groups == whole.groups
    np.testing.assert_array_equal(merged.counts, whole.counts)


def test_merge_refuses_histograms_with_different_edges():
    rows = _rows(3, n=100)
    fine = score_histogram(rows["group"], rows["score"], rows["y"], n_bins=100)
    coarse = score_histogram(rows["group"], rows["score"], rows["y"], n_bins=10)
    with pytest.raises(ValueError, match="different bin edges"):
        fine.merge(coarse)


@pytest.mark.parametrize(("n_bins", "lo", "hi"), [(100, 0.0, 1.0), (1000, -1.0, 1.0), (800, 0.1, 0.9)])
def test_bins_agree_with_comparisons_against_the_edges(n_bins, lo, hi):
    # A naive floor((s - lo) * n / (hi - lo)) puts some edges one bin low (on [0, 1] with 100 bins: 0.29, 0.57,
    # 0.58) and the float just below an edge one bin high; either would break "score >= threshold" on edges.
    edges = lo + (hi - lo) * (np.arange(n_bins + 1) / n_bins)
    if (lo, hi) == (0.0, 1.0):
        assert (edges == np.arange(n_bins + 1) / 100).all()  # the edges are the decimal values users write
    just_below = np.nextafter(edges[1:], -np.inf)
    scores = np.concatenate([edges, just_below])
    outcome = np.concatenate([np.ones(n_bins + 1, dtype=bool), np.zeros(n_bins, dtype=bool)])
    hist = score_histogram(np.zeros(len(scores), dtype=int), scores, outcome, n_bins=n_bins, lo=lo, hi=hi)
    np.testing.assert_array_equal(hist.edges, edges)
    on_edge = np.ones(n_bins, dtype=np.int64)
    on_edge[-1] = 2  # hi itself sits in the last, closed bin
    np.testing.assert_array_equal(hist.counts[0, 1], on_edge)
    np.testing.assert_array_equal(hist.counts[0, 0], np.ones(n_bins, dtype=np.int64))  # each in the bin below


def test_scores_outside_the_range_are_clipped_and_counted():
    hist = score_histogram(["a"] * 4, [-0.5, 0.2, 1.0, np.inf], [True, False, True, False], n_bins=10)
    assert hist.n_clipped == 2
    assert hist.counts[0, 1, 0] == 1  # -0.5 -> first bin
    assert hist.counts[0, 0, 9] == 1  # inf -> last bin
    assert hist.counts[0, 1, 9] == 1  # hi itself sits in the last, closed bin
    assert hist.n == 4


@pytest.mark.parametrize(
    "scores",
    [np.array([0.1, np.nan, 0.3]), pd.Series([0.1, None, 0.3], dtype="Float64")],
    ids=["numpy-nan", "pandas-na"],
)
def test_nan_scores_raise(scores):
    with pytest.raises(ValueError, match="NaN"):
        score_histogram(["a", "b", "a"], scores, [True, False, True])


def test_bad_inputs_raise():
    with pytest.raises(ValueError, match="same length"):
        score_histogram(["a", "b"], [0.1], [True, False])
    with pytest.raises(ValueError, match="boolean"):
        score_histogram(["a", "b"], [0.1, 0.2], [2, 0])
    with pytest.raises(ValueError, match="lo < hi"):
        score_histogram(["a"], [0.1], [True], lo=1.0, hi=0.0)
    with pytest.raises(ValueError, match="missing"):
        score_histogram(pd.Series(["a", None]), [0.1, 0.2], [True, False])


def test_histogram_is_frozen_and_round_trips_through_json():
    rows = _rows(4, n=500)
    hist = score_histogram(rows["group"], rows["score"], rows["y"], n_bins=20)
    with pytest.raises(ValueError):
        hist.counts[0, 0, 0] = 7
    assert ScoreHistogram.from_dict(json.loads(json.dumps(hist.to_dict()))) == hist
