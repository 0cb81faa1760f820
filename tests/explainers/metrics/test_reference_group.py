"""Reference group choice of design.md §4: declared, else the highest selection rate."""

import numpy as np
import pytest

from explainers.metrics import CountTable, MetricConfig, audit_attribute


def _table(selected: list[int], sizes: list[int], groups: tuple[str, ...] = ("a", "b", "c")) -> CountTable:
    cells = np.zeros((len(groups), 2, 2), dtype=np.int64)
    cells[:, 0, 1] = selected
    cells[:, 0, 0] = np.array(sizes) - np.array(selected)
    return CountTable(groups=groups, cells=cells, has_outcome=False)


def test_declared_reference_is_used_as_given():
    table = _table([100, 300, 200], [400, 400, 400])
    result = audit_attribute(table, "g", MetricConfig(reference_group="a", n_boot=100))
    assert (result.reference_group, result.reference_rule) == ("a", "declared")
    di = {r.group: r.value for r in result.results if r.metric == "disparate_impact"}
    assert di == {"b": pytest.approx(3.0), "c": pytest.approx(2.0)}
    assert {s.group for s in result.groups} == {"a", "b", "c"}  # reference stats are reported too


def test_without_declaration_the_highest_selection_rate_is_reference_so_every_ratio_is_at_most_one():
    table = _table([100, 300, 200], [400, 500, 250])  # SR 0.25, 0.6, 0.8
    result = audit_attribute(table, "g", MetricConfig(n_boot=100))
    assert (result.reference_group, result.reference_rule) == ("c", "highest_selection_rate")
    ratios = [r.value for r in result.results if r.metric == "disparate_impact"]
    assert len(ratios) == 2 and all(value <= 1 for value in ratios)
    assert all(r.reference_group == "c" for r in result.results)


def test_selection_rate_tie_picks_the_first_group_in_sorted_order():
    table = _table([100, 200, 50], [300, 600, 400])  # a and b both 1/3
    assert audit_attribute(table, "g", MetricConfig(n_boot=10)).reference_group == "a"


def test_unknown_declared_reference_raises_naming_the_available_groups():
    table = _table([100, 300, 200], [400, 400, 400])
    with pytest.raises(ValueError, match=r"'z'.*available groups: \['a', 'b', 'c'\]"):
        audit_attribute(table, "g", MetricConfig(reference_group="z"))


def test_single_group_has_no_comparisons():
    table = _table([10], [40], groups=("only",))
    result = audit_attribute(table, "g", MetricConfig(n_boot=10))
    assert result.reference_group == "only" and result.results == ()


def test_highest_selection_rate_reference_ignores_groups_below_the_minimum_size():
    from explainers.metrics import MetricConfig, audit_attribute, count_table

    groups = ["tiny"] * 5 + ["big_a"] * 200 + ["big_b"] * 200
    decision = [True] * 5 + [True] * 120 + [False] * 80 + [True] * 100 + [False] * 100
    table = count_table(groups, decision)

    result = audit_attribute(table, attribute="g", config=MetricConfig(n_boot=100, min_group_size=30))

    assert (result.reference_group, result.reference_rule) == ("big_a", "highest_selection_rate")
    tiny_only = count_table(["t1"] * 5 + ["t2"] * 5, [True] * 5 + [False] * 5)
    assert audit_attribute(tiny_only, attribute="g", config=MetricConfig(n_boot=100)).reference_group == "t1"
