"""The BISG / BIFSG estimate: surgeo's models, the fallback levels, coverage, and the national prior."""

import numpy as np
import pandas as pd
import pytest
import surgeo

from explainers.estimated.bisg import (
    LEVELS,
    NATIONAL_PRIOR,
    SURGEO_COLUMNS,
    estimate_race,
    method_description,
)


def test_each_row_gets_the_most_informed_estimate_its_inputs_allow():
    surnames = pd.Series(["Garcia", "Nguyen", "Xqzzyvk", "Xqzzyvk", "Washington"])
    zips = pd.Series(["94103", None, "60621", None, "abc"])
    estimate = estimate_race(surnames, zips=zips)
    assert [LEVELS[i] for i in estimate.level] == ["bisg", "surname", "geography", "prior", "surname"]
    columns = list(SURGEO_COLUMNS)
    bisg = surgeo.SurgeoModel().get_probabilities(surnames[:1], zips[:1])[columns].to_numpy()[0]
    np.testing.assert_allclose(estimate.probabilities[0], bisg / bisg.sum(), rtol=1e-12)
    nguyen = surgeo.SurnameModel().get_probabilities(pd.Series(["Nguyen"]))[columns].to_numpy()[0]
    np.testing.assert_allclose(estimate.probabilities[1], nguyen / nguyen.sum(), rtol=1e-12)
    area = surgeo.GeocodeModel().get_probabilities(pd.Series(["60621"]))[columns].to_numpy()[0]
    np.testing.assert_allclose(estimate.probabilities[2], area / area.sum(), rtol=1e-12)
    np.testing.assert_allclose(estimate.probabilities[3], NATIONAL_PRIOR)
    np.testing.assert_allclose(estimate.probabilities.sum(axis=1), 1.0)
    assert estimate.method == "BISG"
    assert estimate.surname_coverage() == pytest.approx(3 / 5)
    assert estimate.fallback_share() == pytest.approx(2 / 5)


def test_bifsg_uses_the_first_name_and_falls_back_to_bisg_without_one():
    estimate = estimate_race(
        pd.Series(["Smith", "Smith"]), zips=pd.Series(["10001", "10001"]), first_names=pd.Series(["Maria", "Qzxv"])
    )
    assert [LEVELS[i] for i in estimate.level] == ["bifsg", "bisg"]
    assert estimate.method == "BIFSG"
    expected = surgeo.BIFSGModel().get_probabilities(pd.Series(["Maria"]), pd.Series(["Smith"]), pd.Series(["10001"]))
    values = expected[list(SURGEO_COLUMNS)].to_numpy()[0]
    np.testing.assert_allclose(estimate.probabilities[0], values / values.sum(), rtol=1e-12)
    with pytest.raises(ValueError, match="ZIP"):
        estimate_race(pd.Series(["Smith"]), first_names=pd.Series(["Maria"]))


def test_zip_codes_are_read_as_zctas_however_they_are_stored():
    as_text = estimate_race(pd.Series(["Lee"] * 3), zips=pd.Series(["02134", "02134-1234", " 02134"]))
    as_number = estimate_race(pd.Series(["Lee"] * 2), zips=pd.Series([2134.0, 2134.0]))
    assert set(as_text.level) == set(as_number.level) == {LEVELS.index("bisg")}
    np.testing.assert_allclose(as_number.probabilities[0], as_text.probabilities[0])
    np.testing.assert_allclose(as_text.probabilities[2], as_text.probabilities[0])


def test_national_prior_is_the_one_implied_by_surgeos_zcta_tables():
    """P(r | z) / P(z | r) is proportional to P(r) for every ZCTA; its normalised value is the prior."""
    given_zcta = surgeo.GeocodeModel()._PROB_RACE_GIVEN_GEO[list(SURGEO_COLUMNS)]
    zcta_given = surgeo.SurgeoModel()._PROB_GEO_GIVEN_RACE[list(SURGEO_COLUMNS)]
    common = given_zcta.index.intersection(zcta_given.index)
    a = given_zcta.loc[common].to_numpy(dtype=float)
    b = zcta_given.loc[common].to_numpy(dtype=float)
    usable = np.isfinite(a).all(axis=1) & np.isfinite(b).all(axis=1) & (a > 0).all(axis=1) & (b > 0).all(axis=1)
    implied = a[usable] / b[usable]
    implied /= implied.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(np.median(implied, axis=0), NATIONAL_PRIOR, atol=2e-4)


def test_method_description_names_the_method_package_and_tables():
    described = method_description(zip_given=True, first_name_given=False)
    assert described["method"] == "BISG"
    assert described["package"] == f"surgeo {surgeo.VERSION}"
    assert any("surname" in table for table in described["tables"]) and any("ZCTA" in t for t in described["tables"])
