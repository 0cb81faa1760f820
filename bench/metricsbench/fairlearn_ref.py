"""fairlearn as the reference: MetricFrame timings (one pass, one with bootstrap) and the interval agreement check."""

from __future__ import annotations

import math
import statistics
import time
import warnings

import numpy as np
import pandas as pd

from explainers.metrics import count_table, rates
from explainers.metrics.bootstrap import bootstrap_tables, percentile_interval
from metricsbench.data import ATTRIBUTE_COLUMNS, INTERSECTION_COLUMN, SEPARATOR
from metricsbench.report import FAMILY_FALSE_MISS


def _fairlearn_metrics() -> dict:
    import sklearn.metrics as skm
    from fairlearn import metrics as flm

    # The rates our six metrics are built from: SR, TPR, FPR, PPV.
    return {
        "selection_rate": flm.selection_rate,
        "tpr": flm.true_positive_rate,
        "fpr": flm.false_positive_rate,
        "ppv": skm.precision_score,
    }


def _fairlearn_features(frame: pd.DataFrame, attribute: str):
    columns = list(ATTRIBUTE_COLUMNS[attribute])
    return frame[columns[0]] if len(columns) == 1 else frame[columns]  # fairlearn intersects several columns itself


def bench_fairlearn(pop, frame, attributes, fairlearn_boot, seed, ours: dict, n_boot) -> dict:
    """One MetricFrame pass per attribute without bootstrap, one with ``fairlearn_boot`` replicates."""
    from fairlearn.metrics import MetricFrame

    metrics = _fairlearn_metrics()
    out = {"rows": pop["n"], "n_boot": fairlearn_boot, "attributes": {}}
    y, yhat = pop["outcome"], pop["decision"]
    for attribute in attributes:
        features = _fairlearn_features(frame, attribute)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            start = time.perf_counter()
            plain = MetricFrame(metrics=metrics, y_true=y, y_pred=yhat, sensitive_features=features)
            pass_s = time.perf_counter() - start
            start = time.perf_counter()
            MetricFrame(
                metrics=metrics,
                y_true=y,
                y_pred=yhat,
                sensitive_features=features,
                n_boot=fairlearn_boot,
                ci_quantiles=[0.025, 0.975],
                random_state=seed,
            )
            boot_s = time.perf_counter() - start
        per_replicate = (boot_s - pass_s) / fairlearn_boot
        ours_rep = ours["attributes"][attribute]["ours_per_replicate_s"]
        # Same point estimates as ours (design.md section 4 cross-check), measured on the very same rows.
        table = count_table(frame[INTERSECTION_COLUMN if attribute == INTERSECTION_COLUMN else attribute], yhat, y)
        ours_rates = {
            "selection_rate": rates.selection_rate(table.cells),
            "tpr": rates.true_positive_rate(table.cells),
            "fpr": rates.false_positive_rate(table.cells),
            "ppv": rates.positive_predictive_value(table.cells),
        }
        by_group = plain.by_group
        by_group.index = [_label(i) for i in by_group.index]
        point_diff = max(
            float(np.max(np.abs(ours_rates[m] - by_group.loc[list(table.groups), m].to_numpy()))) for m in ours_rates
        )
        out["attributes"][attribute] = {
            "groups": len(table.groups),
            "pass_s": pass_s,
            "with_boot_s": boot_s,
            "per_replicate_s": per_replicate,
            "ours_per_replicate_s": ours_rep,
            "replicate_ratio": per_replicate / ours_rep,
            "pass_over_engine_total": pass_s / ours["attributes"][attribute]["engine_total_s"],
            "max_abs_point_diff": point_diff,
        }
    return out


def _label(index_value) -> str:
    return SEPARATOR.join(index_value) if isinstance(index_value, tuple) else str(index_value)


