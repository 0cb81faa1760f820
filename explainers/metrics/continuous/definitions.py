"""The continuous-score metrics: definitions and default pass bands (the report's metric contract).

Scores are compared group g against the reference group r. Bands marked `relative_to_sd` are in units of the
standard deviation of the full sample's scores (0.2 SD is Cohen's "small" effect), because a difference of means
or a Wasserstein distance has the score's own units; the band is resolved to numbers and recorded per audit.
A plan's `bands` may set any band in the metric's own units.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ContinuousMetric:
    id: str
    name: str
    formula: str
    band_low: float
    band_high: float
    requires_outcome: bool = False
    relative_to_sd: bool = False
    parity: float = 0.0


CONTINUOUS_METRICS = {
    m.id: m
    for m in (
        ContinuousMetric("mean_difference", "Difference of group mean scores", "mean_g - mean_r", -0.2, 0.2,
                         relative_to_sd=True),
        ContinuousMetric("mean_ratio", "Ratio of group mean scores", "mean_g / mean_r", 0.8, 1.25, parity=1.0),
        ContinuousMetric(
            "scoring_rate_impact_ratio",
            "Impact ratio of scoring rates (NYC LL144)",
            "SR_g / max_h SR_h, SR = share of the group scoring above the median of the full sample "
            "(6 RCNY § 5-301(c))",
            0.8,
            1.25,
            parity=1.0,
        ),
        ContinuousMetric("ks_statistic", "Kolmogorov-Smirnov distance", "sup_x |F_g(x) - F_r(x)|", 0.0, 0.1),
        ContinuousMetric("wasserstein_distance", "Wasserstein-1 distance", "integral |F_g(x) - F_r(x)| dx", 0.0, 0.2,
                         relative_to_sd=True),
        ContinuousMetric("mae_ratio", "Ratio of group mean absolute errors", "MAE_g / MAE_r", 0.8, 1.25,
                         requires_outcome=True, parity=1.0),
        ContinuousMetric("rmse_ratio", "Ratio of group root mean squared errors", "RMSE_g / RMSE_r", 0.8, 1.25,
                         requires_outcome=True, parity=1.0),
        ContinuousMetric(
            "worst_group_mae_ratio",
            "Worst-group error ratio (bounded group loss)",
            "max_g MAE_g / MAE_all (Agarwal, Dudik and Wu 2019, bounded group loss)",
            0.0,
            1.25,
            requires_outcome=True,
            parity=1.0,
        ),
    )
}  # fmt: skip


def resolved_band(metric: ContinuousMetric, sd: float, override=None) -> tuple[float, float]:
    """The band in the metric's units: the plan's override as given, else the default (times SD when relative)."""
    if override is not None:
        return float(override[0]), float(override[1])
    scale = sd if metric.relative_to_sd else 1.0
    return metric.band_low * scale, metric.band_high * scale
