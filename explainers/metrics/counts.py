"""The count table ``cells[g, y, yhat]``: the single pass over the data that every group metric starts from.

Every group metric of design.md §4, and every bootstrap replicate, is a function of this table alone, so
large datasets are counted chunk by chunk and the chunk tables are added (design.md §2, §9).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

# Index 1 on the y and yhat axes is the favourable value (design.md §4).
FAV = 1
UNFAV = 0


@dataclass(frozen=True, eq=False)
class CountTable:
    """Counts of rows per (group, true outcome, decision).

    Attributes:
        groups: group labels, sorted in ``str`` order.
        cells: read-only int64 array of shape ``(G, 2, 2)`` indexed ``[g, y, yhat]``, index 1 = favourable.
            Without an outcome every row sits at ``y`` index 0.
        has_outcome: whether ``y`` was observed; when False the y axis carries no information.
    """

    groups: tuple[str, ...]
    cells: np.ndarray
    has_outcome: bool

    def __post_init__(self) -> None:
        groups = tuple(str(g) for g in self.groups)
        if len(set(groups)) != len(groups):
            raise ValueError("CountTable groups must be unique")
        if list(groups) != sorted(groups):
            raise ValueError("CountTable groups must be sorted in str order")
        cells = np.array(self.cells, dtype=np.int64)  # copy: the caller's array must not alias a frozen table
        if cells.shape != (len(groups), 2, 2):
            raise ValueError(f"cells must have shape ({len(groups)}, 2, 2), got {cells.shape}")
        if (cells < 0).any():
            raise ValueError("cells must be non-negative counts")
        if not self.has_outcome and cells[:, FAV, :].any():
            raise ValueError("a table without outcome must keep every count at y index 0")
        cells.flags.writeable = False
        object.__setattr__(self, "groups", groups)
        object.__setattr__(self, "cells", cells)
        object.__setattr__(self, "has_outcome", bool(self.has_outcome))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, CountTable):
            return NotImplemented
        return (
            self.groups == other.groups
            and self.has_outcome == other.has_outcome
            and np.array_equal(self.cells, other.cells)
        )

    __hash__ = None  # type: ignore[assignment]  # holds an array, and equality is by value

    @property
    def n(self) -> int:
        """Total number of rows counted."""
        return int(self.cells.sum())

    def group_sizes(self) -> np.ndarray:
        """Rows per group, shape ``(G,)``, in ``groups`` order."""
        return self.cells.sum(axis=(1, 2))

    def merge(self, other: CountTable) -> CountTable:
        """Return the table of the union of both tables' rows (cells added, groups united and sorted).

        Raises:
            ValueError: if one table has an outcome and the other has not (their y axes mean different things).
        """
        if self.has_outcome != other.has_outcome:
            raise ValueError("cannot merge a table with outcome and a table without outcome")
        groups = tuple(sorted(set(self.groups) | set(other.groups)))
        position = {g: i for i, g in enumerate(groups)}
        cells = np.zeros((len(groups), 2, 2), dtype=np.int64)
        for table in (self, other):
            index = np.fromiter((position[g] for g in table.groups), dtype=np.intp, count=len(table.groups))
            cells[index] += table.cells  # groups are unique within a table, so fancy-index += is exact
        return CountTable(groups=groups, cells=cells, has_outcome=self.has_outcome)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form, so chunk tables can travel between Celery workers."""
        return {"groups": list(self.groups), "cells": self.cells.tolist(), "has_outcome": self.has_outcome}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CountTable:
        """Inverse of :meth:`to_dict`."""
        cells = np.asarray(data["cells"], dtype=np.int64).reshape(len(data["groups"]), 2, 2)
        return cls(groups=tuple(data["groups"]), cells=cells, has_outcome=bool(data["has_outcome"]))


def count_table(groups: Any, decision: Any, outcome: Any | None = None) -> CountTable:
    """Count rows per (group, y, yhat) in one vectorised pass.

    Args:
        groups: 1-D array-like of group labels (converted to ``str``), no missing values.
        decision: 1-D bool array, True = favourable decision ``yhat``.
        outcome: 1-D bool array, True = favourable true outcome ``y``; None when the data has no labels.

    Raises:
        ValueError: on length mismatch, non 1-D input, missing group labels, or non-boolean decisions/outcomes.
    """
    if not isinstance(groups, (pd.Series, pd.Index, np.ndarray, pd.api.extensions.ExtensionArray)):
        groups = np.asarray(groups, dtype=object)  # pandas no longer factorizes plain lists
    if np.ndim(groups) != 1:
        raise ValueError("groups must be 1-D")
    yhat = _as_bool("decision", decision, len(groups))
    y = _as_bool("outcome", outcome, len(groups)) if outcome is not None else np.zeros(len(groups), dtype=bool)

    codes, uniques = pd.factorize(groups, sort=False)
    if (codes < 0).any():
        raise ValueError("groups contains missing values; drop or label them before counting")
    labels = [str(u) for u in uniques]
    if len(set(labels)) != len(labels):
        raise ValueError("distinct group values map to the same str label")
    # Sort on the str labels (not the raw values) so tables built from ints and from strings agree and merge.
    order = np.argsort(np.array(labels, dtype=object), kind="stable")
    rank = np.empty(len(labels), dtype=np.intp)
    rank[order] = np.arange(len(labels))

    n_groups = len(labels)
    flat = rank[codes] * 4 + y.astype(np.intp) * 2 + yhat.astype(np.intp)
    cells = np.bincount(flat, minlength=n_groups * 4).reshape(n_groups, 2, 2)
    return CountTable(groups=tuple(labels[i] for i in order), cells=cells, has_outcome=outcome is not None)


def _as_bool(name: str, values: Any, length: int) -> np.ndarray:
    """Accept bool arrays, or 0/1 numbers; anything else is a caller bug we refuse to guess about."""
    array = np.asarray(values)
    if array.ndim != 1 or len(array) != length:
        raise ValueError(f"{name} must be 1-D with the same length as groups ({length}), got shape {array.shape}")
    if array.dtype == bool:
        return array
    if array.dtype.kind in "iuf" and np.isin(array, (0, 1)).all():
        return array.astype(bool)
    raise ValueError(f"{name} must be boolean (True = favourable), got dtype {array.dtype}")
