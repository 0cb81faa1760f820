"""Row sample and counterfactual copies of the tabular probe (design.md §5: "all else fixed")."""

import numpy as np
import pandas as pd
import pytest

from explainers.probes.counterfactual import counterfactual_frame, group_values, probe_groups, sample_rows


def test_copies_keep_every_other_column_and_the_protected_dtype():
    frame = pd.DataFrame(
        {
            "code": np.array([0, 1, 1], dtype=np.int64),
            "sex": pd.Categorical(["f", "m", "f"], categories=["f", "m"]),
            "age": [30.5, 41.0, 52.25],
        }
    )
    for column, labels in (("code", ("0", "1")), ("sex", ("f", "m"))):
        stacked = counterfactual_frame(frame, frame[column], column, labels)
        assert len(stacked) == 6
        assert stacked[column].dtype == frame[column].dtype
        assert list(stacked[column].astype(str)) == [labels[0]] * 3 + [labels[1]] * 3
        other = [name for name in frame.columns if name != column]
        pd.testing.assert_frame_equal(stacked[other].iloc[3:].reset_index(drop=True), frame[other])


def test_labels_map_back_to_the_stored_values_or_are_refused():
    assert group_values(pd.Series([2, 7, 2], name="code"), ("7", "2", "5")) == [7, 2, 5]
    assert group_values(pd.Series([1.0, 0.0]), ("1.0",)) == [1.0]
    with pytest.raises(ValueError, match="cannot be stored"):
        group_values(pd.Series([0, 1], name="code"), ("unknown",))
    with pytest.raises(ValueError, match="not a category"):
        group_values(pd.Series(pd.Categorical(["f", "m"]), name="sex"), ("x",))


def test_default_groups_are_the_sorted_distinct_non_missing_values_as_text():
    frame = pd.DataFrame({"race": ["b", None, "a", "b", "c"], "code": [3, 1, 2, 1, 3]})
    assert probe_groups(frame, "race") == ("a", "b", "c")
    assert probe_groups(frame, "code") == ("1", "2", "3")
    assert probe_groups(frame, "race", ["c", "a", "c"]) == ("c", "a")


def test_sample_drops_missing_values_and_is_a_seeded_ascending_subset():
    rng = np.random.default_rng(0)
    sex = rng.choice(["f", "m"], size=5000).astype(object)
    sex[::10] = None
    frame = pd.DataFrame({"sex": sex})
    everything = sample_rows(frame, column="sex")
    np.testing.assert_array_equal(everything, np.flatnonzero(frame["sex"].notna()))
    sample = sample_rows(frame, column="sex", max_rows=1000, seed=4)
    assert sample.size == 1000 and (np.diff(sample) > 0).all()
    assert frame["sex"].iloc[sample].notna().all()
    np.testing.assert_array_equal(sample, sample_rows(frame, column="sex", max_rows=1000, seed=4))
    assert not np.array_equal(sample, sample_rows(frame, column="sex", max_rows=1000, seed=5))


def test_sample_without_any_row_of_the_groups_is_refused():
    frame = pd.DataFrame({"sex": ["f", "m"]})
    with pytest.raises(ValueError, match="no row"):
        sample_rows(frame, column="sex", groups=["x", "y"])
