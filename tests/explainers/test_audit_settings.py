"""One definition of a plan's statistics and of its probes' settings: defaults, JSON form and every refusal."""

import dataclasses
import inspect

import pytest

from explainers.audit_settings import (
    DEFAULT_ALPHA,
    DEFAULT_MIN_DENOMINATOR,
    DEFAULT_MIN_GROUP_SIZE,
    DEFAULT_N_BOOT,
    PROBE_DEFAULTS,
    PlanSettings,
    ProbeSettings,
    SettingsError,
)
from explainers.metrics import MetricConfig
from explainers.probes.decision import decision_probe
from explainers.probes.tabular import tabular_counterfactual_probe
from explainers.probes.text import text_counterfactual_probe


def test_plan_defaults_are_those_of_design_section_4():
    assert PlanSettings().to_dict() == {
        "n_boot": 2000,
        "seed": 0,
        "alpha": 0.05,
        "min_group_size": 30,
        "min_denominator": 10,
        "regression_tolerance": 0.05,
        "verdict_error_control": "familywise",  # design.md section 4: verdicts hold as a family by default
    }


def test_library_defaults_are_the_plan_defaults():
    config = MetricConfig()
    assert (config.n_boot, config.alpha) == (DEFAULT_N_BOOT, DEFAULT_ALPHA)
    assert (config.min_group_size, config.min_denominator) == (DEFAULT_MIN_GROUP_SIZE, DEFAULT_MIN_DENOMINATOR)
    defaults = {name: p.default for name, p in _parameters(decision_probe).items()}
    assert defaults["n_boot"] == DEFAULT_N_BOOT and defaults["alpha"] == DEFAULT_ALPHA
    assert _parameters(tabular_counterfactual_probe)["max_rows"].default == PROBE_DEFAULTS.max_rows
    assert _parameters(text_counterfactual_probe)["max_rows"].default == PROBE_DEFAULTS.max_text_rows


def _parameters(function):
    return inspect.signature(function).parameters


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"n_boot": 99}, "n_boot", "n_boot must be between 100 and 100000."),
        ({"n_boot": 100_001}, "n_boot", "n_boot must be between 100 and 100000."),
        ({"n_boot": 500.0}, "n_boot", "n_boot must be between 100 and 100000."),
        ({"seed": -1}, "seed", "seed must be a whole number between 0 and 9223372036854775807."),
        ({"alpha": 0}, "alpha", "alpha must be between 0 and 0.5."),
        ({"alpha": 0.5}, "alpha", "alpha must be between 0 and 0.5."),
        ({"alpha": float("nan")}, "alpha", "alpha must be between 0 and 0.5."),
        ({"min_group_size": 0}, "min_group_size", "Minimum sizes must be at least 1."),
        ({"min_denominator": 0}, "min_denominator", "Minimum sizes must be at least 1."),
        ({"regression_tolerance": -0.01}, "regression_tolerance", "regression_tolerance must be between 0 and 1."),
        ({"regression_tolerance": 1.5}, "regression_tolerance", "regression_tolerance must be between 0 and 1."),
        ({"regression_tolerance": "0.1"}, "regression_tolerance", "regression_tolerance must be between 0 and 1."),
    ],
)
def test_plan_settings_refuse_values_out_of_range(changes, field, message):
    with pytest.raises(SettingsError) as caught:
        PlanSettings(**changes)
    assert caught.value.field == field and str(caught.value) == message == caught.value.message
    assert isinstance(caught.value, ValueError)


def test_plan_settings_accept_the_edges_of_their_ranges():
    settings = PlanSettings(n_boot=100, seed=2**63 - 1, alpha=0.001, min_group_size=1, min_denominator=1)
    assert settings.n_boot == 100 and PlanSettings(n_boot=100_000).n_boot == 100_000
    assert PlanSettings(regression_tolerance=0).regression_tolerance == 0.0
    assert PlanSettings(regression_tolerance=1).regression_tolerance == 1.0


def test_probe_defaults_name_every_formerly_silent_cap():
    settings = ProbeSettings().to_dict()
    assert settings == {
        "max_rows": 20_000,
        "threshold": 0.05,
        "n_examples": 5,
        "include_examples": True,
        "lexicons": ["gender"],
        "max_pairs": None,
        "max_templates": None,
        "max_items": None,
        "n_permutations": 10_000,
        "seat_templates": [],
        "max_n_boot": 2000,
        "max_text_rows": 5000,
        "sample_read_factor": 5,
        "attributions": False,
        "attribution_budget": 20,
        "attribution_tolerance": 0.01,
        "attribution_black_box": "occlusion",
        "attribution_rows_per_pair": 10,
        "attribution_rendered_pairs": 3,
        "global_explanations": False,
        "global_max_rows": 2000,
        "global_layer": None,
        "attention_examples": 5,
        "explanation_quality": False,
        "quality_examples": 20,
    }


