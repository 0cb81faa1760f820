"""Datasets without labels: selection-rate metrics only, the rest reported as not computable (design.md §4)."""

import numpy as np

from explainers.metrics import METRIC_DEFINITIONS, MetricConfig, Verdict, audit_attribute, count_table


def test_unlabelled_data_computes_selection_metrics_and_marks_label_metrics_not_computable():
    rng = np.random.default_rng(5)
    group = rng.choice(["x", "y"], size=4000)
    decision = rng.random(4000) < np.where(group == "x", 0.5, 0.3)
    table = count_table(group, decision, outcome=None)
    assert table.has_outcome is False

    result = audit_attribute(table, "g", MetricConfig())
    by_metric = {item.metric: item for item in result.results}
    assert set(by_metric) == set(METRIC_DEFINITIONS)  # nothing silently dropped
    for metric_id, definition in METRIC_DEFINITIONS.items():
        item = by_metric[metric_id]
        if definition.requires_outcome:
            assert item.verdict == Verdict.NOT_COMPUTABLE and item.value is None
        else:
            assert item.verdict == Verdict.FAIL and item.value is not None and item.ci_low is not None

    stats = {s.group: s for s in result.groups}
    assert stats["y"].n_selected == int(decision[group == "y"].sum())
    assert stats["y"].selection_rate == decision[group == "y"].mean()
    assert stats["y"].tp is None and stats["y"].tpr is None and stats["y"].accuracy is None
