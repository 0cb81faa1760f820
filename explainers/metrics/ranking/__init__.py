"""Fairness of rankings: exposure under a logarithmic position discount and top-k shares per group."""

from .exposure import DEFAULT_TOP_K, RANKING_METRICS, RankingConfig, RankingResult, position_exposure, ranking_audit

__all__ = ["DEFAULT_TOP_K", "RANKING_METRICS", "RankingConfig", "RankingResult", "position_exposure", "ranking_audit"]
