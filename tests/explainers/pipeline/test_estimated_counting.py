"""The engine path of an estimated attribute: chunked soft counts equal the whole-file estimate, end to end."""

import json

import numpy as np
import pandas as pd
import pytest

from explainers.estimated import LEVELS, RACE_LABELS, audit_estimated_attribute, estimate_race, soft_patterns
from explainers.metrics import MetricConfig
from explainers.pipeline.counting import ChunkCounts, count_row_groups, merge_chunks, row_group_chunks, slice_key
from explainers.pipeline.finish import ESTIMATED_LABEL, finish
from explainers.pipeline.spec import MISSING_DROP_ROWS, AttributeSpec, EngineInput, EstimatedSpec
from tests.explainers.estimated.population import population


@pytest.fixture(scope="module")
def people() -> pd.DataFrame:
    frame = population(3_000, seed=4)
    frame["sex"] = np.random.default_rng(0).choice(["female", "male"], len(frame))
    frame.loc[::97, "surname"] = None  # some names were never captured: they fall back to priors
    frame["decision"] = np.where(frame["approved"], "approve", "deny")
    return frame.drop(columns=["race"])  # the protected attribute was never recorded


def _spec(path, estimated) -> EngineInput:
    return EngineInput(
        parquet_path=str(path), decision_column="decision", decision_favourable=["approve"],
        outcome_column="repaid", outcome_favourable=["True"], attributes=[AttributeSpec("sex", ["sex"])],
        missing_policy=MISSING_DROP_ROWS, metrics=["disparate_impact", "equal_opportunity_difference"], n_boot=200,
        seed=7, alpha=0.05, min_group_size=30, min_denominator=10, estimated=estimated,
    )  # fmt: skip


def test_chunked_soft_counts_equal_the_estimate_of_the_whole_file(tmp_path, people):
    path = tmp_path / "people.parquet"
    people.to_parquet(path, index=False, row_group_size=500)
    race = EstimatedSpec("race (estimated)", "race", surname_column="surname", zip_column="zip",
                         reference_group="White")  # fmt: skip
    spec = _spec(path, [race])
    chunks = [count_row_groups(spec, groups) for groups in row_group_chunks(str(path))]
    assert len(chunks) == 6
    # Through JSON, as between Celery workers.
    counts = merge_chunks([ChunkCounts.from_dict(json.loads(json.dumps(c.to_dict()))) for c in chunks])
    merged = counts.soft[slice_key("race (estimated)", "")]

    whole = estimate_race(people["surname"], zips=people["zip"])
    expected = soft_patterns(RACE_LABELS, whole.probabilities, people["approved"], people["repaid"], whole.level, 5)
    np.testing.assert_allclose(merged.table(), expected.table(), rtol=1e-10)
    assert merged.levels == expected.levels and merged.levels[LEVELS.index("geography")] > 0

    output = finish(spec, counts)
    estimated = next(s for s in output.slices if s.estimated is not None)
    config = MetricConfig(reference_group="White", metrics=tuple(spec.metrics), n_boot=200, seed=estimated.result.seed)
    direct = audit_estimated_attribute(expected, "race (estimated)", config)
    assert [r.group for r in estimated.result.results] == [r.group for r in direct.results]
    assert [r.value for r in estimated.result.results] == pytest.approx([r.value for r in direct.results])
    assert [r.ci_low for r in estimated.result.results] == pytest.approx([r.ci_low for r in direct.results])
    assert len(estimated.p_holm) == len(estimated.result.results)  # in the audit's Holm family
    (summary,) = output.estimated
    assert summary["label"] == ESTIMATED_LABEL and summary["method"] == "BISG"
    assert summary["surname_coverage"] == pytest.approx(1 - people["surname"].isna().mean(), abs=1e-9)
    assert summary["fallback_share"] > 0 and summary["rows"] == len(people)
    assert output.rows_missing_attribute["race (estimated)"] == 0
