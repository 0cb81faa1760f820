"""Score analyses (design.md §4), for datasets that carry a model score column.

Typical use, chunk by chunk over a large file (design.md §9 "count first")::

    hist = score_histogram(chunk["group"], chunk["score"], chunk["y"])      # one pass per chunk
    hist = hist.merge(next_chunk_hist)                                      # add the counts
    result = score_analysis(hist, reference_group="white")                  # AUC, calibration, DI/EOD curves

:func:`threshold_optimizer_whatif` needs row-level scores and runs on a seeded subsample; it is an analysis of
what group-specific thresholds would change, never a recommendation.
"""

from explainers.metrics.scores.analysis import score_analysis
from explainers.metrics.scores.histogram import ScoreHistogram, score_histogram
from explainers.metrics.scores.whatif import threshold_optimizer_whatif

__all__ = ["ScoreHistogram", "score_analysis", "score_histogram", "threshold_optimizer_whatif"]
