"""Audit a continuous score (and optionally a continuous outcome) across the groups of one attribute.

Point estimates, row-bootstrap percentile intervals (seeded; B and seed recorded) and verdicts by design.md
section 4. Typical use::

    result = continuous_audit(groups, scores, outcomes, attribute="sex", config=ContinuousConfig(seed=1))
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd

from explainers.audit_settings import DEFAULT_ALPHA, DEFAULT_MIN_GROUP_SIZE, DEFAULT_N_BOOT, DEFAULT_SEED
from explainers.metrics.judging import Finding, finite_or_none, interval, judge, resampling_weights

from .definitions import CONTINUOUS_METRICS, resolved_band
from .weighted import SortedRows, group_statistics

TOP_GROUP_MIN_SHARE = 0.02
BOOTSTRAP_METHOD = (
    "non-parametric row bootstrap (each replicate resamples the N rows with replacement, drawn as "
    "Multinomial(N, 1/N) row weights); percentile intervals"
)


@dataclass(frozen=True)
class ContinuousConfig:
    reference_group: str | None = None
    higher_is_favourable: bool = True
    bands: dict = field(default_factory=dict)
    n_boot: int = DEFAULT_N_BOOT
    seed: int = DEFAULT_SEED
    alpha: float = DEFAULT_ALPHA
    min_group_size: int = DEFAULT_MIN_GROUP_SIZE


@dataclass(frozen=True)
class ContinuousGroup:
    group: str
    n: int
    mean: float | None
    scoring_rate: float | None
    mae: float | None = None
    rmse: float | None = None


@dataclass(frozen=True)
class ContinuousResult:
    attribute: str
    reference_group: str
    reference_rule: str
    scoring_rate_reference: str
    median: float
    sd: float
    rows: int
    groups: tuple[ContinuousGroup, ...]
    findings: tuple[Finding, ...]
    bands: dict
    n_boot: int
    seed: int
    alpha: float
    has_outcome: bool

    def to_dict(self) -> dict:
        """JSON-ready (lists, not tuples)."""
        return json.loads(json.dumps(asdict(self)))


def _codes(groups) -> tuple[np.ndarray, list[str]]:
    series = pd.Series(groups, dtype="string")
    codes, labels = pd.factorize(series, use_na_sentinel=True, sort=True)
    return codes.astype(np.int64), [str(label) for label in labels]


def _reference(config: ContinuousConfig, labels: list[str], n: np.ndarray, mean: np.ndarray) -> tuple[int, str]:
    if config.reference_group is not None and config.reference_group != "":
        if config.reference_group not in labels:
            raise ValueError(f"reference group {config.reference_group!r} is not among the groups {labels}")
        return labels.index(config.reference_group), "declared"
    eligible = np.where(n >= config.min_group_size, mean, np.nan)
    if np.all(np.isnan(eligible)):
        eligible = mean
    pick = np.nanargmax(eligible) if config.higher_is_favourable else np.nanargmin(eligible)
    return int(pick), "most_favourable_mean_score"


def continuous_audit(groups, scores, outcomes=None, *, attribute: str, config: ContinuousConfig | None = None):
    """Difference and ratio of group mean scores, NYC LL144 scoring-rate impact ratios, KS and Wasserstein-1
    distances to the reference group, and with outcomes group MAE / RMSE ratios and the worst-group MAE ratio.

    Rows with a missing score (or outcome, when given) are left out; rows without a group count in the overall
    median and error only. Raises ValueError with fewer than two groups or a declared reference not present.
    """
    config = config or ContinuousConfig()
    scores = np.asarray(scores, dtype=np.float64)
    codes, labels = _codes(groups)
    keep = np.isfinite(scores)
    if outcomes is not None:
        outcomes = np.asarray(outcomes, dtype=np.float64)
        keep &= np.isfinite(outcomes)
        outcomes = outcomes[keep]
    scores, codes = scores[keep], codes[keep]
    present = sorted(set(codes[codes >= 0].tolist()))
    if len(present) < 2:
        raise ValueError(f"'{attribute}' has fewer than two groups with scored rows.")
    remap = np.full(len(labels) + 1, -1)
    remap[present] = np.arange(len(present))
    codes, labels = remap[codes], [labels[i] for i in present]  # code -1 maps through the appended -1
    rows = SortedRows.build(
        scores, codes, outcomes, n_groups=len(labels), higher_is_favourable=config.higher_is_favourable
    )
    ones = np.ones((1, scores.size))
    first = group_statistics(rows, ones, 0)
    reference, rule = _reference(config, labels, first["n"][0], first["mean"][0])
    point = group_statistics(rows, ones, reference)
    sr = point["scoring_rate"][0]
    # The highest scoring rate is taken among groups of the minimum size holding at least 2% of the rows, as the
    # LL144 rules exclude smaller categories from the impact ratios (6 RCNY § 5-301(d)).
    n_point = point["n"][0]
    large = (n_point >= config.min_group_size) & (n_point >= TOP_GROUP_MIN_SHARE * n_point.sum())
    eligible_sr = np.where(large, sr, np.nan)
    top = int(np.nanargmax(eligible_sr if not np.all(np.isnan(eligible_sr)) else sr))
    replicates = _replicate_metrics(rows, reference, top, config)
    sd = float(np.std(scores))
    metrics = [m for m in CONTINUOUS_METRICS.values() if outcomes is not None or not m.requires_outcome]
    bands = {m.id: resolved_band(m, sd, config.bands.get(m.id)) for m in metrics}
    values = _metric_values(point, reference, top, config.min_group_size)
    findings = _findings(attribute, labels, point["n"][0], reference, top, values, replicates, bands, config)
    if scores.min() < 0:  # a ratio of means compares magnitudes only on a scale without negative values
        findings = [_not_meaningful(f) if f.metric == "mean_ratio" else f for f in findings]
    return ContinuousResult(
        attribute=attribute,
        reference_group=labels[reference],
        reference_rule=rule,
        scoring_rate_reference=labels[top],
        median=float(point["median"][0]),
        sd=sd,
        rows=int(scores.size),
        groups=tuple(_group_rows(labels, point)),
        findings=tuple(findings),
        bands={k: list(v) for k, v in bands.items()},
        n_boot=config.n_boot,
        seed=config.seed,
        alpha=config.alpha,
        has_outcome=outcomes is not None,
    )


def _metric_values(stats: dict, reference: int, top: int, min_group_size: int) -> dict[str, np.ndarray]:
    """Every metric per group, shape (b, G) (the worst-group ratio: (b, 1))."""
    mean, r = stats["mean"], slice(reference, reference + 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        values = {
            "mean_difference": mean - mean[:, r],
            "mean_ratio": mean / mean[:, r],
            "scoring_rate_impact_ratio": stats["scoring_rate"] / stats["scoring_rate"][:, top : top + 1],
            "ks_statistic": stats["ks"],
            "wasserstein_distance": stats["w1"],
        }
        if "mae" in stats:
            values["mae_ratio"] = stats["mae"] / stats["mae"][:, r]
            values["rmse_ratio"] = stats["rmse"] / stats["rmse"][:, r]
            judged = np.where(stats["n"] >= min_group_size, stats["mae"], np.nan)
            worst = np.nanmax(np.where(np.isnan(judged), -np.inf, judged), axis=1)
            values["worst_group_mae_ratio"] = (np.where(np.isinf(worst), np.nan, worst) / stats["overall_mae"])[:, None]
    return values


def _replicate_metrics(rows: SortedRows, reference: int, top: int, config: ContinuousConfig) -> dict:
    pieces: dict[str, list[np.ndarray]] = {}
    for weights in resampling_weights(rows.scores.size, config.n_boot, config.seed):
        values = _metric_values(group_statistics(rows, weights, reference), reference, top, config.min_group_size)
        for key, value in values.items():
            pieces.setdefault(key, []).append(value)
    return {key: np.concatenate(parts) for key, parts in pieces.items()}


def _not_meaningful(finding: Finding) -> Finding:
    return Finding(
        finding.metric, finding.attribute, finding.group, finding.reference_group, None, None, None,
        finding.band_low, finding.band_high, "not_computable", finding.n_group, finding.n_reference,
        "scores take negative values: a ratio of means is not meaningful (use the difference)",
    )  # fmt: skip


def _group_rows(labels: list[str], stats: dict) -> list[ContinuousGroup]:
    out = []
    for g, label in enumerate(labels):
        extra = {}
        if "mae" in stats:
            extra = {"mae": finite_or_none(stats["mae"][0, g]), "rmse": finite_or_none(stats["rmse"][0, g])}
        out.append(
            ContinuousGroup(
                group=label,
                n=int(stats["n"][0, g]),
                mean=finite_or_none(stats["mean"][0, g]),
                scoring_rate=finite_or_none(stats["scoring_rate"][0, g]),
                **extra,
            )
        )
    return out


def _findings(attribute, labels, n, reference, top, values, replicates, bands, config) -> list[Finding]:
    findings = []
    minimum = config.min_group_size
    for metric, band in bands.items():
        low, high = interval(replicates[metric], config.alpha)
        if metric == "worst_group_mae_ratio":
            judged = [g for g in range(len(labels)) if n[g] >= minimum]
            worst = max(judged, key=lambda g: values["mae_ratio"][0, g]) if judged else reference
            small = [] if len(judged) >= 2 else [f"fewer than two groups with n >= {minimum}"]
            verdict, reason = judge(point=values[metric][0, 0], low=low[0], high=high[0], band=band, small=small)
            findings.append(
                Finding(metric, attribute, labels[worst], "(all rows)", finite_or_none(values[metric][0, 0]),
                        finite_or_none(low[0]), finite_or_none(high[0]), band[0], band[1], verdict,
                        int(n[worst]), int(n.sum()), reason)
            )  # fmt: skip
            continue
        against = top if metric == "scoring_rate_impact_ratio" else reference
        for g in range(len(labels)):
            if g == against:
                continue
            small = [f"n_{who}={int(n[i])} < {minimum}" for who, i in (("group", g), ("reference", against))
                     if n[i] < minimum]  # fmt: skip
            verdict, reason = judge(point=values[metric][0, g], low=low[g], high=high[g], band=band, small=small)
            findings.append(
                Finding(metric, attribute, labels[g], labels[against], finite_or_none(values[metric][0, g]),
                        finite_or_none(low[g]), finite_or_none(high[g]), band[0], band[1], verdict,
                        int(n[g]), int(n[against]), reason)
            )  # fmt: skip
    return findings
