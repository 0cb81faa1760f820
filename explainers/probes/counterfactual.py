"""Which rows a tabular probe uses and the frame of their counterfactual copies (design.md §5, §9)."""

from __future__ import annotations

import numpy as np
import pandas as pd

SAMPLE_STREAM = 0  # random stream of the row sample; the probe's bootstraps use other streams of the same seed


def stream_rng(seed: int, stream: int) -> np.random.Generator:
    """Generator for one purpose of one seed; streams are independent, so adding one never shifts another."""
    return np.random.default_rng([int(seed), int(stream)])


def probe_groups(frame: pd.DataFrame, column: str, groups: list[str] | None = None) -> tuple[str, ...]:
    """Group labels as ``str``: the given ones (first occurrence order), else the column's values sorted.

    Raises:
        ValueError: if the column is absent or fewer than two groups remain.
    """
    if column not in frame.columns:
        raise ValueError(f"protected column {column!r} is not in the frame")
    if groups is None:
        labels = tuple(sorted(set(_labels(frame[column].dropna().drop_duplicates()))))
    else:
        labels = tuple(dict.fromkeys(str(group) for group in groups))
    if len(labels) < 2:
        raise ValueError(f"a counterfactual probe needs at least two groups in {column!r}, found {list(labels)}")
    return labels


def sample_rows(
    frame: pd.DataFrame, *, column: str, groups: list[str] | None = None, max_rows: int = 20_000, seed: int = 0
) -> np.ndarray:
    """Positions (``iloc``) in ``frame`` of the rows the probe uses, ascending.

    Rows with a missing protected value, or one outside ``groups``, have no group to move from and are
    dropped; of the rest a seeded uniform sample without replacement of at most ``max_rows`` is kept. The probe
    calls this with the same arguments, so ``sample_rows(...)[example["row"]]`` locates an example.

    Raises:
        ValueError: as :func:`probe_groups`, or when no row remains.
    """
    labels = probe_groups(frame, column, groups)
    values = frame[column]
    eligible = np.flatnonzero((values.notna() & _labels(values).isin(labels)).to_numpy())
    if eligible.size == 0:
        raise ValueError(f"no row of {column!r} holds one of the groups {list(labels)}")
    if eligible.size > max_rows:
        chosen = stream_rng(seed, SAMPLE_STREAM).choice(eligible.size, size=int(max_rows), replace=False)
        eligible = eligible[np.sort(chosen)]
    return eligible


def counterfactual_frame(
    inputs: pd.DataFrame, original: pd.Series, column: str, labels: tuple[str, ...]
) -> pd.DataFrame:
    """``len(labels)`` stacked copies of ``inputs``; block g has ``column`` set to group g, all else fixed.

    Row ``g * len(inputs) + i`` is row i as a member of group g, so a row's own block reproduces it and the
    caller gets the factual and every counterfactual prediction from one model call.

    Args:
        original: the protected column of the full frame: its dtype, and the stored value behind each label.
    """
    values = group_values(original, labels)
    n = len(inputs)
    stacked = inputs.iloc[np.tile(np.arange(n), len(labels))].reset_index(drop=True)
    # Through object and back to the column's dtype, so a categorical stays categorical and an int stays int.
    stacked[column] = pd.Series(values, dtype=object).repeat(n).set_axis(stacked.index).astype(original.dtype)
    return stacked


def group_values(original: pd.Series, labels: tuple[str, ...]) -> list:
    """The value to store for each label, in the column's own type (design.md §5: "all else fixed").

    A label seen in the column maps back to the stored value it came from (so "1" gives back the integer 1
    and "1.0" the float); a label not seen is converted with the column's dtype.

    Raises:
        ValueError: if the dtype cannot hold a label (a text label in a numeric column, an unknown category).
    """
    dtype = original.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        seen = pd.Series(original.cat.categories)
    else:
        seen = original.dropna().drop_duplicates()
    lookup: dict[str, object] = {}
    for label, value in zip(_labels(seen), seen, strict=True):
        lookup.setdefault(label, value)
    values = []
    for label in labels:
        if label in lookup:
            values.append(lookup[label])
            continue
        if isinstance(dtype, pd.CategoricalDtype):
            raise ValueError(f"group {label!r} is not a category of {original.name!r}")
        try:
            converted = pd.Series([label], dtype=object).astype(dtype)
        except (TypeError, ValueError) as error:
            raise ValueError(f"group {label!r} cannot be stored in {original.name!r} of dtype {dtype}") from error
        if converted.isna().iloc[0]:
            raise ValueError(f"group {label!r} reads as missing in {original.name!r} of dtype {dtype}")
        values.append(converted.iloc[0])
    return values


def group_codes(values: pd.Series, labels: tuple[str, ...]) -> np.ndarray:
    """Index of each value's label in ``labels``; -1 for missing values and values outside the labels."""
    return np.where(values.notna().to_numpy(), pd.Index(labels).get_indexer(_labels(values)), -1).astype(np.int64)


def _labels(values: pd.Series) -> pd.Series:
    # One spelling of "value as str" everywhere (pandas' astype), so a group found here is found again later.
    return values.astype(str)
