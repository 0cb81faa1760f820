"""Proxy association measures (design.md §5 "which non-protected features act as proxies")."""

import numpy as np
import pandas as pd
import pytest
from scipy.stats import chi2_contingency
from sklearn.linear_model import LinearRegression

from explainers.probes.proxies import (
    ProxyFeature,
    ProxyRule,
    chi_square_p_value,
    correlation_ratio,
    cramers_v,
    proxy_features,
    qualify_proxies,
)


def _codes(values) -> np.ndarray:
    return pd.factorize(pd.Series(values))[0]


def test_perfectly_determined_feature_has_cramers_v_one():
    rng = np.random.default_rng(0)
    group = rng.choice(["a", "b", "c"], size=600)
    area = pd.Series(group).map({"a": "north", "b": "south", "c": "east"})
    assert cramers_v(_codes(group), _codes(area)) == pytest.approx(1.0, abs=1e-9)


def test_bias_correction_removes_the_chance_association_of_a_many_valued_feature():
    rng = np.random.default_rng(1)
    group, zip_code = rng.choice(["a", "b"], size=500), rng.integers(0, 60, size=500)
    table = pd.crosstab(group, zip_code).to_numpy()
    chi2 = chi2_contingency(table, correction=False)[0]
    plain = np.sqrt(chi2 / table.sum())  # min(r, k) - 1 = 1 for two groups
    corrected = cramers_v(_codes(group), _codes(zip_code))
    assert plain > 0.25  # chance alone inflates the plain V at 60 categories and 500 rows
    assert corrected < 0.1


def test_cramers_v_matches_bergsmas_formula_on_scipys_chi_square():
    rng = np.random.default_rng(2)
    group = rng.choice(["a", "b", "c"], size=800)
    feature = np.where(rng.random(800) < 0.4, group, rng.choice(["a", "b", "c", "d"], size=800))
    table = pd.crosstab(group, feature).to_numpy()
    n, (r, k) = table.sum(), table.shape
    chi2 = chi2_contingency(table, correction=False)[0]
    phi2 = max(0, chi2 / n - (k - 1) * (r - 1) / (n - 1))
    expected = np.sqrt(phi2 / min(k - (k - 1) ** 2 / (n - 1) - 1, r - (r - 1) ** 2 / (n - 1) - 1))
    assert cramers_v(_codes(group), _codes(feature)) == pytest.approx(expected, rel=1e-12)


def test_correlation_ratio_is_the_root_of_r_squared_on_group_dummies():
    rng = np.random.default_rng(3)
    group = rng.choice(["a", "b", "c"], size=900)
    income = rng.normal(0, 1, size=900) + pd.Series(group).map({"a": 0.0, "b": 0.5, "c": 1.5}).to_numpy()
    dummies = pd.get_dummies(group).to_numpy(dtype=float)
    r2 = LinearRegression().fit(dummies, income).score(dummies, income)
    assert correlation_ratio(_codes(group), income) == pytest.approx(np.sqrt(r2), rel=1e-9)


def test_constant_or_missing_values_do_not_produce_nan():
    codes = _codes(["a", "b"] * 50)
    assert correlation_ratio(codes, np.full(100, 3.0)) == 0.0
    with_gaps = np.where(np.arange(100) % 3 == 0, np.nan, codes.astype(float))
    assert correlation_ratio(codes, with_gaps) == pytest.approx(1.0)
    assert cramers_v(codes, np.zeros(100, dtype=np.int64)) == 0.0


def test_proxy_features_pick_the_method_by_dtype_and_sort_strongest_first():
    rng = np.random.default_rng(4)
    group = rng.choice(["a", "b"], size=1000)
    frame = pd.DataFrame(
        {
            "noise": rng.normal(size=1000),
            "shifted": rng.normal(size=1000) + (group == "b") * 2.0,
            "flag": (group == "b") ^ (rng.random(1000) < 0.2),
            "colour": rng.choice(["red", "blue"], size=1000),
        }
    )
    found = proxy_features(frame, pd.Series(group), ["noise", "shifted", "flag", "colour"])
    assert [p.feature for p in found[:2]] == ["shifted", "flag"]
    methods = {p.feature: p.method for p in found}
    assert methods == {
        "noise": "correlation_ratio",
        "shifted": "correlation_ratio",
        "flag": "cramers_v_bias_corrected",
        "colour": "cramers_v_bias_corrected",
    }
    associations = [p.association for p in found]
    assert associations == sorted(associations, reverse=True)
    assert all(isinstance(a, float) and 0 <= a <= 1 for a in associations)


def test_chi_square_p_value_matches_scipy_on_the_crosstab():
    rng = np.random.default_rng(7)
    group = rng.choice(["a", "b", "c"], size=600)
    feature = np.where(rng.random(600) < 0.2, "x", rng.choice(["x", "y"], size=600))
    expected = chi2_contingency(pd.crosstab(group, feature).to_numpy(), correction=False).pvalue
    assert chi_square_p_value(pd.factorize(group)[0], pd.factorize(feature)[0]) == pytest.approx(expected, rel=1e-12)


def test_a_proxy_must_be_both_significant_after_holm_and_strong_enough():
    rule = ProxyRule(alpha=0.05, min_association=0.3)
    weak_but_significant = ProxyFeature("zip_tilt", 0.04, "cramers_v_bias_corrected", 1e-9, "chi_square_independence")
    strong_but_untested = ProxyFeature("tiny", 0.9, "cramers_v_bias_corrected", 0.03, "chi_square_independence")
    strong = ProxyFeature("zip", 0.8, "cramers_v_bias_corrected", 1e-12, "chi_square_independence")
    judged = qualify_proxies([weak_but_significant, strong_but_untested, strong], rule)
    # Holm with m = 3: 0.03 is the largest p, so it is multiplied by 1 but runs after max(3e-12, 2e-9) -> 0.03 < 0.05;
    # a fourth feature pushes it over: the adjustment counts every feature tested.
    assert [row[2] for row in judged] == [False, True, True]
    fourth = ProxyFeature("other", 0.0, "correlation_ratio", 0.9, "one_way_anova_f")
    judged = qualify_proxies([weak_but_significant, strong_but_untested, strong, fourth], rule)
    assert [row[2] for row in judged] == [False, False, True, False]
    assert judged[1][1] == pytest.approx(0.06)
