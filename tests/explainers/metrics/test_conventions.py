"""Other tools' conventions (design.md §4): AIF360, Aequitas, fairlearn, and the side-by-side warnings."""

import json

import numpy as np
import pandas as pd
import pytest

from explainers.metrics import (
    CountTable,
    aequitas_convention,
    aif360_convention,
    conventions_side_by_side,
    count_table,
    fairlearn_convention,
)


def _rows() -> pd.DataFrame:
    rng = np.random.default_rng(9)
    group = rng.choice(["p1", "p2", "u"], size=3000, p=[0.3, 0.3, 0.4])
    y = rng.random(3000) < 0.5
    yhat = rng.random(3000) < np.where(group == "u", 0.35, 0.55) + np.where(y, 0.15, -0.15)
    return pd.DataFrame({"group": group, "y": y, "yhat": yhat})


def test_aif360_convention_pools_several_privileged_groups():
    rows = _rows()
    table = count_table(rows["group"], rows["yhat"].to_numpy(), rows["y"].to_numpy())
    got = aif360_convention(table, privileged=["p1", "p2"], unprivileged="u")
    privileged, unprivileged = rows[rows["group"] != "u"], rows[rows["group"] == "u"]
    sr_p, sr_u = privileged["yhat"].mean(), unprivileged["yhat"].mean()
    tpr_p, tpr_u = privileged[privileged["y"]]["yhat"].mean(), unprivileged[unprivileged["y"]]["yhat"].mean()
    assert got["disparate_impact"] == pytest.approx(sr_u / sr_p, abs=1e-12)
    assert got["statistical_parity_difference"] == pytest.approx(sr_u - sr_p, abs=1e-12)
    assert got["equal_opportunity_difference"] == pytest.approx(tpr_u - tpr_p, abs=1e-12)
    assert got["statistical_parity_difference"] < 0  # signed, unlike fairlearn's max - min


def test_aif360_convention_rejects_unknown_or_overlapping_groups():
    table = count_table(["a", "b"], np.array([True, False]))
    with pytest.raises(ValueError, match="available groups"):
        aif360_convention(table, privileged="a", unprivileged="nope")
    with pytest.raises(ValueError, match="both"):
        aif360_convention(table, privileged=["a", "b"], unprivileged="b")


def test_conventions_without_outcome_leave_label_based_values_empty():
    table = count_table(["a", "a", "b", "b"], np.array([True, False, True, True]))
    fairlearn = fairlearn_convention(table)
    assert fairlearn["demographic_parity_ratio"] == 0.5
    assert fairlearn["demographic_parity_difference"] == 0.5
    assert fairlearn["equal_opportunity_difference"] is None and fairlearn["equalized_odds_ratio"] is None
    assert aif360_convention(table, "b", "a")["equal_opportunity_difference"] is None


def test_fairlearn_ratio_is_none_when_nobody_is_selected():
    cells = np.array([[[10, 0], [0, 0]], [[20, 0], [0, 0]]])
    fairlearn = fairlearn_convention(CountTable(groups=("a", "b"), cells=cells, has_outcome=False))
    assert fairlearn["demographic_parity_ratio"] is None
    assert fairlearn["demographic_parity_difference"] == 0.0


def _labelled(**groups: tuple[int, int, int, int]) -> CountTable:
    """Labelled table from group=(tp, fp, tn, fn)."""
    names = tuple(sorted(groups))
    cells = np.array([[[groups[g][2], groups[g][1]], [groups[g][3], groups[g][0]]] for g in names])
    return CountTable(groups=names, cells=cells, has_outcome=True)


def _selection(**groups: tuple[int, int]) -> CountTable:
    """Unlabelled table from group=(selected, n)."""
    names = tuple(sorted(groups))
    cells = np.array([[[groups[g][1] - groups[g][0], groups[g][0]], [0, 0]] for g in names])
    return CountTable(groups=names, cells=cells, has_outcome=False)


# a: n 50, SR 0.4, TPR 15/20; b: n 100 (majority), SR 0.6, TPR 40/50; c: n 30, SR 0.3, TPR 6/15.
SMALL = {"a": (15, 5, 25, 5), "b": (40, 20, 30, 10), "c": (6, 3, 12, 9)}


def test_aequitas_convention_divides_by_the_majority_group_by_default():
    got = aequitas_convention(_labelled(**SMALL))
    assert (got["reference_group"], got["reference_rule"], got["band"]) == ("b", "majority", [0.8, 1.25])
    assert got["groups"]["a"] == {"pprev_disparity": pytest.approx(0.4 / 0.6), "tpr_disparity": pytest.approx(0.9375)}
    assert got["groups"]["b"] == {"pprev_disparity": 1.0, "tpr_disparity": 1.0}
    assert got["groups"]["c"] == {"pprev_disparity": pytest.approx(0.5), "tpr_disparity": pytest.approx(0.5)}