def _endpoint_mc(cells: np.ndarray, metric_rates: dict, n_boot: int, alpha: float, sets: int, seed: int) -> dict:
    """Monte-Carlo mean and sd of each percentile endpoint estimated from ``n_boot`` replicates.

    Simulated: ``sets`` independent bootstrap runs of ``n_boot`` replicates each, endpoints recomputed per run.
    Returns {metric: (mean, sd)}, each of shape (2, G) (low, high endpoint per group).
    """
    ends = {metric: [] for metric in metric_rates}
    for r in range(sets):
        replicates = bootstrap_tables(cells, n_boot, seed + 1 + r)
        for metric, rate in metric_rates.items():
            ends[metric].append(np.stack(percentile_interval(rate(replicates), alpha)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return {
            metric: (np.nanmean(np.stack(v), axis=0), np.nanstd(np.stack(v), axis=0, ddof=1))
            for metric, v in ends.items()
        }


def bench_agreement(pop, frame, attributes, fairlearn_boot, our_boot, seed, alpha=0.05, sets=100) -> dict:
    """Our percentile intervals of per-group SR and TPR against fairlearn's row-bootstrap intervals.

    Both bootstraps sample the same distribution (a multinomial draw over the count table *is* the row
    bootstrap), so endpoint differences are Monte-Carlo error only: each tool estimates a 2.5% / 97.5%
    quantile from a finite number of replicates. Under that hypothesis the difference ours - theirs has
        mean = E[endpoint | B_ours] - E[endpoint | B_fairlearn]   (the small-B bias of a sample quantile)
        se   = sqrt(sd(endpoint | B_fairlearn)^2 + sd(endpoint | B_ours)^2),
    both simulated by repeating the multinomial bootstrap ``sets`` times (this also covers small, discrete
    groups, where the textbook sd formula sqrt(p(1-p)/B) / density is off; for a normal bootstrap
    distribution of sd sigma that formula gives about 0.19 sigma at B=200 and 0.085 sigma at B=1000).
    With K endpoint comparisons we allow |diff - mean| <= z * se, z = Phi^-1(1 - FAMILY_FALSE_MISS / (2K)):
    if both tools are right, all K fall inside with probability about 1 - FAMILY_FALSE_MISS.
    """
    from statistics import NormalDist

    from fairlearn import metrics as flm

    p = alpha / 2
    y, yhat = pop["outcome"], pop["decision"]
    metric_rates = {"selection_rate": rates.selection_rate, "tpr": rates.true_positive_rate}
    comparisons = []  # (attribute, metric, group, endpoint, diff, se)
    start = time.perf_counter()
    fairlearn_s = 0.0
    for attribute in attributes:
        column = frame[INTERSECTION_COLUMN if attribute == INTERSECTION_COLUMN else attribute]
        table = count_table(column, yhat, y)
        replicates = bootstrap_tables(table.cells, our_boot, seed)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            t0 = time.perf_counter()
            frame_fl = flm.MetricFrame(
                metrics={"selection_rate": flm.selection_rate, "tpr": flm.true_positive_rate},
                y_true=y,
                y_pred=yhat,
                sensitive_features=_fairlearn_features(frame, attribute),
                n_boot=fairlearn_boot,
                ci_quantiles=[p, 1 - p],
                random_state=seed,
            )
            fairlearn_s += time.perf_counter() - t0
        their = [ci.copy() for ci in frame_fl.by_group_ci]
        for ci in their:
            ci.index = [_label(i) for i in ci.index]
        mc_theirs = _endpoint_mc(table.cells, metric_rates, fairlearn_boot, alpha, sets, seed + 10_000)
        mc_ours = _endpoint_mc(table.cells, metric_rates, our_boot, alpha, sets, seed + 20_000)
        for metric, rate in metric_rates.items():
            ours = np.stack(percentile_interval(rate(replicates), alpha))
            expected = mc_ours[metric][0] - mc_theirs[metric][0]
            se = np.sqrt(mc_theirs[metric][1] ** 2 + mc_ours[metric][1] ** 2)
            for g, group in enumerate(table.groups):
                for e, endpoint in enumerate(("low", "high")):
                    diff = float(ours[e, g] - their[e].loc[group, metric])
                    comparisons.append(
                        (attribute, metric, group, endpoint, diff, float(se[e, g]), float(expected[e, g]))
                    )
    k = len(comparisons)
    z_allowed = NormalDist().inv_cdf(1 - FAMILY_FALSE_MISS / (2 * k))
    degenerate = [c for c in comparisons if not c[5] > 1e-12]  # both endpoints deterministic: must be equal
    random = [c for c in comparisons if c[5] > 1e-12]

    def z_of(c):
        return (c[4] - c[6]) / c[5]

    worst = max(random, key=lambda c: abs(z_of(c)))
    largest = max(comparisons, key=lambda c: abs(c[4]))
    standardised = [z_of(c) for c in random]
    return {
        "rows": pop["n"],
        "attributes": list(attributes),
        "fairlearn_boot": fairlearn_boot,
        "our_boot": our_boot,
        "mc_sets": sets,
        "comparisons": k,
        "degenerate_comparisons": len(degenerate),
        "max_abs_endpoint_diff": abs(largest[4]),
        "max_abs_endpoint_diff_at": list(largest[:4]),
        "tolerance_at_max_abs_diff": z_allowed * largest[5],
        "expected_diff_at_max_abs_diff": largest[6],
        "max_abs_expected_diff": max(abs(c[6]) for c in comparisons),
        "max_standardised_diff": abs(z_of(worst)),
        "max_standardised_diff_at": list(worst[:4]),
        "z_allowed": z_allowed,
        "mean_standardised_diff": statistics.fmean(standardised),
        "rms_standardised_diff": math.sqrt(statistics.fmean(z * z for z in standardised)),
        "within_tolerance": all(abs(z) <= z_allowed for z in standardised)
        and all(abs(c[4] - c[6]) <= 1e-12 for c in degenerate),
        "fairlearn_s": fairlearn_s,
        "wall_s": time.perf_counter() - start,
    }
