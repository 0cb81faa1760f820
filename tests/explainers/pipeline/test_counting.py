"""explainers.pipeline: counting row groups, merging the chunks, and the in-process path (no database)."""

import numpy as np
import pandas as pd
import pytest

from explainers.metrics import count_table
from explainers.pipeline.counting import ChunkCounts, count_row_groups, merge_chunks, row_group_chunks, slice_key
from explainers.pipeline.local import compute_group_metrics, count_chunks
from explainers.pipeline.spec import (
    MISSING_AS_GROUP,
    MISSING_DROP_ROWS,
    MISSING_GROUP_LABEL,
    AttributeSpec,
    EngineInput,
)


def _frame(n: int = 400, seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    sex = rng.choice(["female", "male"], n).astype(object)
    sex[::37] = None  # a few missing protected values
    return pd.DataFrame(
        {
            "sex": sex,
            "band": rng.choice(["young", "old"], n),
            "income": rng.normal(50, 10, n),
            "decision": rng.choice(["approve", "deny"], n),
            "outcome": rng.integers(0, 2, n),
        }
    )


def _spec(path, **overrides) -> EngineInput:
    fields = {
        "parquet_path": str(path),
        "decision_column": "decision",
        "decision_favourable": ["approve"],
        "outcome_column": "outcome",
        "outcome_favourable": ["1"],
        "attributes": [AttributeSpec("sex", ["sex"]), AttributeSpec("sex × band", ["sex", "band"])],
        "missing_policy": MISSING_DROP_ROWS,
        "metrics": ["disparate_impact"],
        "n_boot": 200,
        "seed": 7,
        "alpha": 0.05,
        "min_group_size": 10,
        "min_denominator": 5,
    }
    return EngineInput(**{**fields, **overrides})


@pytest.fixture
def parquet(tmp_path):
    path = tmp_path / "rows.parquet"
    _frame().to_parquet(path, index=False, row_group_size=50)  # 8 row groups
    return path


class ThresholdRunner:
    """A stand-in for a loaded model: approves incomes above 50, reads only the income column."""

    feature_columns = ("income",)

    def __init__(self):
        self.seen_columns = []

    def predict(self, frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        self.seen_columns.append(sorted(frame.columns))
        score = 1 / (1 + np.exp(-(frame["income"].to_numpy() - 50)))
        return score > 0.5, score


def test_chunks_counted_apart_and_merged_equal_one_count_of_all_rows(parquet):
    spec = _spec(parquet)
    chunks = row_group_chunks(str(parquet), chunk_row_groups=3)
    assert chunks == [[0, 1, 2], [3, 4, 5], [6, 7]]
    merged = merge_chunks([ChunkCounts.from_dict(count_row_groups(spec, c).to_dict()) for c in chunks])
    whole = count_row_groups(spec, list(range(8)))
    assert merged.tables.keys() == whole.tables.keys()
    assert all(merged.tables[k] == whole.tables[k] for k in whole.tables)
    assert (merged.rows, merged.dropped, merged.missing) == (400, 0, {"sex": 11, "sex × band": 11})
    assert count_chunks(spec, chunks).tables[slice_key("sex", "")] == whole.tables[slice_key("sex", "")]


def test_missing_values_form_their_own_group_under_the_as_group_policy(parquet):
    frame = pd.read_parquet(parquet)
    counts = count_row_groups(_spec(parquet, missing_policy=MISSING_AS_GROUP), list(range(8)))
    table = counts.tables[slice_key("sex", "")]
    assert MISSING_GROUP_LABEL in table.groups and counts.missing["sex"] == 0
    sizes = dict(zip(table.groups, table.group_sizes().tolist(), strict=True))
    assert sizes == {**frame["sex"].value_counts().to_dict(), MISSING_GROUP_LABEL: 11}


def test_a_spec_with_a_model_needs_its_runner(parquet):
    spec = _spec(parquet, model_path="model.skops", model_kind="skops_pipeline")
    with pytest.raises(ValueError, match="pass its loaded runner"):
        count_row_groups(spec, [0])


def test_the_runner_makes_the_decisions_and_its_scores_feed_the_score_analysis(parquet):
    frame = pd.read_parquet(parquet)
    runner = ThresholdRunner()
    spec = _spec(parquet, model_path="model.skops", model_kind="skops_pipeline", decision_column="")
    counts = count_row_groups(spec, list(range(8)), runner=runner)
    keep = frame["sex"].notna()
    expected = count_table(frame["sex"][keep], (frame["income"] > 50)[keep], (frame["outcome"] == 1)[keep])
    assert counts.tables[slice_key("sex", "")] == expected
    assert runner.seen_columns == [["band", "income", "outcome", "sex"]]  # the model's features, not "decision"
    assert set(counts.histograms) == {"sex", "sex × band"}


def test_the_in_process_path_counts_every_row_group_and_computes(parquet):
    output = compute_group_metrics(_spec(parquet), runner=None)
    assert output.rows_total == 400 and output.rows_missing_attribute == {"sex": 11, "sex × band": 11}
    assert [s.spec.name for s in output.slices] == ["sex", "sex × band"]
    assert output.attributes[1].reference_group.count(" × ") == 1
