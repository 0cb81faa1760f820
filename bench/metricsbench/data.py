"""Synthetic population: string columns as users upload them, planted group effects."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

SEX = (("female", "male"), (0.5, 0.5))
RACE = (("white", "black", "hispanic", "asian", "indigenous"), (0.60, 0.13, 0.18, 0.06, 0.03))
AGE = (("18-25", "26-40", "41-60", "61+"), (0.15, 0.35, 0.35, 0.15))
ATTRIBUTE_COLUMNS = {
    "sex": ("sex",),
    "race": ("race",),
    "age_band": ("age_band",),
    "intersection": ("sex", "race", "age_band"),
}
INTERSECTION_COLUMN = "intersection"  # the engine has no multi-column attributes: the file carries this 4th column
SEPARATOR = "|"
# Planted effects: base rate by age band, TPR/FPR shifts by sex and race.
BASE_RATE_BY_AGE = np.array([0.35, 0.50, 0.55, 0.45])
BASE_RATE_BY_RACE = np.array([0.03, -0.05, -0.03, 0.04, -0.06])
TPR_BY_SEX, FPR_BY_SEX = np.array([0.72, 0.80]), np.array([0.18, 0.22])
TPR_BY_RACE = np.array([0.04, -0.08, -0.05, 0.02, -0.10])
FPR_BY_RACE = np.array([0.02, -0.04, -0.02, 0.03, -0.05])


def make_population(n_rows: int, seed: int) -> dict:
    """Codes, labels and decisions of ``n_rows`` synthetic applicants (deterministic in ``seed``)."""
    rng = np.random.default_rng(seed)
    codes = {}
    for name, (_, shares) in (("sex", SEX), ("race", RACE), ("age_band", AGE)):
        codes[name] = np.searchsorted(np.cumsum(shares), rng.random(n_rows), side="right").clip(max=len(shares) - 1)
    base = BASE_RATE_BY_AGE[codes["age_band"]] + BASE_RATE_BY_RACE[codes["race"]]
    outcome = rng.random(n_rows) < base
    tpr = TPR_BY_SEX[codes["sex"]] + TPR_BY_RACE[codes["race"]]
    fpr = FPR_BY_SEX[codes["sex"]] + FPR_BY_RACE[codes["race"]]
    decision = rng.random(n_rows) < np.where(outcome, tpr, fpr)
    return {"codes": codes, "outcome": outcome, "decision": decision, "n": n_rows}


def _intersection_labels() -> list[str]:
    return [SEPARATOR.join((s, r, a)) for s in SEX[0] for r in RACE[0] for a in AGE[0]]


def protected_arrow(pop: dict) -> dict[str, pa.Array]:
    """The protected columns as Arrow string arrays (what a CSV/Parquet upload becomes)."""
    codes = pop["codes"]
    columns = {
        name: pa.array(list(values)).take(pa.array(codes[name]))
        for name, (values, _) in (("sex", SEX), ("race", RACE), ("age_band", AGE))
    }
    cell = (codes["sex"] * len(RACE[0]) + codes["race"]) * len(AGE[0]) + codes["age_band"]
    columns[INTERSECTION_COLUMN] = pa.array(_intersection_labels()).take(pa.array(cell))
    return columns


def in_memory_frame(pop: dict) -> pd.DataFrame:
    """Protected columns as a pandas frame of ``str`` dtype, exactly as pandas reads an upload."""
    return pa.table(protected_arrow(pop)).to_pandas()