def test_from_dict_fills_defaults_and_to_dict_round_trips():
    chosen = {"max_rows": 500, "lexicons": ["gender", "mylist"], "seat_templates": ["This is {}."], "max_pairs": 40}
    settings = ProbeSettings.from_dict(chosen)

    assert settings.lexicons == ("gender", "mylist") and settings.seat_templates == ("This is {}.",)
    assert settings.attribution_budget == 20
    assert {key: settings.to_dict()[key] for key in chosen} == chosen
    assert ProbeSettings.from_dict(settings.to_dict()) == settings
    assert ProbeSettings.from_dict(None) == ProbeSettings.from_dict({}) == PROBE_DEFAULTS


def test_an_empty_lexicon_list_asks_for_the_default_lexicon():
    assert ProbeSettings.from_dict({"lexicons": []}).lexicons == ("gender",)


def test_unknown_probe_settings_are_refused_by_name():
    with pytest.raises(SettingsError) as caught:
        ProbeSettings.from_dict({"max_rows": 500, "n_boot": 10, "colour": "red"})
    assert caught.value.field == "probe_settings"
    assert str(caught.value) == "Unknown probe settings ['colour', 'n_boot']."


def test_probe_settings_must_be_an_object():
    with pytest.raises(SettingsError, match="must be an object"):
        ProbeSettings.from_dict(["max_rows"])


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"max_rows": 99}, "max_rows", "probe_settings.max_rows must be between 100 and 1000000."),
        ({"max_rows": 1_000_001}, "max_rows", "probe_settings.max_rows must be between 100 and 1000000."),
        ({"max_rows": "500"}, "max_rows", "probe_settings.max_rows must be between 100 and 1000000."),
        ({"threshold": 1.5}, "threshold", "probe_settings.threshold must be between 0 and 1."),
        ({"n_examples": -1}, "n_examples", "probe_settings.n_examples must be a whole number of at least 0."),
        ({"include_examples": "no"}, "include_examples", "probe_settings.include_examples must be true or false."),
        ({"lexicons": "gender"}, "lexicons", "probe_settings.lexicons must be a list of lexicon names."),
        ({"lexicons": ["gender", ""]}, "lexicons", "probe_settings.lexicons must be a list of lexicon names."),
        ({"max_pairs": 19}, "max_pairs", "probe_settings.max_pairs must be a whole number of at least 20."),
        ({"max_pairs": True}, "max_pairs", "probe_settings.max_pairs must be a whole number of at least 20."),
        ({"max_items": 19}, "max_items", "probe_settings.max_items must be a whole number of at least 20."),
        ({"max_templates": 9}, "max_templates", "probe_settings.max_templates must be a whole number of at least 10."),
        (
            {"n_permutations": 99},
            "n_permutations",
            "probe_settings.n_permutations must be a whole number of at least 100.",
        ),
        (
            {"seat_templates": ["no slot"]},
            "seat_templates",
            'probe_settings.seat_templates must be a list of sentences, each holding "{}" where the word goes.',
        ),
        ({"max_n_boot": 99}, "max_n_boot", "probe_settings.max_n_boot must be between 100 and 100000."),
        ({"max_text_rows": 50}, "max_text_rows", "probe_settings.max_text_rows must be between 100 and 1000000."),
        (
            {"sample_read_factor": 0},
            "sample_read_factor",
            "probe_settings.sample_read_factor must be between 1 and 100.",
        ),
        ({"attributions": 1}, "attributions", "probe_settings.attributions must be true or false."),
        (
            {"attribution_budget": 0},
            "attribution_budget",
            "probe_settings.attribution_budget must be between 1 and 500.",
        ),
        (
            {"attribution_tolerance": 0},
            "attribution_tolerance",
            "probe_settings.attribution_tolerance must be in (0, 0.5].",
        ),
        (
            {"attribution_tolerance": True},
            "attribution_tolerance",
            "probe_settings.attribution_tolerance must be in (0, 0.5].",
        ),
        (
            {"attribution_black_box": "lime"},
            "attribution_black_box",
            'probe_settings.attribution_black_box must be "occlusion" or "shap".',
        ),
        (
            {"attribution_rows_per_pair": 0},
            "attribution_rows_per_pair",
            "probe_settings.attribution_rows_per_pair must be between 1 and 1000.",
        ),
        (
            {"attribution_rendered_pairs": 101},
            "attribution_rendered_pairs",
            "probe_settings.attribution_rendered_pairs must be between 0 and 100.",
        ),
    ],
)
def test_probe_settings_refuse_values_out_of_range(changes, field, message):
    with pytest.raises(SettingsError) as caught:
        ProbeSettings.from_dict(changes)
    assert caught.value.field == field and str(caught.value) == message


def test_probe_settings_accept_the_edges_of_their_ranges():
    settings = ProbeSettings.from_dict(
        {"max_rows": 100, "max_pairs": 20, "max_templates": 10, "n_examples": 0, "threshold": 0,
         "attribution_tolerance": 0.5, "attribution_black_box": "shap", "sample_read_factor": 1}
    )  # fmt: skip
    assert settings.max_rows == 100 and settings.attribution_black_box == "shap"


def test_settings_are_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        PROBE_DEFAULTS.max_rows = 10
    with pytest.raises(dataclasses.FrozenInstanceError):
        PlanSettings().n_boot = 10
