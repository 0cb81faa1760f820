"""Continuous scores and rankings of a stored dataset: per audited attribute, the continuous-score metrics
(explainers.metrics.continuous) and the ranking metrics (explainers.metrics.ranking).

Their bootstraps resample rows (or queries), so unlike the count tables these read the needed columns whole: the
score, the continuous outcome, the rank and query id, the decision when there is one, and the protected columns.
Rows are those the audit keeps: a score (and an outcome when declared) for the continuous section, a positive
rank for the ranking section, and a decision when the plan has a decision column.
"""

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from explainers.metrics.continuous import BOOTSTRAP_METHOD, CONTINUOUS_METRICS, ContinuousConfig, continuous_audit
from explainers.metrics.ranking import RANKING_METRICS, RankingConfig, ranking_audit

from .counting import attribute_group_codes
from .spec import MISSING_AS_GROUP, MISSING_GROUP_LABEL, EngineInput

RANKING_METHOD = (
    "percentile bootstrap over queries (whole ranked lists resampled) when a query column is given, else over rows"
)


def _read(spec: EngineInput) -> pd.DataFrame:
    wanted = [spec.score_column, spec.continuous_outcome_column, spec.rank_column, spec.rank_query_column]
    if not spec.model_path:
        wanted.append(spec.decision_column)
    wanted += [c for a in spec.attributes for c in a.columns]
    columns = list(dict.fromkeys(c for c in wanted if c))
    return pq.read_table(spec.parquet_path, columns=columns).to_pandas()


def _groups(frame: pd.DataFrame, spec: EngineInput) -> dict[str, np.ndarray]:
    """Per attribute, each row's group label (None: missing, left out of the groups under drop_rows)."""
    out, cache = {}, {}
    for attribute in spec.attributes:
        codes, labels = attribute_group_codes(frame, attribute, cache)
        if spec.missing_policy == MISSING_AS_GROUP:
            labels = [*labels, MISSING_GROUP_LABEL]
            codes = np.where(codes < 0, len(labels) - 1, codes)
        out[attribute.name] = np.asarray([*labels, None], dtype=object)[codes]  # code -1 picks None
    return out


def _numbers(frame: pd.DataFrame, column: str) -> np.ndarray:
    return pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=float, na_value=np.nan)


def _seed(seed: int, index: int, salt: int) -> int:
    return int(np.random.SeedSequence([seed, salt, index]).generate_state(1)[0])


def continuous_and_ranking(spec: EngineInput) -> tuple[dict | None, dict | None]:
    """The report's `continuous` and `ranking` sections (JSON-ready), None for those the plan does not ask for.

    An attribute whose section cannot be computed (e.g. a single group with scored rows) carries its error
    instead of failing the audit.
    """
    wants_continuous = spec.outcome_type == "continuous" and bool(spec.score_column)
    if spec.model_only or not (wants_continuous or spec.rank_column):
        return None, None
    frame = _read(spec)
    keep = np.ones(len(frame), dtype=bool)
    if spec.decision_column and not spec.model_path:
        keep &= frame[spec.decision_column].notna().to_numpy()
    groups = _groups(frame, spec)
    continuous = _continuous(spec, frame, keep, groups) if wants_continuous else None
    ranking = _ranking(spec, frame, keep, groups) if spec.rank_column else None
    return continuous, ranking


def _continuous(spec: EngineInput, frame, keep, groups) -> dict:
    scores = _numbers(frame, spec.score_column)
    outcomes = _numbers(frame, spec.continuous_outcome_column) if spec.continuous_outcome_column else None
    by_attribute = {}
    for index, attribute in enumerate(spec.attributes):
        config = ContinuousConfig(
            reference_group=attribute.reference_group or None,
            higher_is_favourable=spec.score_higher_is_favourable,
            bands={k: v for k, v in spec.bands.items() if k in CONTINUOUS_METRICS},
            n_boot=spec.n_boot,
            seed=_seed(spec.seed, index, 1),
            alpha=spec.alpha,
            min_group_size=spec.min_group_size,
        )
        try:
            result = continuous_audit(
                groups[attribute.name][keep], scores[keep], None if outcomes is None else outcomes[keep],
                attribute=attribute.name, config=config,
            )  # fmt: skip
        except ValueError as exc:
            by_attribute[attribute.name] = {"error": str(exc)}
            continue
        by_attribute[attribute.name] = result.to_dict()
    return {
        "score_column": spec.score_column,
        "outcome_column": spec.continuous_outcome_column or None,
        "higher_is_favourable": spec.score_higher_is_favourable,
        "bootstrap_method": BOOTSTRAP_METHOD,
        "metrics": _contracts(CONTINUOUS_METRICS, outcomes is not None),
        "by_attribute": by_attribute,
    }


def _contracts(metrics: dict, has_outcome: bool) -> dict:
    return {
        m.id: {
            "name": m.name,
            "formula": m.formula,
            "default_band": [m.band_low, m.band_high],
            "band_unit": "standard deviations of the full sample's scores" if m.relative_to_sd else "metric",
            "requires_outcome": m.requires_outcome,
            "computed": has_outcome or not m.requires_outcome,
        }
        for m in metrics.values()
    }


def _ranking(spec: EngineInput, frame, keep, groups) -> dict:
    ranks = _numbers(frame, spec.rank_column)
    queries = frame[spec.rank_query_column].to_numpy(dtype=object) if spec.rank_query_column else None
    if queries is not None:
        keep = keep & frame[spec.rank_query_column].notna().to_numpy()
    by_attribute = {}
    for index, attribute in enumerate(spec.attributes):
        config = RankingConfig(
            reference_group=attribute.reference_group or None,
            top_k=spec.top_k,
            bands={k: v for k, v in spec.bands.items() if k in RANKING_METRICS},
            n_boot=spec.n_boot,
            seed=_seed(spec.seed, index, 2),
            alpha=spec.alpha,
            min_group_size=spec.min_group_size,
        )
        try:
            result = ranking_audit(
                groups[attribute.name][keep], ranks[keep], None if queries is None else queries[keep],
                attribute=attribute.name, config=config,
            )  # fmt: skip
        except ValueError as exc:
            by_attribute[attribute.name] = {"error": str(exc)}
            continue
        by_attribute[attribute.name] = result.to_dict()
    return {
        "rank_column": spec.rank_column,
        "query_column": spec.rank_query_column or None,
        "top_k": spec.top_k,
        "discount": "exposure = 1 / log2(1 + rank), rank 1 = top",
        "bootstrap_method": RANKING_METHOD,
        "metrics": {
            key: {"name": m["name"], "formula": m["formula"], "default_band": list(m["band"])}
            for key, m in RANKING_METRICS.items()
        },
        "by_attribute": by_attribute,
    }
