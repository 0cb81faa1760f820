"""Matching declared favourable values against column values, whatever the column's type."""

import numpy as np
import pandas as pd


def normalise_values(values) -> list[str]:
    """Favourable values as a list of non-empty strings ("0", "Low"); accepts a string or a list."""
    if values is None:
        return []
    if isinstance(values, str):
        values = [values]
    return [str(v).strip() for v in values if str(v).strip() != ""]


def favourable_mask(series: pd.Series, values: list[str]) -> np.ndarray:
    """True where the row's value is one of `values`.

    Numeric columns compare numerically ("1" matches 1 and 1.0); other columns compare the text
    exactly after trimming surrounding spaces. Missing values are never favourable.
    """
    if pd.api.types.is_bool_dtype(series):
        wanted = {v.lower() for v in values}
        truthy = bool(wanted & {"true", "1", "yes"})
        falsy = bool(wanted & {"false", "0", "no"})
        data = series.to_numpy(dtype=bool, na_value=False)
        return (data & truthy) | (~data & falsy & series.notna().to_numpy())
    if pd.api.types.is_numeric_dtype(series):
        numbers = []
        for value in values:
            try:
                numbers.append(float(value))
            except ValueError:
                continue
        return series.isin(numbers).to_numpy(dtype=bool)
    # Decide once per distinct value, then broadcast: text work on N rows is the slow part of a big audit.
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    wanted = pd.Series(uniques, dtype="string").str.strip().isin(values).fillna(False).to_numpy(dtype=bool)
    return np.append(wanted, False)[codes]  # code -1 (missing) picks the appended False


def group_codes(series: pd.Series) -> tuple[np.ndarray, list[str]]:
    """Protected values as integer codes into text labels (-1 = missing), one factorization per column.

    Labels are normalised as group_labels does; values that normalise to the same label share a code.
    """
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    labels = group_labels(pd.Series(uniques, dtype=series.dtype if len(uniques) else None))
    label_codes, distinct = pd.factorize(labels, use_na_sentinel=True)
    merged = np.append(label_codes, -1)[codes]  # -1 stays missing; blanks that normalise to NA become missing
    return merged.astype(np.int64), [str(label) for label in distinct]


def group_labels(series: pd.Series) -> pd.Series:
    """Protected values as text labels (integers without '.0'); missing stays missing."""
    if pd.api.types.is_float_dtype(series):
        non_missing = series.dropna()
        if len(non_missing) and (non_missing == non_missing.round()).all():
            series = series.astype("Int64")
    return series.astype("string").str.strip()
