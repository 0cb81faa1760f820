"""The app's streaming engine (explainers.pipeline.local.compute_group_metrics) over a Parquet file, in a
fresh child process.

The parent writes the file and re-invokes the entry script ``bench/metrics_bench.py --_parquet-child FILE``;
the child runs ``parquet_child`` and prints its result as one JSON line.
"""

from __future__ import annotations

import cProfile
import io
import json
import pstats
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from explainers.metrics.definitions import METRIC_DEFINITIONS
from explainers.pipeline.local import compute_group_metrics
from explainers.pipeline.spec import INTERSECTION_SEPARATOR, MISSING_DROP_ROWS, AttributeSpec, EngineInput
from metricsbench import ENTRY_SCRIPT, REPO_ROOT
from metricsbench.data import ATTRIBUTE_COLUMNS, INTERSECTION_COLUMN, SEPARATOR, protected_arrow
from metricsbench.system import peak_rss_bytes

DECISION_VALUES = ("deny", "approve")  # index = bool decision; "approve" is favourable
OUTCOME_FAVOURABLE = "1"


def write_parquet(pop: dict, path: Path, row_group_rows: int) -> None:
    """Protected columns as strings, decision as "approve"/"deny", outcome as 0/1 integers, like an upload."""
    columns = protected_arrow(pop)
    columns["decision"] = pa.array(list(DECISION_VALUES)).take(pa.array(pop["decision"].astype(np.int8)))
    columns["outcome"] = pa.array(pop["outcome"].astype(np.int8))
    pq.write_table(pa.table(columns), path, row_group_size=row_group_rows)


def parquet_child(path: str, n_boot: int, seed: int, profile_path: str | None) -> dict:
    """Runs in the fresh child process: audit the file with the app's engine, report time and VmHWM."""
    baseline_rss = peak_rss_bytes()
    attributes = [AttributeSpec(name=a, columns=[a]) for a in ("sex", "race", "age_band")]
    # The intersection: the engine's own multi-column attribute over the three columns.
    attributes.append(AttributeSpec(name=INTERSECTION_COLUMN, columns=list(ATTRIBUTE_COLUMNS[INTERSECTION_COLUMN])))
    spec = EngineInput(
        parquet_path=path,
        decision_column="decision",
        decision_favourable=["approve"],
        outcome_column="outcome",
        outcome_favourable=[OUTCOME_FAVOURABLE],
        attributes=attributes,
        missing_policy=MISSING_DROP_ROWS,
        metrics=list(METRIC_DEFINITIONS),
        n_boot=n_boot,
        seed=seed,
        alpha=0.05,
        min_group_size=30,
        min_denominator=10,
    )
    marks = {}

    def progress(fraction: float, message: str) -> None:
        if message == "counting":  # the last counting report ends the counting pass
            marks["counting_done"] = time.perf_counter()

    profiler = cProfile.Profile() if profile_path else None
    start = time.perf_counter()
    if profiler:
        profiler.enable()
    output = compute_group_metrics(spec, progress=progress)
    if profiler:
        profiler.disable()
    wall = time.perf_counter() - start
    if profiler:
        buffer = io.StringIO()
        pstats.Stats(profiler, stream=buffer).sort_stats("cumulative").print_stats(40)
        buffer.write("\n\n--- by own time ---\n")
        pstats.Stats(profiler, stream=buffer).sort_stats("tottime").print_stats(25)
        Path(profile_path).write_text(buffer.getvalue())
    return {
        "rows": output.rows_total,
        "wall_s": wall,
        "counting_s": marks.get("counting_done", start) - start,
        "metrics_s": wall - (marks.get("counting_done", start) - start),
        "peak_rss_bytes": peak_rss_bytes(),
        "baseline_rss_bytes_after_imports": baseline_rss,
        "intersection": "engine multi-column attribute",
        "group_sizes": {
            r.attribute: {s.group.replace(INTERSECTION_SEPARATOR, SEPARATOR): s.n for s in r.groups}
            for r in output.attributes
        },
        "n_results": sum(len(r.results) for r in output.attributes),
        "rows_dropped": output.rows_missing_decision_or_outcome,
    }


def run_parquet_child(path: Path, n_boot: int, seed: int, profile_path: Path | None = None) -> dict:
    command = [sys.executable, str(ENTRY_SCRIPT), "--_parquet-child", str(path), "--n-boot", str(n_boot)]
    command += ["--seed", str(seed)]
    if profile_path:
        command += ["--_profile-out", str(profile_path)]
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, cwd=REPO_ROOT, check=False)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"parquet child failed ({done.returncode}):\n{done.stderr[-4000:]}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    result["process_wall_s"] = elapsed
    return result


def bench_parquet(
    pop: dict, n_boot: int, seed: int, row_group_rows: int, expected: dict, profile_dir: Path | None
) -> dict:
    with tempfile.TemporaryDirectory(prefix="metrics_bench_") as tmp:
        path = Path(tmp) / "upload.parquet"
        start = time.perf_counter()
        write_parquet(pop, path, row_group_rows)
        write_s = time.perf_counter() - start
        metadata = pq.ParquetFile(path).metadata
        result = run_parquet_child(path, n_boot, seed)
        result.update(
            write_s=write_s,
            file_bytes=path.stat().st_size,
            row_groups=metadata.num_row_groups,
        )
        if profile_dir:
            run_parquet_child(path, n_boot, seed, profile_dir / "profile_parquet_engine.txt")
    # The streamed counts must equal the in-memory ones.
    result["counts_match_in_memory"] = all(
        result["group_sizes"][attribute] == expected[attribute]["group_sizes"] for attribute in ATTRIBUTE_COLUMNS
    )
    del result["group_sizes"]
    return result
