"""The pieces of bench/metrics_bench.py, the group-metrics benchmark (run that script, not this package).

data           seeded synthetic population and its string columns;
measure        timing of the floor, the explainers.metrics engine and the app's counting path;
fairlearn_ref  fairlearn MetricFrame pass/bootstrap and the interval agreement check;
parquet_child  the app's streaming engine over a Parquet file in a fresh child process;
system         machine, code fingerprint and peak RSS;
report         printing, targets and the results JSON.

Importing the package puts the repository root on sys.path, so that ``explainers`` imports however the
script was started.
"""

from __future__ import annotations

import sys
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parents[1]
REPO_ROOT = BENCH_DIR.parent
RESULTS_DIR = BENCH_DIR / "results"
ENTRY_SCRIPT = BENCH_DIR / "metrics_bench.py"  # re-invoked with --_parquet-child for the Parquet measurement

if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))
