"""The in-process path: count every chunk one after another in this process, merge, then compute.

The same results as counting chunks on many workers and merging there (counts merge by addition).
"""

from collections.abc import Callable

from .counting import ChunkCounts, DecisionRunner, count_row_groups, row_group_chunks
from .finish import EngineOutput, finish
from .spec import EngineInput

Progress = Callable[[float, str], None]


def count_chunks(
    spec: EngineInput,
    chunks: list[list[int]],
    progress: Progress | None = None,
    *,
    runner: DecisionRunner | None = None,
) -> ChunkCounts:
    """Count chunks of row groups one after another in this process and merge them."""
    merged = None
    for index, row_groups in enumerate(chunks):
        counts = count_row_groups(spec, row_groups, runner=runner)
        merged = counts if merged is None else merged.merge(counts)
        if progress:
            progress(0.6 * (index + 1) / len(chunks), "counting")
    return merged


def compute_group_metrics(
    spec: EngineInput, progress: Progress | None = None, *, runner: DecisionRunner | None = None
) -> EngineOutput:
    """Count every row group in this process, then compute (the in-process path of the chord)."""
    counts = count_chunks(spec, row_group_chunks(spec.parquet_path, chunk_row_groups=1), progress, runner=runner)
    return finish(spec, counts, progress=progress)
