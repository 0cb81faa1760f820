"""Fairness of continuous scores and outcomes: mean differences and ratios, NYC LL144 scoring rates, KS and
Wasserstein distances between group score distributions, group error ratios (bounded group loss)."""

from .audit import BOOTSTRAP_METHOD, ContinuousConfig, ContinuousResult, continuous_audit
from .definitions import CONTINUOUS_METRICS, ContinuousMetric

__all__ = [
    "BOOTSTRAP_METHOD",
    "CONTINUOUS_METRICS",
    "ContinuousConfig",
    "ContinuousMetric",
    "ContinuousResult",
    "continuous_audit",
]
