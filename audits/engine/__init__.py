"""From a stored dataset to group-metric results: count chunks of rows, merge the counts, compute.

Count first (design.md section 9): a chunk of Parquet row groups becomes count tables (and score
histograms) that merge by addition, so memory is bounded by a chunk and chunks can run on many
Celery workers (a chord) or one after another in one process: the results are identical.
"""

from .counting import ChunkCounts, count_row_groups, merge_chunks, row_group_chunks
from .finish import EngineOutput, finish
from .spec import AttributeSpec, EngineInput, compute_group_metrics, count_chunks

__all__ = [
    "AttributeSpec",
    "ChunkCounts",
    "EngineInput",
    "EngineOutput",
    "compute_group_metrics",
    "count_chunks",
    "count_row_groups",
    "finish",
    "merge_chunks",
    "row_group_chunks",
]
