"""Group-fairness metrics of design.md §4, computed from merge-able count tables.

Typical use::

    table = count_table(groups, decision, outcome)          # one pass over the rows
    result = audit_attribute(table, attribute="race", config=MetricConfig(reference_group="white"))

Everything downstream of :func:`count_table`, the bootstrap included, works on the ``(G, 2, 2)`` table.
"""

from explainers.metrics.audit import AttributeResult, GroupStats, MetricConfig, MetricResult, audit_attribute
from explainers.metrics.conventions import (
    aequitas_convention,
    aif360_convention,
    conventions_side_by_side,
    fairlearn_convention,
)
from explainers.metrics.counts import CountTable, count_table
from explainers.metrics.definitions import METRIC_DEFINITIONS, MetricDefinition
from explainers.metrics.scores import ScoreHistogram, score_analysis, score_histogram, threshold_optimizer_whatif
from explainers.metrics.significance import TestResult, holm_adjust, two_proportion_test
from explainers.metrics.verdicts import Verdict

__all__ = [
    "METRIC_DEFINITIONS",
    "AttributeResult",
    "CountTable",
    "GroupStats",
    "MetricConfig",
    "MetricDefinition",
    "MetricResult",
    "ScoreHistogram",
    "TestResult",
    "Verdict",
    "aequitas_convention",
    "aif360_convention",
    "audit_attribute",
    "conventions_side_by_side",
    "count_table",
    "fairlearn_convention",
    "holm_adjust",
    "score_analysis",
    "score_histogram",
    "threshold_optimizer_whatif",
    "two_proportion_test",
]
