"""SHAP attributions of a tabular model per group: the protected attribute's and its proxies' share (design.md §6).

Typical use::

    runner = TabularRunner(pipeline, favourable_class=">50K")
    result = explain_tabular(runner, frame, protected="sex")
    result.protected_share, result.proxy_share, result.proxies, result.faithfulness["faithful"]

A model trained without the protected column has ``protected_share == 0`` by construction; ``proxy_share`` tells
whether it discriminates through the features most associated with that column instead. Which explainer runs and
in which output space is explained in :mod:`explainers.attributions.tabular_shap`; the faithfulness check in
:mod:`explainers.attributions.tabular_faithfulness`.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from explainers.attributions.tabular_faithfulness import tabular_faithfulness
from explainers.attributions.tabular_shap import LOG_ODDS, shap_values
from explainers.probes.counterfactual import group_codes, probe_groups, sample_rows, stream_rng
from explainers.probes.proxies import ProxyRule, proxy_features, qualify_proxies

__all__ = ["TabularAttributionResult", "explain_tabular"]

BACKGROUND_STREAM = 11  # random stream of the background sample; the explained rows use the probe's sample stream
CHUNK_ROWS = 50  # rows per explainer call: the unit of progress reports
N_TOP = 5


@dataclass(frozen=True)
class TabularAttributionResult:
    """SHAP attributions of one tabular model toward its favourable class, aggregated per protected group.

    Values are raw SHAP values phi in ``output`` (normally P(favourable class); "log-odds of the favourable class"
    only if TreeExplainer cannot produce probabilities). Per feature f: ``mean_abs`` = mean |phi_f| over the explained
    rows and ``share`` = mean_abs_f / sum over features of mean_abs (None when every value is 0). ``features`` holds
    one dict per model column, largest share first: ``{"feature", "share", "mean_abs", "per_group": {group: {"n",
    "mean_abs", "mean"}}}``; the signed ``mean`` shows which way the feature pushes each group's score.

    ``protected_share`` is 0 when the protected column is not a model input (``protected_is_feature`` False): the
    model cannot use it directly, and ``proxies`` with ``proxy_share`` show whether it uses it indirectly.
    ``proxies`` lists every model feature that qualifies as a proxy under ``proxy_rule`` (see
    :class:`explainers.probes.proxies.ProxyRule`: a significant association after Holm across the features tested,
    and at least ``min_association`` strong), plus the strongest of the rest up to ``n_proxies`` (or exactly the
    ones given), strongest first, each with ``p_value``, ``p_holm``, ``is_proxy`` and ``weighted_share``
    (association x share, 0 for a non-proxy). ``proxy_share`` is the sum of the weighted shares: 0 when no feature
    is a proxy, and the share of the model's attribution carried by the protected attribute through its proxies
    when one determines the group (association 1). ``protected_per_group`` is the protected column's
    per-group entry ({} when it is not a feature).

    ``n_rows`` rows were explained: the rows of ``frame_rows`` with a protected value, then at most ``max_rows``
    of them, the same seeded sample as the tabular counterfactual probe (``sample_rows``); ``rows`` are their
    positions (``iloc``) in the frame and ``values`` their raw SHAP values, columns in ``feature_names`` order.
    ``background_rows`` rows of the frame (seeded) are the background. ``additivity_error`` = max over rows of
    |sum phi + base - f(x)| (SHAP's local accuracy) in ``output``. ``faithfulness``: see ``tabular_faithfulness``
    (None when not requested). ``note`` says why the model-agnostic explainer ran when a tree model was given.
    """

    method: str
    output: str
    note: str | None
    n_rows: int
    frame_rows: int
    background_rows: int
    seed: int
    groups: tuple[str, ...]
    feature_names: tuple[str, ...]
    features: tuple[dict, ...]
    top_features: tuple[str, ...]
    protected: str
    protected_is_feature: bool
    protected_share: float | None
    protected_per_group: dict
    proxies: tuple[dict, ...]
    proxy_share: float | None
    proxy_rule: dict
    base_value: float | None
    additivity_error: float | None
    faithfulness: dict | None
    rows: tuple[int, ...]
    values: tuple[tuple[float, ...], ...]
    seconds: float


def explain_tabular(
    runner,
    frame: pd.DataFrame,
    *,
    protected: str,
    proxies: list[str] | None = None,
    max_rows: int = 500,
    background_rows: int = 100,
    seed: int = 0,
    n_proxies: int = 3,
    proxy_rule: ProxyRule | None = None,
    faithfulness: bool = True,
    progress: Callable[[float, str], None] | None = None,
) -> TabularAttributionResult:
    """Explain a seeded sample of ``frame`` with SHAP and aggregate the values per group of ``protected``.

    Args:
        runner: a :class:`explainers.runners.tabular.TabularRunner`.
        frame: the model's feature columns and the protected column (a model feature or not).
        proxies: proxy columns to report; default the ``n_proxies`` model features most associated with
            ``protected``. A given proxy that is not a model feature has share 0.
        proxy_rule: when a feature counts toward ``proxy_share``; default ``ProxyRule()`` (alpha 0.05, V >= 0.3).
        max_rows, background_rows: the cost budget: rows explained and background rows; the permutation explainer
            costs about ``20 * features * background_rows`` model rows per explained row, TreeSHAP much less.
        progress: called with (fraction, stage) after each chunk of rows and at the end.

    Raises:
        ValueError: on a missing column, fewer than two groups, no row with a protected value, a proxy equal to the
            protected column, or a budget below one row.
    """
    started = time.perf_counter()
    if int(max_rows) < 1 or int(background_rows) < 1:
        raise ValueError("max_rows and background_rows must be at least 1")
    report = progress or (lambda fraction, stage: None)
    features = list(runner.feature_columns) if runner.feature_columns is not None else list(frame.columns)
    missing = [column for column in features if column not in frame.columns]
    if missing:
        raise ValueError(f"frame lacks model feature columns {missing}")
    labels = probe_groups(frame, protected)
    positions = sample_rows(frame, column=protected, groups=list(labels), max_rows=int(max_rows), seed=seed)
    rows = frame.iloc[positions].reset_index(drop=True)
    own = group_codes(rows[protected], labels)
    size = min(int(background_rows), len(frame))
    picked = np.sort(stream_rng(seed, BACKGROUND_STREAM).choice(len(frame), size=size, replace=False))
    background = frame.iloc[picked][features].reset_index(drop=True)

    share_of_work = 0.9 if faithfulness else 1.0

    def chunk_done(done: int, total: int) -> None:
        # Reports never go back, even when the tree explainer is abandoned and the rows are explained again.
        reached[0] = max(reached[0], share_of_work * done / total)
        report(reached[0], f"explained {done}/{total} rows")

    reached = [0.0]

    report(0.0, f"explaining {len(rows)} rows with {size} background rows")
    explained = shap_values(runner, rows, background, features, seed=seed, chunk=CHUNK_ROWS, progress=chunk_done)
    values = explained.values
    decisions, scores = runner.predict(rows[features])
    faithful = None
    if faithfulness:
        report(share_of_work, "faithfulness (AOPC)")
        faithful = tabular_faithfulness(
            runner, rows, background, values, features, decisions=decisions, scores=scores, seed=seed
        )
    entries = _feature_entries(values, features, own, labels)
    by_name = {entry["feature"]: entry for entry in entries}
    rule = proxy_rule or ProxyRule()
    proxy_entries = _proxies(frame, protected, features, proxies, n_proxies, by_name, rule)
    is_feature = protected in features
    result = TabularAttributionResult(
        method=explained.method,
        output=explained.output,
        note=explained.note,
        n_rows=len(rows),
        frame_rows=len(frame),
        background_rows=size,
        seed=int(seed),
        groups=labels,
        feature_names=tuple(features),
        features=tuple(entries),
        top_features=tuple(entry["feature"] for entry in entries[:N_TOP]),
        protected=protected,
        protected_is_feature=is_feature,
        protected_share=by_name[protected]["share"] if is_feature else 0.0,
        protected_per_group=by_name[protected]["per_group"] if is_feature else {},
        proxies=tuple(proxy_entries),
        proxy_share=_sum_or_none([entry["weighted_share"] for entry in proxy_entries if entry["is_proxy"]]),
        proxy_rule=rule.to_dict(),
        base_value=_finite(explained.base.mean()) if explained.base.size else None,
        additivity_error=_additivity(values, explained.base, scores, explained.output),
        faithfulness=faithful,
        rows=tuple(int(position) for position in positions),
        values=tuple(tuple(_finite(v) for v in row) for row in values),
        seconds=round(time.perf_counter() - started, 3),
    )
    report(1.0, "done")
    return result


def _feature_entries(values: np.ndarray, features: list[str], own: np.ndarray, labels: tuple[str, ...]) -> list[dict]:
    """One dict per feature (see TabularAttributionResult), largest mean |phi| first, ties by column order."""
    mean_abs = np.abs(values).mean(axis=0) if len(values) else np.zeros(len(features))
    total = float(mean_abs.sum())
    entries = []
    for j, feature in enumerate(features):
        per_group = {}
        for g, label in enumerate(labels):
            members = values[own == g, j]
            if members.size:
                per_group[label] = {
                    "n": int(members.size),
                    "mean_abs": _finite(np.abs(members).mean()),
                    "mean": _finite(members.mean()),
                }
        share = float(mean_abs[j]) / total if total > 0 else None
        entries.append({"feature": feature, "share": share, "mean_abs": _finite(mean_abs[j]), "per_group": per_group})
    order = sorted(range(len(features)), key=lambda j: (-mean_abs[j], j))
    return [entries[j] for j in order]


def _proxies(frame, protected, features, given, n_proxies, by_name, rule: ProxyRule) -> list[dict]:
    """The proxy entries: association with the protected column (design.md §5 "proxies"), test and attribution."""
    if given is not None:
        given = list(dict.fromkeys(given))
        if protected in given:
            raise ValueError(f"the protected column {protected!r} cannot be its own proxy")
        missing = [column for column in given if column not in frame.columns]
        if missing:
            raise ValueError(f"frame lacks proxy columns {missing}")
        measured = {item.feature: item for item in proxy_features(frame, frame[protected], given)}
        judged = qualify_proxies([measured[str(column)] for column in given], rule)
    else:
        candidates = [column for column in features if column != protected]
        # Holm runs over every feature tested, not only the ones listed: they are all candidates.
        judged = qualify_proxies(proxy_features(frame, frame[protected], candidates), rule)
        top = {item.feature for item, _, _ in judged[: max(int(n_proxies), 0)]}
        judged = [row for row in judged if row[2] or row[0].feature in top]
    entries = []
    for item, p_holm, is_proxy in judged:
        entry = by_name.get(item.feature)
        share = entry["share"] if entry else 0.0
        weighted = None if share is None else (share * item.association if is_proxy else 0.0)
        entries.append(
            {
                "feature": item.feature,
                "association": _finite(item.association),
                "association_method": item.method,
                "test": item.test,
                "p_value": item.p_value,
                "p_holm": p_holm,
                "is_proxy": bool(is_proxy),
                "is_feature": entry is not None,
                "share": share,
                "weighted_share": weighted,
                "mean_abs": entry["mean_abs"] if entry else 0.0,
                "per_group": entry["per_group"] if entry else {},
            }
        )
    return entries


def _additivity(values: np.ndarray, base: np.ndarray, scores: np.ndarray, output: str) -> float | None:
    """max |sum phi + base - f(x)|, f in the explainer's output space (SHAP's local accuracy)."""
    if not len(values):
        return None
    target = np.asarray(scores, dtype=np.float64)
    if output == LOG_ODDS:
        with np.errstate(divide="ignore"):
            target = np.log(target) - np.log1p(-target)
    return _finite(np.abs(values.sum(axis=1) + base - target).max())


def _sum_or_none(shares: list[float | None]) -> float | None:
    if any(share is None for share in shares):
        return None
    return float(sum(shares))


def _finite(value) -> float | None:
    value = float(value)
    return value if math.isfinite(value) else None
