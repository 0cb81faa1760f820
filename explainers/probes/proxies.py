"""Which non-protected features carry the protected attribute: association measures (design.md §5 "proxies")."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

CRAMERS_V = "cramers_v_bias_corrected"
CORRELATION_RATIO = "correlation_ratio"


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
            results.append(ProxyFeature(str(feature), correlation_ratio(group_codes, numbers), CORRELATION_RATIO))
        else:
            results.append(ProxyFeature(str(feature), cramers_v(group_codes, pd.factorize(column)[0]), CRAMERS_V))
    return sorted(results, key=lambda item: (-item.association, item.feature))


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
