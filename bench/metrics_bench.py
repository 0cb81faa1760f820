"""Group-metrics benchmark: our count-table engine against fairlearn and against the counting floor.

Run from the repository root (``make bench`` does exactly this)::

    .venv/bin/python bench/metrics_bench.py              # 1M and 10M rows, several minutes
    .venv/bin/python bench/metrics_bench.py --quick      # 200k rows, smoke run

What it measures, on seeded synthetic data with three protected string columns (sex, race, age_band)
and their intersection (40 groups), see bench/README.md for the details:

(a) floor       pd.factorize of the protected column(s) + one np.bincount over the (group, y, yhat) cell index;
(b) engine      explainers.metrics: count_table + audit_attribute (six metrics, B bootstrap replicates);
(c) fairlearn   MetricFrame with the same per-group rates, once without and once with n_boot;
(d) agreement   our percentile intervals against fairlearn's bootstrap intervals, within Monte-Carlo error;
(e) parquet     the app's streaming engine (explainers.pipeline.local.compute_group_metrics) over a Parquet file,
                in a fresh child process whose peak RSS (VmHWM) is reported.

It is a benchmark, not a test: targets are marked PASS/MISS and never fail the run; exceptions do.

The code lives in the package bench/metricsbench/ (data, measurements, fairlearn reference, Parquet child
process, reporting); this script parses the options and runs the steps. It re-invokes itself with the hidden
option --_parquet-child for the Parquet measurement.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

BENCH_DIR = Path(__file__).resolve().parent
if str(BENCH_DIR) not in sys.path:  # run by path this is already there; imported from elsewhere it may not be
    sys.path.insert(0, str(BENCH_DIR))

from metricsbench import RESULTS_DIR  # noqa: E402 - also puts the repository root on sys.path
from metricsbench.data import ATTRIBUTE_COLUMNS, in_memory_frame, make_population  # noqa: E402
from metricsbench.fairlearn_ref import bench_agreement, bench_fairlearn  # noqa: E402
from metricsbench.measure import app_counting_path, bench_size, profile_in_memory  # noqa: E402
from metricsbench.parquet_child import bench_parquet, parquet_child  # noqa: E402
from metricsbench.report import (  # noqa: E402
    print_agreement,
    print_code,
    print_fairlearn,
    print_parquet,
    print_report,
    print_size,
    print_targets,
    summarise_targets,
    write_results,
)
from metricsbench.system import cpu_model, peak_rss_bytes, source_fingerprint  # noqa: E402


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000_000, 10_000_000], help="in-memory sizes")
    parser.add_argument(
        "--fairlearn-rows", type=int, default=1_000_000, help="the only size fairlearn runs at (0: skip)"
    )
    parser.add_argument(
        "--fairlearn-attributes", nargs="+", default=list(ATTRIBUTE_COLUMNS), choices=list(ATTRIBUTE_COLUMNS)
    )
    parser.add_argument("--n-boot", type=int, default=1000, help="our bootstrap replicates B")
    parser.add_argument("--fairlearn-boot", type=int, default=5, help="fairlearn replicates for the timing")
    parser.add_argument(
        "--agreement-rows", type=int, default=20_000, help="sample size of the agreement check (0: skip)"
    )
    parser.add_argument("--agreement-boot", type=int, default=200, help="fairlearn replicates in the agreement check")
    parser.add_argument(
        "--agreement-attributes", nargs="+", default=["race", "intersection"], choices=list(ATTRIBUTE_COLUMNS)
    )
    parser.add_argument(
        "--parquet-rows", type=int, default=None, help="rows of the Parquet file (default: largest --rows; 0: skip)"
    )
    parser.add_argument("--row-group-rows", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=3, help="timing repeats for floor and engine (best is kept)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--profile", action="store_true", help="also write cProfile reports to bench/results/")
    parser.add_argument(
        "--json", type=Path, default=None, help="results file (default bench/results/metrics_bench[_quick].json)"
    )
    parser.add_argument(
        "--quick", action="store_true", help="200k rows, small fairlearn runs: a smoke run under a minute"
    )
    parser.add_argument("--report", type=Path, default=None, help="reprint a results JSON file and exit")
    parser.add_argument("--_parquet-child", dest="parquet_child", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--_profile-out", dest="profile_out", default=None, help=argparse.SUPPRESS)
    if parser.parse_known_args(argv)[0].quick:  # quick changes the defaults; explicit options still win
        parser.set_defaults(
            rows=[200_000],
            fairlearn_rows=20_000,
            fairlearn_attributes=["sex", "intersection"],
            fairlearn_boot=2,
            agreement_rows=2_000,
            agreement_boot=200,
            agreement_attributes=["race"],
            row_group_rows=100_000,
        )
    args = parser.parse_args(argv)
    if args.parquet_rows is None:
        args.parquet_rows = max(args.rows)
    if args.json is None:
        args.json = RESULTS_DIR / ("metrics_bench_quick.json" if args.quick else "metrics_bench.json")
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.parquet_child:
        print(json.dumps(parquet_child(args.parquet_child, args.n_boot, args.seed, args.profile_out)))
        return 0
    if args.report:
        print_report(json.loads(args.report.read_text()))
        return 0

    import fairlearn

    started = time.perf_counter()
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    results = {
        "meta": {
            "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, {platform.platform()}",
            "cpu": cpu_model(),
            "python": platform.python_version(),
            "numpy": np.__version__,
            "pandas": pd.__version__,
            "pyarrow": pa.__version__,
            "fairlearn": fairlearn.__version__,
            "args": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
            **source_fingerprint(),
            "app_counting_path": app_counting_path(),
        },
        "sizes": [],
    }
    print(
        f"metrics_bench: {results['meta']['cpu']}, {os.cpu_count()} CPUs; numpy {np.__version__}, "
        f"pandas {pd.__version__}, fairlearn {fairlearn.__version__}; B = {args.n_boot}, seed {args.seed}"
    )
    print_code(results["meta"])

    sizes = sorted(set(args.rows))
    pops = {}
    for n_rows in sizes:
        pop = make_population(n_rows, args.seed)
        frame = in_memory_frame(pop)
        block = bench_size(pop, frame, args.n_boot, args.seed, args.repeats)
        results["sizes"].append(block)
        print_size(block)
        if args.profile and n_rows == max(sizes):
            profile_in_memory(frame, pop, args.n_boot, args.seed, RESULTS_DIR / "profile_in_memory_intersection.txt")
        if n_rows == args.fairlearn_rows:
            pops["fairlearn"] = (pop, frame, block)
        if n_rows == args.parquet_rows:
            pops["parquet"] = (pop, block)
        else:
            del frame

    # (c) fairlearn, at one size only.
    if args.fairlearn_rows:
        if "fairlearn" not in pops:
            pop = make_population(args.fairlearn_rows, args.seed)
            frame = in_memory_frame(pop)
            pops["fairlearn"] = (pop, frame, bench_size(pop, frame, args.n_boot, args.seed, args.repeats))
        pop, frame, block = pops.pop("fairlearn")
        results["fairlearn"] = bench_fairlearn(
            pop, frame, args.fairlearn_attributes, args.fairlearn_boot, args.seed, block, args.n_boot
        )
        del pop, frame
    print_fairlearn(results.get("fairlearn"), [n for n in sizes if n != args.fairlearn_rows])

    # (d) interval agreement on a sample small enough for fairlearn to afford real replicates.
    if args.agreement_rows:
        pop = make_population(args.agreement_rows, args.seed + 1)
        results["agreement"] = bench_agreement(
            pop, in_memory_frame(pop), args.agreement_attributes, args.agreement_boot, args.n_boot, args.seed
        )
    print_agreement(results.get("agreement"))

    # (e) the app's streaming engine over a Parquet file, in a fresh process.
    if args.parquet_rows:
        if "parquet" in pops:
            pop, block = pops.pop("parquet")
        else:
            pop = make_population(args.parquet_rows, args.seed)
            block = bench_size(pop, in_memory_frame(pop), args.n_boot, args.seed, 1)
        results["parquet"] = bench_parquet(
            pop, args.n_boot, args.seed, args.row_group_rows, block["attributes"], RESULTS_DIR if args.profile else None
        )
        results["parquet"]["streaming_over_in_memory_floor_sum"] = results["parquet"]["wall_s"] / sum(
            a["floor_s"] for a in block["attributes"].values()
        )
        del pop
    print_parquet(results.get("parquet"))

    results["targets"] = summarise_targets(results)
    print_targets(results["targets"])
    results["meta"]["parent_peak_rss_bytes"] = peak_rss_bytes()
    results["meta"]["wall_s"] = time.perf_counter() - started
    write_results(results, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
