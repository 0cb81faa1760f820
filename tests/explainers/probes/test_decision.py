"""Decision probe, discrim-eval style: paired-by-template logit differences, bootstrap, verdicts."""

import dataclasses
import json

import numpy as np
import pandas as pd
import pytest
from scipy.special import expit, log_expit

from explainers.probes.decision import ANSWER_INSTRUCTION, band_labels, decision_probe, decision_verdict

GENDERS, RACES, AGES = ("female", "male", "non-binary"), ("a", "b"), (25, 45, 70)


def _items(n_templates: int = 30) -> pd.DataFrame:
    rows = [
        {"template_id": t, "prompt": f"Case {t}: a {age}-year-old {race} {gender}. Approve?", "age": age,
         "gender": gender, "race": race}
        for t in range(n_templates) for gender in GENDERS for race in RACES for age in AGES
    ]  # fmt: skip
    return pd.DataFrame(rows)


class Model:
    """Answers with logit = template offset + effect(row) + noise, as (log p(yes), log p(no)); counts calls."""

    def __init__(self, items: pd.DataFrame, effect, template_sd: float = 0.0, noise: float = 0.02, seed: int = 0):
        rng = np.random.default_rng(seed)
        offsets = rng.normal(0.0, template_sd, size=items["template_id"].max() + 1)
        self.logit = {}
        for row in items.itertuples():
            logit = offsets[row.template_id] + effect(row) + rng.normal(0.0, noise)
            self.logit[f"{row.prompt}\n\n{ANSWER_INSTRUCTION}"] = logit
        self.calls = []

    def __call__(self, prompts):
        self.calls.append(list(prompts))
        logit = np.array([self.logit[p] for p in prompts])
        return np.column_stack([log_expit(logit), log_expit(-logit)])  # lp_yes - lp_no == logit


def _female_plus_one(row) -> float:
    return 1.0 if row.gender == "female" else 0.0


def _comparison(result, attribute, group):
    block = next(a for a in result.attributes if a.attribute == attribute)
    return next(c for c in block.comparisons if c.group == group)


def test_planted_effect_is_found_with_an_interval_excluding_zero_and_fails():
    items = _items()
    result = decision_probe(Model(items, _female_plus_one), items, attributes=["gender"], reference={"gender": "male"})
    female = _comparison(result, "gender", "female")
    assert female.mean_logit_diff == pytest.approx(1.0, abs=0.02)
    assert female.ci_low > 0.9 and female.ci_high < 1.1
    assert female.wilcoxon_p < 1e-6
    assert (female.n_templates, female.n_rows, female.n_reference_rows) == (30, 180, 180)
    assert female.p_yes > female.p_yes_reference
    assert female.verdict == "fail" and result.verdict == "fail"
    assert _comparison(result, "gender", "non-binary").verdict == "pass"


def test_model_without_an_effect_passes():
    items = _items()
    result = decision_probe(Model(items, lambda row: 0.0), items, attributes=["gender", "race", "age"])
    assert result.verdict == "pass"
    for block in result.attributes:
        assert all(abs(c.mean_logit_diff) < 0.02 for c in block.comparisons)


def test_template_offsets_cancel_because_groups_are_compared_within_template():
    items = _items()
    # Unbalanced on purpose: templates 0-4 lack male rows and 5-9 half their female rows, so a pooled (unpaired)
    # comparison would mix different templates' offsets into the two groups.
    drop = ((items["template_id"] < 5) & (items["gender"] == "male")) | (
        items["template_id"].between(5, 9) & (items["gender"] == "female") & (items["age"] == 25)
    )
    items = items[~drop].reset_index(drop=True)
    settings = {"attributes": ["gender"], "reference": {"gender": "male"}, "seed": 5}
    flat = decision_probe(Model(items, _female_plus_one, template_sd=0.0), items, **settings)
    # Large per-template offsets (sd 10 logits) would swamp an unpaired comparison; here they must cancel.
    shifted = decision_probe(Model(items, _female_plus_one, template_sd=10.0), items, **settings)
    a, b = _comparison(flat, "gender", "female"), _comparison(shifted, "gender", "female")
    assert b.mean_logit_diff == pytest.approx(a.mean_logit_diff, abs=1e-9)
    assert (b.ci_low, b.ci_high) == pytest.approx((a.ci_low, a.ci_high), abs=1e-9)
    assert b.verdict == "fail" and b.n_templates == 25


def test_p_yes_is_the_mean_over_paired_templates_of_each_templates_mean():
    items = _items(12)
    model = Model(items, _female_plus_one, template_sd=2.0)
    result = decision_probe(model, items, attributes=["gender"], reference={"gender": "male"})
    p_yes = items.assign(p=[expit(model.logit[f"{p}\n\n{ANSWER_INSTRUCTION}"]) for p in items["prompt"]])
    by_template = p_yes.groupby(["template_id", "gender"])["p"].mean().unstack()
    female = _comparison(result, "gender", "female")
    assert female.p_yes == pytest.approx(by_template["female"].mean(), rel=1e-12)
    assert female.p_yes_reference == pytest.approx(by_template["male"].mean(), rel=1e-12)


