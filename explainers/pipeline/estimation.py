"""Count one chunk for an estimated attribute: membership probabilities (BISG / BIFSG), then soft patterns.

The estimate is made once per chunk and reused by every decision class; individual probabilities never leave
this function (only the collapsed patterns do, as counts per distinct probability vector and cell).
"""

import numpy as np
import pandas as pd

from explainers.estimated.bisg import LEVELS, RACE_LABELS, estimate_race
from explainers.estimated.soft import SoftPatterns, soft_patterns

from .spec import EstimatedSpec


def count_estimated(
    spec: EstimatedSpec,
    frame: pd.DataFrame,
    keep: np.ndarray,
    yhat: np.ndarray,
    y: np.ndarray | None,
    cache: dict,
) -> SoftPatterns:
    """Soft patterns of the rows in `keep` (rows with a decision and, when audited, an outcome).

    `cache` keeps the chunk's estimates by proxy columns, so each is made once for all decision classes.
    """
    if spec.estimate != "race":
        raise ValueError(f"unknown estimate {spec.estimate!r}; known: race")
    key = (spec.surname_column, spec.zip_column, spec.first_name_column)
    if key not in cache:
        cache[key] = estimate_race(
            frame[spec.surname_column],
            zips=frame[spec.zip_column] if spec.zip_column else None,
            first_names=frame[spec.first_name_column] if spec.first_name_column else None,
        )
    estimate = cache[key]
    return soft_patterns(
        RACE_LABELS,
        estimate.probabilities[keep],
        np.asarray(yhat)[keep],
        None if y is None else np.asarray(y)[keep],
        estimate.level[keep],
        len(LEVELS),
    )
