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
    text = series.astype("string").str.strip()
    return text.isin(values).fillna(False).to_numpy(dtype=bool)


def group_labels(series: pd.Series) -> pd.Series:
    """Protected values as text labels (integers without '.0'); missing stays missing."""
    if pd.api.types.is_float_dtype(series):
        non_missing = series.dropna()
        if len(non_missing) and (non_missing == non_missing.round()).all():
            series = series.astype("Int64")
    return series.astype("string").str.strip()
