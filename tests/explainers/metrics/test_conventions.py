"""Other tools' conventions (design.md §4): AIF360 signed comparisons and fairlearn edge cases."""

import numpy as np
import pandas as pd
import pytest

from explainers.metrics import CountTable, aif360_convention, count_table, fairlearn_convention


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
