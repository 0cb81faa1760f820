"""Which non-protected features carry the protected attribute: association measures (design.md §5 "proxies")."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from explainers.metrics.significance import holm_adjust

CRAMERS_V = "cramers_v_bias_corrected"
CORRELATION_RATIO = "correlation_ratio"
CHI_SQUARE = "chi_square_independence"
ANOVA_F = "one_way_anova_f"

# A feature counts as a proxy only when its association is significant after Holm across the features tested
# AND at least this strong (Cramér's V / eta of 0.3: "moderate" in Cohen's 1988 terms).
DEFAULT_PROXY_ALPHA = 0.05
DEFAULT_MIN_ASSOCIATION = 0.3


@dataclass(frozen=True)
class ProxyFeature:
    """Association of one feature with the protected attribute, in [0, 1] (design.md §5).

    ``method`` is ``"cramers_v_bias_corrected"`` (Bergsma 2013) for categorical features and
    ``"correlation_ratio"`` (eta) for numeric ones. Both are 0 without association and 1 when the feature
    determines the group (V) or the group determines the feature (eta); they are not the same scale, so
    compare within a method first.
    """

    feature: str
    association: float
    method: str
    # Test of independence between feature and group: chi-square (categorical) or one-way ANOVA F (numeric).
    p_value: float | None = None
    test: str = ""


@dataclass(frozen=True)
class ProxyRule:
    """When a feature counts as a proxy of the protected attribute; recorded with every proxy share.

    A feature is a proxy when its test of independence rejects at ``alpha`` after Holm's adjustment across the
    features tested, and its association (bias-corrected Cramér's V, or eta for numeric features) is at least
    ``min_association``. Significance alone is not enough: on tens of thousands of rows a V of 0.03 is
    "significant" yet carries almost nothing of the group; strength alone is not enough on a handful of rows.
    """

    alpha: float = DEFAULT_PROXY_ALPHA
    min_association: float = DEFAULT_MIN_ASSOCIATION

    def __post_init__(self) -> None:
        if not 0 < self.alpha < 1:
            raise ValueError("alpha must lie strictly between 0 and 1")
        if not 0 <= self.min_association <= 1:
            raise ValueError("min_association must lie in [0, 1]")

    def to_dict(self) -> dict:
        return {
            "alpha": self.alpha,
            "min_association": self.min_association,
            "test": f"{CHI_SQUARE} (categorical features) or {ANOVA_F} (numeric features)",
            "adjustment": "holm across the features tested",
            "weighting": "proxy_share = sum over proxies of association x attribution share",
        }


def qualify_proxies(features: list[ProxyFeature], rule: ProxyRule) -> list[tuple[ProxyFeature, float | None, bool]]:
    """``(feature, Holm-adjusted p, is_proxy)`` for each measured feature, in the input order (see ProxyRule)."""
    adjusted = holm_adjust([item.p_value for item in features])
    return [
        (item, p_holm, p_holm is not None and p_holm < rule.alpha and item.association >= rule.min_association)
        for item, p_holm in zip(features, adjusted, strict=True)
    ]


def proxy_features(frame: pd.DataFrame, groups: pd.Series | np.ndarray, features: list[str]) -> list[ProxyFeature]:
    """Association of each feature in ``features`` with the group labels, strongest first (ties by name).

    Rows where either the feature or the group is missing are left out of that feature's measure.
    """
    results = []
    group_codes, _ = pd.factorize(groups)
    for feature in features:
        column = frame[feature]
        if pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column):
            numbers = column.to_numpy(dtype=np.float64, na_value=np.nan)
            eta = correlation_ratio(group_codes, numbers)
            results.append(
                ProxyFeature(str(feature), eta, CORRELATION_RATIO, anova_p_value(group_codes, numbers), ANOVA_F)
            )
        else:
            codes = pd.factorize(column)[0]
            v = cramers_v(group_codes, codes)
            results.append(ProxyFeature(str(feature), v, CRAMERS_V, chi_square_p_value(group_codes, codes), CHI_SQUARE))
    return sorted(results, key=lambda item: (-item.association, item.feature))


def chi_square_p_value(x_codes: np.ndarray, y_codes: np.ndarray) -> float | None:
    """p-value of Pearson's chi-square test of independence (no continuity correction); None if untestable."""
    keep = (x_codes >= 0) & (y_codes >= 0)
    x, y = _compact(x_codes[keep]), _compact(y_codes[keep])
    if x.size < 2 or x.max() < 1 or y.max() < 1:
        return None
    k = int(y.max()) + 1
    observed = np.bincount(x * k + y, minlength=(int(x.max()) + 1) * k).reshape(-1, k)
    return float(stats.chi2_contingency(observed, correction=False).pvalue)


def anova_p_value(group_codes: np.ndarray, values: np.ndarray) -> float | None:
    """p-value of the one-way ANOVA F test of equal group means (the test that goes with eta); None if untestable."""
    keep = (group_codes >= 0) & np.isfinite(values)
    codes, values = _compact(group_codes[keep]), values[keep]
    samples = [values[codes == g] for g in range(int(codes.max()) + 1)] if codes.size else []
    if len(samples) < 2 or values.size <= len(samples) or float(np.ptp(values)) == 0.0:
        return None
    with np.errstate(all="ignore"):
        p_value = float(stats.f_oneway(*samples).pvalue)
    return p_value if math.isfinite(p_value) else None


def cramers_v(x_codes: np.ndarray, y_codes: np.ndarray) -> float:
    """Bias-corrected Cramér's V of two code arrays (-1 = missing), Bergsma (2013), J. Korean Stat. Soc. 42.

    The plain V of a high-cardinality feature is inflated by chance alone (every zip code "predicts" a little);
    the correction subtracts the chi-square expected under independence, so an unrelated feature scores ~0.
    """
    keep = (x_codes >= 0) & (y_codes >= 0)
    x, y = _compact(x_codes[keep]), _compact(y_codes[keep])
    n = x.size
    r, k = (int(x.max()) + 1, int(y.max()) + 1) if n else (0, 0)
    if n < 2 or r < 2 or k < 2:
        return 0.0
    observed = np.bincount(x * k + y, minlength=r * k).reshape(r, k).astype(np.float64)
    expected = np.outer(observed.sum(axis=1), observed.sum(axis=0)) / n
    chi2 = float(((observed - expected) ** 2 / expected).sum())
    phi2 = max(0.0, chi2 / n - (k - 1) * (r - 1) / (n - 1))
    r_corr = r - (r - 1) ** 2 / (n - 1)
    k_corr = k - (k - 1) ** 2 / (n - 1)
    denominator = min(k_corr - 1, r_corr - 1)
    if denominator <= 0:
        return 0.0
    return _unit(math.sqrt(phi2 / denominator))


def correlation_ratio(group_codes: np.ndarray, values: np.ndarray) -> float:
    """Correlation ratio eta = sqrt(between-group sum of squares / total sum of squares) (Pearson 1903).

    A constant feature carries no information about the group, so it scores 0 rather than NaN.
    """
    keep = (group_codes >= 0) & np.isfinite(values)
    codes, values = _compact(group_codes[keep]), values[keep]
    if values.size < 2:
        return 0.0
    total = float(((values - values.mean()) ** 2).sum())
    if total <= 0:
        return 0.0
    counts = np.bincount(codes)
    means = np.bincount(codes, weights=values) / np.maximum(counts, 1)
    between = float((counts * (means - values.mean()) ** 2).sum())
    return _unit(math.sqrt(between / total))


def _compact(codes: np.ndarray) -> np.ndarray:
    """Renumber codes 0..m-1 so categories with no remaining rows do not count as table rows or columns."""
    if codes.size == 0:
        return codes.astype(np.int64)
    return np.unique(codes, return_inverse=True)[1].astype(np.int64)


def _unit(value: float) -> float:
    # Rounding can push a perfect association a hair past 1.
    return float(min(1.0, max(0.0, value)))
