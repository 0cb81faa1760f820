"""The pieces of bench/probe_bench.py, the text-probe throughput benchmark (run that script, not this package).

data     seeded templated sentences with gendered words and their counterfactuals under the gender lexicon;
model    the MiniLM sentiment classifier folder (used when present, built otherwise);
measure  the timed paths: raw batched forward (ceiling), per-example pipeline, our runner cold and warm, the probe;
system   how busy the machine was (CPU time of other processes) during each timed step;
report   printing, targets and the results JSON.

Importing the package puts the repository root on sys.path, so that ``explainers`` imports however the script
was started.
"""

from __future__ import annotations

import sys
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parents[1]
REPO_ROOT = BENCH_DIR.parent
RESULTS_DIR = BENCH_DIR / "results"
DEFAULT_MODEL_DIR = REPO_ROOT / "var" / "models" / "minilm-sentiment"

if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))
