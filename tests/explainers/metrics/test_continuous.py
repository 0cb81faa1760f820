"""Continuous-score metrics against fairlearn's MetricFrame (same functions) and scipy, to 1e-12."""

import numpy as np
import pandas as pd
import pytest
from fairlearn.metrics import MetricFrame
from scipy import stats
from sklearn.metrics import mean_absolute_error, mean_squared_error

from explainers.metrics.continuous import ContinuousConfig, continuous_audit

CASES = [(0, [400, 300]), (1, [60, 900, 240]), (2, [150, 150, 150, 150, 900])]


def _rows(seed: int, sizes: list[int], ties: bool = False) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    group = np.repeat([f"g{i}" for i in range(len(sizes))], sizes)
    shift = np.repeat(rng.uniform(0, 0.3, len(sizes)), sizes)
    noise = np.repeat(rng.uniform(0.05, 0.3, len(sizes)), sizes)
    score = rng.beta(2, 3, group.size) + shift
    if ties:
        score = np.round(score, 1)  # many ties: ECDFs must be read at distinct values
    outcome = score + rng.normal(0, 1, group.size) * noise
    order = rng.permutation(group.size)
    return pd.DataFrame({"group": group[order], "score": score[order], "outcome": outcome[order]})


def _audit(rows, **config):
    return continuous_audit(
        rows["group"], rows["score"], rows["outcome"], attribute="g", config=ContinuousConfig(n_boot=50, **config)
    )


def _finding(result, metric, group):
    return next(f for f in result.findings if f.metric == metric and f.group == group)


@pytest.mark.parametrize(("seed", "sizes"), CASES)
def test_group_means_and_errors_equal_fairlearn_metricframe(seed, sizes):
    rows = _rows(seed, sizes)
    frame = MetricFrame(
        metrics={
            "mean": lambda y_true, y_pred: np.mean(y_pred),
            "mae": mean_absolute_error,
            "rmse": lambda y_true, y_pred: np.sqrt(mean_squared_error(y_true, y_pred)),
        },
        y_true=rows["outcome"],
        y_pred=rows["score"],
        sensitive_features=rows["group"],
    )
    result = _audit(rows)
    for group in result.groups:
        for name in ("mean", "mae", "rmse"):
            assert getattr(group, name) == pytest.approx(frame.by_group.loc[group.group, name], abs=1e-12)
    by_group = frame.by_group
    reference = result.reference_group
    assert reference == by_group["mean"].idxmax()  # no declared reference: the most favourable mean
    for group in by_group.index.drop(reference):
        difference = by_group.loc[group, "mean"] - by_group.loc[reference, "mean"]
        assert _finding(result, "mean_difference", group).value == pytest.approx(difference, abs=1e-12)
        ratio = by_group.loc[group, "mean"] / by_group.loc[reference, "mean"]
        assert _finding(result, "mean_ratio", group).value == pytest.approx(ratio, abs=1e-12)
        mae_ratio = by_group.loc[group, "mae"] / by_group.loc[reference, "mae"]
        assert _finding(result, "mae_ratio", group).value == pytest.approx(mae_ratio, abs=1e-12)
        rmse_ratio = by_group.loc[group, "rmse"] / by_group.loc[reference, "rmse"]
        assert _finding(result, "rmse_ratio", group).value == pytest.approx(rmse_ratio, abs=1e-12)
    worst = _finding(result, "worst_group_mae_ratio", by_group["mae"].idxmax())
    overall = mean_absolute_error(rows["outcome"], rows["score"])
    assert worst.value == pytest.approx(by_group["mae"].max() / overall, abs=1e-12)


@pytest.mark.parametrize("higher", [True, False])
@pytest.mark.parametrize(("seed", "sizes"), CASES)
def test_scoring_rates_and_impact_ratios_equal_metricframe_of_a_scoring_rate(seed, sizes, higher):
    rows = _rows(seed, sizes, ties=True)
    median = np.median(rows["score"])  # of the full sample (NYC LL144)

    def scoring_rate(y_true, y_pred):
        return np.mean(y_pred > median) if higher else np.mean(y_pred < median)

    frame = MetricFrame(
        metrics=scoring_rate, y_true=rows["outcome"], y_pred=rows["score"], sensitive_features=rows["group"]
    ).by_group
    result = _audit(rows, higher_is_favourable=higher)
    assert result.median == pytest.approx(median, abs=1e-12)
    for group in result.groups:
        assert group.scoring_rate == pytest.approx(frame[group.group], abs=1e-12)
    assert result.scoring_rate_reference == frame.idxmax()
    for group in frame.index.drop(frame.idxmax()):
        expected = frame[group] / frame.max()
        assert _finding(result, "scoring_rate_impact_ratio", group).value == pytest.approx(expected, abs=1e-12)


@pytest.mark.parametrize("ties", [False, True])
@pytest.mark.parametrize(("seed", "sizes"), CASES)
def test_ks_and_wasserstein_equal_scipy(seed, sizes, ties):
    rows = _rows(seed, sizes, ties=ties)
    result = _audit(rows, reference_group="g0")
    reference = rows.loc[rows["group"] == "g0", "score"]
    for group in sorted(set(rows["group"]) - {"g0"}):
        scores = rows.loc[rows["group"] == group, "score"]
        ks = stats.ks_2samp(scores, reference).statistic
        w1 = stats.wasserstein_distance(scores, reference)
        assert _finding(result, "ks_statistic", group).value == pytest.approx(ks, abs=1e-12)
        assert _finding(result, "wasserstein_distance", group).value == pytest.approx(w1, abs=1e-12)
        assert w1 > 0 and ks > 0


