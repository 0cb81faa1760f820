"""Scoring rates (NYC LL144): the exact median of the full sample over every row group, per-group counts above it."""

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from explainers.pipeline.score_rates import score_rates
from explainers.pipeline.spec import MISSING_AS_GROUP, AttributeSpec, EngineInput


def _spec(path, **changes) -> EngineInput:
    fields = dict(
        parquet_path=str(path),
        decision_column="decision",
        decision_favourable=["yes"],
        outcome_column="",
        outcome_favourable=[],
        attributes=[AttributeSpec("sex", ["sex"]), AttributeSpec("sex × race", ["sex", "race"])],
        missing_policy="drop_rows",
        metrics=["disparate_impact"],
        n_boot=10,
        seed=1,
        alpha=0.05,
        min_group_size=1,
        min_denominator=1,
        score_column="score",
    )
    return EngineInput(**{**fields, **changes})


@pytest.fixture
def frame_path(tmp_path):
    rng = np.random.default_rng(5)
    n = 1001
    frame = pd.DataFrame(
        {
            "sex": rng.choice(["f", "m", None], size=n, p=[0.45, 0.5, 0.05]),
            "race": rng.choice(["a", "b"], size=n),
            "decision": rng.choice(["yes", "no", None], size=n, p=[0.5, 0.45, 0.05]),
            "score": np.round(rng.random(n) * 10, 1),  # many ties, so "strictly above" matters
        }
    )
    frame.loc[rng.choice(n, 20, replace=False), "score"] = np.nan
    path = tmp_path / "data.parquet"
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), path, row_group_size=97)  # 11 row groups
    return frame, path


def _expected(frame, above):
    kept = frame[frame["decision"].notna() & frame["score"].notna()]
    median = kept["score"].median()
    sex = kept[kept["sex"].notna()]
    counts = {g: (len(s), int(above(s["score"], median).sum())) for g, s in sex.groupby("sex")}
    return median, len(kept), counts, int(kept["sex"].isna().sum())


def test_the_median_and_counts_equal_pandas_over_many_row_groups(frame_path):
    frame, path = frame_path
    median, rows, counts, unknown = _expected(frame, lambda s, m: s > m)

    result = score_rates(_spec(path))

    assert pq.ParquetFile(path).metadata.num_row_groups == 11
    assert result["median"] == median and result["rows"] == rows
    sex = result["by_attribute"]["sex"]
    assert {g["group"]: (g["n"], g["n_above_median"]) for g in sex["groups"]} == counts
    assert sex["unknown"] == unknown
    both = result["by_attribute"]["sex × race"]
    assert sum(g["n"] for g in both["groups"]) == sum(n for n, _ in counts.values())


def test_lower_scores_favourable_count_the_rows_below_the_median(frame_path):
    frame, path = frame_path
    _, _, counts, _ = _expected(frame, lambda s, m: s < m)

    result = score_rates(_spec(path, score_higher_is_favourable=False))

    assert {g["group"]: (g["n"], g["n_above_median"]) for g in result["by_attribute"]["sex"]["groups"]} == counts


def test_missing_values_kept_as_a_group_and_plans_without_scores(frame_path):
    frame, path = frame_path

    result = score_rates(_spec(path, missing_policy=MISSING_AS_GROUP))

    groups = {g["group"]: g["n"] for g in result["by_attribute"]["sex"]["groups"]}
    assert "(missing)" in groups and result["by_attribute"]["sex"]["unknown"] == 0
    assert score_rates(_spec(path, score_column="")) is None
