"""Counterfactual probes: change only the protected attribute and measure how the model moves (design.md §5).

Typical use::

    runner = TabularRunner(pipeline, favourable_class=">50K")
    result = tabular_counterfactual_probe(runner, frame, column="sex")   # CDR, per-pair Delta, proxies
"""

from explainers.probes.counterfactual import sample_rows
from explainers.probes.proxies import ProxyFeature
from explainers.probes.tabular import PairResult, TabularProbeResult, tabular_counterfactual_probe

__all__ = ["PairResult", "ProxyFeature", "TabularProbeResult", "sample_rows", "tabular_counterfactual_probe"]
