"""JSON-ready conversions shared by the score analyses: plain floats, None where a value is undefined."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np


def json_float(value: float | np.floating) -> float | None:
    """A plain float, or None for NaN / inf: JSON has no NaN, and an undefined rate must not read as a number."""
    value = float(value)
    return value if math.isfinite(value) else None


def by_group(groups: Sequence[str], values: np.ndarray) -> dict[str, float | None]:
    """``{group: value}`` in ``groups`` order, each value through :func:`json_float`."""
    return {group: json_float(value) for group, value in zip(groups, values, strict=True)}
