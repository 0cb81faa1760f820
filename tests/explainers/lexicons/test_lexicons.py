"""Lexicon files and loader (design.md §5: versioned data files with a recorded licence and source)."""

import json

import pytest

from explainers.lexicons import Lexicon, available_lexicons, load_lexicon

USER = {
    "name": "titles",
    "version": "2",
    "licence": "CC0-1.0",
    "source": "written for a test",
    "groups": ["a", "b"],
    "pairs": [["queen", "king"], ["Duchess", "duke"]],
    "control": {"a": [["queen", "duchess"]]},
}


def _write(tmp_path, data) -> str:
    path = tmp_path / "user.json"
    path.write_text(json.dumps(data) if isinstance(data, dict) else data, encoding="utf-8")
    return str(path)


def test_built_in_gender_lexicon_loads_by_name_and_version():
    assert "gender" in available_lexicons()
    lexicon = load_lexicon("gender")
    assert isinstance(lexicon, Lexicon)
    assert (lexicon.name, lexicon.version, lexicon.groups) == ("gender", "1", ("female", "male"))
    assert load_lexicon("gender.v1") == lexicon


def test_gender_lexicon_carries_a_redistributable_licence_and_source():
    lexicon = load_lexicon("gender")
    assert lexicon.licence.startswith("CC0-1.0")
    assert "authored by this project" in lexicon.licence
    assert lexicon.source


def test_ambiguous_her_maps_to_his_and_him_back_to_her():
    lexicon = load_lexicon("gender")
    forward, backward = lexicon.mapping("female", "male"), lexicon.mapping("male", "female")
    assert forward["her"] == "his" and forward["she"] == "he" and forward["ms"] == "mr"
    assert backward["him"] == "her" and backward["his"] == "her" and backward["mr"] == "mrs"


def test_control_substitutions_stay_within_their_group():
    lexicon = load_lexicon("gender")
    for group in lexicon.groups:
        own = set(lexicon.terms(group))
        mapping = lexicon.control_mapping(group)
        assert mapping and set(mapping) <= own and set(mapping.values()) <= own


def test_user_lexicon_loads_from_a_path_with_terms_lower_cased(tmp_path):
    lexicon = load_lexicon(_write(tmp_path, USER))
    assert lexicon.name == "titles" and lexicon.pairs == (("queen", "king"), ("duchess", "duke"))
    assert lexicon.control_mapping("a") == {"queen": "duchess", "duchess": "queen"}
    assert lexicon.control_mapping("b") == {}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"licence": None}, r"missing required field\(s\) \['licence'\]"),
        ({"licence": " "}, "'licence' must be a non-empty string"),
        ({"groups": ["a"]}, "'groups' must list at least two"),
        ({"pairs": []}, "'pairs' must be a non-empty list"),
        ({"pairs": [["queen"]]}, r"pairs\[0\] must list 2 non-empty strings"),
        ({"pairs": [["queen", "king"], ["king", "queen"]]}, "term 'king' belongs to both 'b' and 'a'"),
        ({"control": {"c": []}}, "control names unknown group 'c'"),
        ({"control": {"a": [["queen"]]}}, r"control\['a'\]\[0\] must be two"),
        ({"control": {"a": [["queen", "king"]]}}, "control term 'king' of 'a' is a term of 'b'"),
    ],
)
def test_malformed_user_lexicon_raises_naming_the_problem(tmp_path, change, message):
    data = {key: value for key, value in {**USER, **change}.items() if value is not None}
    with pytest.raises(ValueError, match=message):
        load_lexicon(_write(tmp_path, data))


def test_file_that_is_not_json_or_not_an_object_raises(tmp_path):
    with pytest.raises(ValueError, match="could not be read as JSON"):
        load_lexicon(_write(tmp_path, "{not json"))
    with pytest.raises(ValueError, match="top level must be a JSON object"):
        load_lexicon(_write(tmp_path, "[1, 2]"))


def test_unknown_name_and_missing_path_raise():
    with pytest.raises(ValueError, match="no built-in lexicon 'klingon'; available"):
        load_lexicon("klingon")
    with pytest.raises(ValueError, match="does not exist"):
        load_lexicon("/nowhere/lexicon.json")
