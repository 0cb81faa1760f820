"""Model runners: batched predictions of uploaded models on the audit data (design.md §5, §9).

Typical use::

    runner = TabularRunner(pipeline, favourable_class=">50K")
    runner.smoke(frame)                       # fail fast on missing columns before a long run
    decisions, scores = runner.predict(frame)
"""

from explainers.runners.tabular import TabularRunner

__all__ = ["TabularRunner"]