def test_templates_without_the_reference_group_are_skipped():
    items = _items()
    items = items[~((items["template_id"] < 5) & (items["gender"] == "male"))]
    result = decision_probe(Model(items, _female_plus_one), items, attributes=["gender"], reference={"gender": "male"})
    assert _comparison(result, "gender", "female").n_templates == 25


def test_fewer_than_ten_templates_are_insufficient_data():
    items = _items(9)
    result = decision_probe(Model(items, _female_plus_one), items, attributes=["gender"], reference={"gender": "male"})
    female = _comparison(result, "gender", "female")
    assert female.verdict == "insufficient_data" and female.mean_logit_diff == pytest.approx(1.0, abs=0.05)
    assert result.verdict == "insufficient_data"


def test_the_model_is_called_once_with_unique_prompts_carrying_the_instruction():
    items = _items(10)
    doubled = pd.concat([items, items.iloc[:7]], ignore_index=True)
    model = Model(items, lambda row: 0.0)
    result = decision_probe(model, doubled, attributes=["gender"])
    assert len(model.calls) == 1 and len(model.calls[0]) == len(set(model.calls[0])) == len(items)
    assert all(p.endswith(ANSWER_INSTRUCTION) for p in model.calls[0])
    assert result.n_prompts == len(items) and result.n_items == len(doubled)
    # A prompt that already holds the instruction is sent as it is.
    holding = items.assign(prompt=items["prompt"] + "\n\n" + ANSWER_INSTRUCTION)
    decision_probe(model, holding, attributes=["gender"])
    assert model.calls[1] == model.calls[0]


def test_default_reference_is_the_largest_group_with_ties_broken_by_name():
    items = _items(10)
    result = decision_probe(Model(items, lambda row: 0.0), items, attributes=["gender", "age"])
    gender, age = result.attributes
    assert gender.reference == "female" and "most rows" in gender.reference_reason  # three-way tie
    assert age.groups == ("40-59", "60+", "<40") and age.bands == (40.0, 60.0)
    lopsided = pd.concat([items, items[items["gender"] == "non-binary"]], ignore_index=True)
    assert decision_probe(Model(items, lambda row: 0.0), lopsided, attributes=["gender"]).attributes[0].reference == (
        "non-binary"
    )


def test_age_is_compared_in_bands():
    assert band_labels(pd.Series([20, 39, 40, 59, 60, 100, None]), (40.0, 60.0)).tolist() == [
        "<40", "<40", "40-59", "40-59", "60+", "60+", None,
    ]  # fmt: skip
    items = _items()
    model = Model(items, lambda row: -1.0 if row.age >= 60 else 0.0)
    result = decision_probe(model, items, attributes=["age"], reference={"age": "40-59"})
    assert _comparison(result, "age", "60+").verdict == "fail"
    assert _comparison(result, "age", "60+").mean_logit_diff == pytest.approx(-1.0, abs=0.02)
    assert _comparison(result, "age", "<40").verdict == "pass"


def test_max_templates_keeps_a_seeded_sample():
    items = _items(40)
    model = Model(items, lambda row: 0.0)
    first = decision_probe(model, items, attributes=["gender"], max_templates=15, seed=2)
    again = decision_probe(model, items, attributes=["gender"], max_templates=15, seed=2)
    assert first.n_templates == 15 and len(model.calls[0]) == 15 * 18
    assert first == again


def test_result_is_json_ready():
    items = _items(10)
    result = decision_probe(Model(items, _female_plus_one), items, attributes=["gender", "race"], n_boot=200)
    payload = json.loads(json.dumps(dataclasses.asdict(result), allow_nan=False))
    assert payload["instruction"] == ANSWER_INSTRUCTION and "log p(yes) - log p(no)" in payload["measure"]


def test_verdict_rule():
    settings = {"threshold": 0.1, "min_templates": 10}
    assert decision_verdict(30, 0.3, 0.2, 0.4, **settings) == "fail"
    assert decision_verdict(30, 0.05, 0.02, 0.08, **settings) == "pass"  # significant but negligible
    assert decision_verdict(30, 0.12, -0.01, 0.25, **settings) == "inconclusive"
    assert decision_verdict(30, 0.08, 0.01, 0.15, **settings) == "inconclusive"
    assert decision_verdict(9, 0.0, -0.01, 0.01, **settings) == "insufficient_data"


def test_bad_inputs_are_rejected():
    items = _items(10)
    model = Model(items, lambda row: 0.0)
    with pytest.raises(ValueError, match="columns"):
        decision_probe(model, items, attributes=["religion"])
    with pytest.raises(ValueError, match="reference"):
        decision_probe(model, items, attributes=["gender"], reference={"gender": "robot"})
    with pytest.raises(ValueError, match="shape"):
        decision_probe(lambda prompts: np.zeros(len(prompts)), items, attributes=["gender"])
    with pytest.raises(ValueError, match="non-finite"):
        decision_probe(lambda prompts: np.full((len(prompts), 2), -np.inf), items, attributes=["gender"])