def test_aequitas_convention_uses_a_declared_reference_and_leaves_tpr_empty_without_labels():
    got = aequitas_convention(_labelled(**SMALL), reference_group="a")
    assert (got["reference_group"], got["reference_rule"]) == ("a", "declared")
    assert got["groups"]["b"]["pprev_disparity"] == pytest.approx(1.5)
    unlabelled = aequitas_convention(_selection(x=(0, 40), y=(10, 40)))
    assert unlabelled["reference_group"] == "x"  # size tie: first in sorted order
    assert unlabelled["groups"]["y"] == {"pprev_disparity": None, "tpr_disparity": None}  # SR_ref = 0
    with pytest.raises(ValueError, match="available groups"):
        aequitas_convention(_labelled(**SMALL), reference_group="z")


def test_side_by_side_gives_hand_computed_values_in_plain_json_types():
    got = conventions_side_by_side(_labelled(**SMALL), reference_group="b")
    assert got["aif360"]["privileged"] == "b"
    assert set(got["aif360"]["groups"]) == {"a", "c"}
    assert got["aif360"]["groups"]["a"] == {
        "disparate_impact": pytest.approx(0.4 / 0.6),
        "statistical_parity_difference": pytest.approx(-0.2),
        "equal_opportunity_difference": pytest.approx(-0.05),
    }
    assert got["aif360"]["groups"]["c"] == {
        "disparate_impact": pytest.approx(0.5),
        "statistical_parity_difference": pytest.approx(-0.3),
        "equal_opportunity_difference": pytest.approx(-0.4),
    }
    assert got["aequitas"] == aequitas_convention(_labelled(**SMALL))
    assert got["fairlearn"]["demographic_parity_ratio"] == pytest.approx(0.5)
    assert got["fairlearn"]["equal_opportunity_difference"] == pytest.approx(0.4)
    # Every convention fails a and c against b, and fairlearn's 0.5 fails too: nothing to reconcile.
    assert got["warnings"] == []
    assert json.loads(json.dumps(got)) == got
    _assert_plain(got)


def _assert_plain(value: object) -> None:
    if isinstance(value, dict):
        assert all(type(key) is str for key in value)
        for item in value.values():
            _assert_plain(item)
    elif isinstance(value, list):
        for item in value:
            _assert_plain(item)
    else:
        assert value is None or type(value) in (str, float, int, bool), (value, type(value))


def test_side_by_side_warns_when_the_majority_reference_changes_a_verdict():
    # Highest SR: Caucasian 0.60 (our reference); majority: African-American (n 600, SR 0.45); Hispanic SR 0.40.
    table = _selection(**{"Caucasian": (120, 200), "African-American": (270, 600), "Hispanic": (40, 100)})
    got = conventions_side_by_side(table, reference_group="Caucasian")
    assert got["warnings"] == [
        "disparate impact of 'Hispanic': 0.67 against 'Caucasian' (below 0.8) but 0.89 against the majority "
        "group 'African-American' in the Aequitas convention (passes 0.8..1.25)"
    ]


def test_side_by_side_warns_about_aif360_privileged_group_and_fairlearn_summary():
    # r: SR 0.50 (majority, our reference); lo 0.42 (DI 0.84) and hi 0.60 (DI 1.2) both pass against r,
    # but fairlearn's min / max = 0.7 fails, and so does lo against hi as AIF360 privileged group.
    table = _selection(r=(250, 500), lo=(42, 100), hi=(60, 100))
    assert conventions_side_by_side(table, reference_group="r")["warnings"] == [
        "fairlearn demographic_parity_ratio (lowest / highest selection rate): 0.70 (below 0.8) but every "
        "disparate impact against 'r' passes 0.8..1.25"
    ]
    got = conventions_side_by_side(table, reference_group="r", privileged="hi")
    assert got["aif360"]["privileged"] == "hi" and set(got["aif360"]["groups"]) == {"lo", "r"}
    assert got["warnings"][0] == (
        "disparate impact of 'lo': 0.84 against 'r' (passes 0.8..1.25) but 0.70 against the privileged group 'hi' "
        "in the AIF360 convention (below 0.8)"
    )
    assert len(got["warnings"]) == 2


def test_side_by_side_has_no_warnings_when_every_convention_agrees():
    # Our reference (highest SR) is not the majority, but every ratio in every convention passes.
    table = _selection(big=(480, 1000), mid=(150, 300), top=(104, 200))
    got = conventions_side_by_side(table, reference_group="top", privileged="mid")
    assert got["aequitas"]["reference_group"] == "big" and got["aif360"]["privileged"] == "mid"
    assert got["warnings"] == []


def test_side_by_side_shows_more_decimals_where_two_would_hide_the_verdict():
    # lo / r = 0.7996: "0.80" next to "below 0.8" would contradict itself.
    table = _selection(r=(5000, 10000), lo=(3998, 10000), m=(9000, 20000))
    (warning,) = conventions_side_by_side(table, reference_group="r")["warnings"]
    assert warning.startswith("disparate impact of 'lo': 0.7996 against 'r' (below 0.8) but 0.89 against")


def test_side_by_side_rejects_unknown_groups():
    with pytest.raises(ValueError, match="available groups"):
        conventions_side_by_side(_labelled(**SMALL), reference_group="z")
    with pytest.raises(ValueError, match="available groups"):
        conventions_side_by_side(_labelled(**SMALL), reference_group="a", privileged="z")