def test_intervals_are_seeded_cover_the_point_and_change_with_the_seed():
    rows = _rows(3, [500, 500])
    first, again, other = (_audit(rows, seed=s) for s in (7, 7, 8))
    assert first.findings == again.findings
    assert first.findings != other.findings
    for finding in first.findings:
        assert finding.ci_low <= finding.value <= finding.ci_high, finding


def test_interval_matches_a_row_bootstrap_by_index_resampling():
    # Weights from Multinomial(N, 1/N) are a row resampling: the interval must agree, within Monte-Carlo error,
    # with one computed by resampling row indices and calling numpy directly.
    rows = _rows(4, [300, 300])
    result = continuous_audit(
        rows["group"], rows["score"], attribute="g", config=ContinuousConfig(n_boot=2000, reference_group="g0")
    )
    rng = np.random.default_rng(99)
    group, score = rows["group"].to_numpy(), rows["score"].to_numpy()
    draws = []
    for _ in range(2000):
        index = rng.integers(0, len(rows), len(rows))
        g, s = group[index], score[index]
        draws.append(s[g == "g1"].mean() - s[g == "g0"].mean())
    low, high = np.percentile(draws, [2.5, 97.5])
    finding = _finding(result, "mean_difference", "g1")
    width = high - low
    assert abs(finding.ci_low - low) < 0.1 * width and abs(finding.ci_high - high) < 0.1 * width


def test_verdicts_follow_the_bands_and_small_groups_are_insufficient():
    rng = np.random.default_rng(5)
    group = np.repeat(["a", "b", "tiny"], [3000, 3000, 10])
    score = np.concatenate([rng.normal(5, 1, 3000), rng.normal(5, 1, 3000), rng.normal(9, 1, 10)])
    score[3000:6000] += 2.0  # group b scores 2 SD higher than a: a clear failure of the mean difference band
    result = continuous_audit(group, score, attribute="g", config=ContinuousConfig(n_boot=200, reference_group="a"))
    assert _finding(result, "mean_difference", "b").verdict == "fail"
    assert _finding(result, "mean_difference", "tiny").verdict == "insufficient_data"
    same = continuous_audit(
        group[:6000], np.concatenate([score[:3000], score[:3000][::-1]]), attribute="g",
        config=ContinuousConfig(n_boot=200, reference_group="a"),
    )  # fmt: skip
    assert _finding(same, "mean_difference", "b").verdict == "pass"
    assert _finding(same, "ks_statistic", "b").value == 0.0


def test_plan_bands_override_the_defaults_and_sd_bands_are_resolved():
    rows = _rows(0, [400, 300])
    result = _audit(rows, bands={"mean_ratio": [0.9, 1.1]})
    assert result.bands["mean_ratio"] == [0.9, 1.1]
    assert result.bands["mean_difference"] == pytest.approx([-0.2 * result.sd, 0.2 * result.sd])


def test_without_outcomes_error_metrics_are_absent_and_negative_scores_make_no_ratio():
    rows = _rows(1, [300, 300, 300])
    rows["score"] -= 1.0
    result = continuous_audit(rows["group"], rows["score"], attribute="g", config=ContinuousConfig(n_boot=20))
    metrics = {f.metric for f in result.findings}
    assert not metrics & {"mae_ratio", "rmse_ratio", "worst_group_mae_ratio"}
    assert {f.verdict for f in result.findings if f.metric == "mean_ratio"} == {"not_computable"}


def test_intervals_agree_with_fairlearn_metricframe_bootstrap_within_monte_carlo_error():
    # Two groups with a clear gap: fairlearn's between-groups difference (max - min) and ratio (min / max) are then
    # mean_r - mean_g and mean_g / mean_r in every replicate, so its bootstrap intervals must match ours.
    rng = np.random.default_rng(12)
    group = np.repeat(["a", "b"], [700, 500])
    score = np.concatenate([rng.gamma(4, 1, 700) + 1.0, rng.gamma(4, 1, 500)])
    frame = MetricFrame(
        metrics=lambda y_true, y_pred: np.mean(y_pred), y_true=score, y_pred=score, sensitive_features=group,
        n_boot=400, ci_quantiles=[0.025, 0.975], random_state=3,
    )  # fmt: skip
    result = continuous_audit(
        group, score, attribute="g", config=ContinuousConfig(n_boot=400, seed=4, reference_group="a")
    )
    theirs_difference = sorted(-value for value in frame.difference_ci())
    theirs_ratio = list(frame.ratio_ci())
    for metric, (low, high) in (("mean_difference", theirs_difference), ("mean_ratio", theirs_ratio)):
        ours = _finding(result, metric, "b")
        width = high - low
        assert abs(ours.ci_low - low) < 0.15 * width and abs(ours.ci_high - high) < 0.15 * width, (metric, ours)
