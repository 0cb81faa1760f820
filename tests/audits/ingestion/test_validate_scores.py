"""validate_audit_columns for continuous outcomes and rank columns: profiles and errors that name the column."""

import pandas as pd
import pytest

from audits.ingestion import AuditColumns, IngestionError, validate_audit_columns

FRAME = pd.DataFrame(
    {"sex": ["f", "m"] * 5, "score": [0.1 * i for i in range(10)], "salary": range(10), "rank": range(1, 11),
     "label": ["a", "b"] * 5}
)  # fmt: skip


def test_a_continuous_outcome_and_a_rank_column_are_profiled_by_their_range():
    columns = AuditColumns(
        outcome_column="salary", outcome_type="continuous", score_column="score", rank_column="rank",
        rank_query_column="label", protected=[("sex", "")],
    )  # fmt: skip

    profile = validate_audit_columns(FRAME, columns)

    assert profile["outcome"] == {"column": "salary", "type": "continuous", "min": 0.0, "max": 9.0, "missing_rows": 0}
    assert (profile["rank"]["min"], profile["rank"]["max"]) == (1.0, 10.0)


@pytest.mark.parametrize(
    ("columns", "field"),
    [
        (AuditColumns(outcome_column="label", outcome_type="continuous", score_column="score"), "outcome_column"),
        (AuditColumns(rank_column="score"), "rank_column"),  # positions start at 1
        (AuditColumns(rank_column="label"), "rank_column"),
        (AuditColumns(rank_column="rank", rank_query_column="nope"), "rank_query_column"),
    ],
)
def test_columns_that_cannot_hold_scores_or_ranks_are_refused_by_name(columns, field):
    columns.protected = [("sex", "")]

    with pytest.raises(IngestionError) as raised:
        validate_audit_columns(FRAME, columns)

    assert raised.value.field == field
