"""In-memory timings at one size: the counting floor, the explainers.metrics engine and the app's counting path."""

from __future__ import annotations

import cProfile
import io
import pstats
import time
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd

from explainers.metrics import MetricConfig, audit_attribute, count_table
from explainers.pipeline.counting import attribute_group_codes
from explainers.pipeline.spec import AttributeSpec
from metricsbench.data import ATTRIBUTE_COLUMNS, INTERSECTION_COLUMN


def best_time(fn, repeats: int):
    """(best wall seconds over ``repeats`` calls, all timings, last return value)."""
    timings, value = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        value = fn()
        timings.append(time.perf_counter() - start)
    return min(timings), timings, value


def floor_counts(columns: list[pd.Series], outcome: np.ndarray, decision: np.ndarray) -> np.ndarray:
    """The least work that yields the count table: factorize, combine codes, one bincount."""
    code, n_cells = None, 1
    for column in columns:
        c, uniques = pd.factorize(column)
        code = c if code is None else code * len(uniques) + c
        n_cells *= len(uniques)
    flat = code * 4  # cell index = group * 4 + y * 2 + yhat, built in place
    np.add(flat, outcome, out=flat, casting="unsafe")
    np.add(flat, outcome, out=flat, casting="unsafe")
    np.add(flat, decision, out=flat, casting="unsafe")
    return np.bincount(flat, minlength=n_cells * 4)


def bench_size(pop: dict, frame: pd.DataFrame, n_boot: int, seed: int, repeats: int) -> dict:
    """Floor and in-memory engine for the three attributes and the intersection at one size."""
    out = {"rows": pop["n"], "attributes": {}}
    y, yhat = pop["outcome"], pop["decision"]
    config = MetricConfig(n_boot=n_boot, seed=seed)
    for attribute, source_columns in ATTRIBUTE_COLUMNS.items():
        sources = [frame[c] for c in source_columns]
        floor_s, floor_all, floor = best_time(partial(floor_counts, sources, y, yhat), repeats)
        engine_column = frame[INTERSECTION_COLUMN if attribute == INTERSECTION_COLUMN else attribute]
        count_s, count_all, table = best_time(partial(count_table, engine_column, yhat, y), repeats)
        audit = partial(audit_attribute, table, attribute=attribute, config=config)
        audit_s, audit_all, result = best_time(audit, repeats)
        # The app's counting path on the same rows: its label cleaning (and, for the intersection, joining the
        # columns' labels into one string per row), object labels, then count_table.
        app_s, app_all, app_table = best_time(
            partial(app_count_table, frame, source_columns, yhat, y), max(1, repeats - 1)
        )
        if sorted(app_table.group_sizes().tolist()) != sorted(table.group_sizes().tolist()):
            raise AssertionError(f"the app's labels and the precomputed column disagree for {attribute}")
        engine_cells = table.cells.reshape(-1)
        if not np.array_equal(np.sort(floor[floor > 0]), np.sort(engine_cells[engine_cells > 0])):
            raise AssertionError(f"floor and engine disagree on the counts of {attribute}")
        total = count_s + audit_s
        out["attributes"][attribute] = {
            "groups": len(table.groups),
            "floor_s": floor_s,
            "engine_count_s": count_s,
            "engine_bootstrap_metrics_s": audit_s,
            "engine_total_s": total,
            "engine_over_floor": total / floor_s,
            "app_count_s": app_s,
            "app_total_s": app_s + audit_s,
            "app_over_floor": (app_s + audit_s) / floor_s,
            "ours_per_replicate_s": audit_s / n_boot,
            "n_results": len(result.results),
            "timings": {"floor": floor_all, "count": count_all, "audit": audit_all, "app_count": app_all},
            "group_sizes": dict(zip(table.groups, table.group_sizes().tolist(), strict=True)),
        }
    return out


def app_count_table(frame: pd.DataFrame, columns, decision: np.ndarray, outcome: np.ndarray):
    """The app's per-chunk counting step (explainers.pipeline.counting) on in-memory rows, without the Parquet read:
    integer codes per column, combined for an intersection, then count_table on a Categorical. No missing values
    in the synthetic data, so the missing policy does not matter.
    """
    spec = AttributeSpec(name="bench", columns=list(columns))
    # The app shares a per-chunk cache of column codes between attributes: a fresh one per call here.
    codes, labels = attribute_group_codes(frame, spec, {})
    return count_table(pd.Categorical.from_codes(codes, categories=labels), decision, outcome)


def app_counting_path() -> str:
    return (
        "integer codes per column (explainers.pipeline.counting.attribute_group_codes) + count_table on a Categorical"
    )


def profile_in_memory(frame: pd.DataFrame, pop: dict, n_boot: int, seed: int, path: Path) -> None:
    """cProfile of count_table + audit_attribute on the intersection, for the 'what is slow' question."""
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(3):
        table = count_table(frame[INTERSECTION_COLUMN], pop["decision"], pop["outcome"])
        audit_attribute(table, attribute="intersection", config=MetricConfig(n_boot=n_boot, seed=seed))
    profiler.disable()
    buffer = io.StringIO()
    pstats.Stats(profiler, stream=buffer).sort_stats("cumulative").print_stats(35)
    buffer.write("\n\n--- by own time ---\n")
    pstats.Stats(profiler, stream=buffer).sort_stats("tottime").print_stats(20)
    path.write_text(buffer.getvalue())
