"""The count table: layout, ordering, validation and merge-by-addition (design.md §2, §4, §9)."""

import numpy as np
import pandas as pd
import pytest

from explainers.metrics import CountTable, count_table


def _rows(seed: int, n: int = 5000) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    group = rng.choice(["g2", "g10", "a", "B"], size=n, p=[0.4, 0.3, 0.2, 0.1])
    return pd.DataFrame({"group": group, "y": rng.random(n) < 0.45, "yhat": rng.random(n) < 0.55})


def test_cells_match_a_pandas_crosstab_of_the_rows():
    rows = _rows(1)
    table = count_table(rows["group"], rows["yhat"].to_numpy(), rows["y"].to_numpy())
    expected = rows.groupby(["group", "y", "yhat"]).size()
    for g, group in enumerate(table.groups):
        for y in (False, True):
            for yhat in (False, True):
                assert table.cells[g, int(y), int(yhat)] == expected.get((group, y, yhat), 0)
    assert table.n == len(rows)
    assert table.has_outcome
    assert table.cells.dtype == np.int64


def test_groups_are_sorted_in_str_order():
    rows = _rows(2)
    table = count_table(rows["group"].tolist(), rows["yhat"].to_numpy(), rows["y"].to_numpy())
    assert table.groups == ("B", "a", "g10", "g2")
    assert table.group_sizes().tolist() == rows["group"].value_counts()[list(table.groups)].tolist()


def test_non_string_labels_become_strings_sorted_as_strings():
    table = count_table(np.array([10, 9, 10, 2]), np.array([True, False, True, True]))
    assert table.groups == ("10", "2", "9")
    assert table.group_sizes().tolist() == [2, 1, 1]


def test_table_without_outcome_keeps_every_count_at_y_index_zero():
    rows = _rows(3)
    table = count_table(rows["group"], rows["yhat"].to_numpy())
    assert not table.has_outcome
    assert table.cells[:, 1, :].sum() == 0
    assert table.cells[:, 0, 1].sum() == rows["yhat"].sum()


def test_merged_chunk_tables_equal_the_table_of_the_whole_data():
    rows = _rows(4)
    whole = count_table(rows["group"], rows["yhat"].to_numpy(), rows["y"].to_numpy())
    # Unequal chunks, the last ones small enough to miss some groups entirely.
    bounds = [0, 2000, 3500, 4990, 4995, 5000]
    chunks = [rows.iloc[a:b] for a, b in zip(bounds[:-1], bounds[1:], strict=True)]
    tables = [count_table(c["group"], c["yhat"].to_numpy(), c["y"].to_numpy()) for c in chunks]
    assert any(len(t.groups) < len(whole.groups) for t in tables)
    merged = tables[0]
    for table in tables[1:]:
        merged = merged.merge(table)
    assert merged == whole
    assert merged.cells.sum() == whole.n


def test_merging_tables_with_different_groups_unites_and_sorts_them():
    left = count_table(["b", "b", "c"], np.array([True, False, True]), np.array([True, True, False]))
    right = count_table(["a", "c"], np.array([False, True]), np.array([False, False]))
    merged = left.merge(right)
    assert merged.groups == ("a", "b", "c")
    assert merged.cells[0].tolist() == [[1, 0], [0, 0]]
    assert merged.cells[1].tolist() == [[0, 0], [1, 1]]
    assert merged.cells[2].tolist() == [[0, 2], [0, 0]]


def test_merging_tables_with_and_without_outcome_is_refused():
    labelled = count_table(["a"], np.array([True]), np.array([True]))
    unlabelled = count_table(["a"], np.array([True]))
    with pytest.raises(ValueError, match="outcome"):
        labelled.merge(unlabelled)


def test_table_round_trips_through_its_json_form():
    rows = _rows(5)
    table = count_table(rows["group"], rows["yhat"].to_numpy(), rows["y"].to_numpy())
    assert CountTable.from_dict(table.to_dict()) == table


def test_table_cells_cannot_be_modified_after_creation():
    table = count_table(["a", "b"], np.array([True, False]), np.array([True, True]))
    with pytest.raises(ValueError):
        table.cells[0, 0, 0] = 5


@pytest.mark.parametrize(
    ("groups", "decision", "message"),
    [
        (["a", None], [True, False], "missing"),
        (["a", "b"], [True], "length"),
        (["a", "b"], ["yes", "no"], "boolean"),
        (["a", "b"], [2, 0], "boolean"),
    ],
)
def test_count_table_rejects_bad_input(groups, decision, message):
    with pytest.raises(ValueError, match=message):
        count_table(groups, np.asarray(decision))


def test_integer_zero_one_decisions_count_like_booleans():
    as_bool = count_table(["a", "a", "b"], np.array([True, False, True]), np.array([False, True, True]))
    as_int = count_table(["a", "a", "b"], np.array([1, 0, 1]), np.array([0, 1, 1]))
    assert as_bool == as_int
