"""The pieces of bench/attribution_bench.py, the integrated-gradients benchmark (run that script, not this package).

data       forty sentences written for this benchmark, each with a female word, and their counterfactual pairs;
measure    the timed paths: Captum LayerIntegratedGradients per example with its defaults, our stage, the ceiling,
           and the untimed N-step reference attributions;
oracle     the smallest Gauss-Legendre step count per set that would have been in bound, known ahead (untimed);
system     CPU, load average, how busy the rest of the machine was during each timed step, code fingerprint;
report     printing, targets and the results JSON.

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
