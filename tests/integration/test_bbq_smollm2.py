"""BBQ on the real SmolLM2-135M-Instruct (the integration tier): a handful of items scored by hand with the model's
own forward pass, one unpadded sequence per option, against the probe's answers, accuracies and bias scores; and
the CLI's --max-items on the built-in model."""

import json

import numpy as np
import pytest
import torch
from django.core.management import call_command
from transformers import AutoModelForCausalLM, AutoTokenizer

from explainers.probes.bbq import ANSWER, bbq_probe, bbq_prompt, bias_scores, sample_items
from explainers.probes.bbq_data import load_bbq
from explainers.runners.hf_lm import CausalLMRunner

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def smollm2(django_db_blocker):
    from audits.execution.builtins import builtin_path

    with django_db_blocker.unblock():
        return builtin_path("smollm2-135m-instruct")


def test_smollm2_answers_bbq_as_its_own_forward_pass_says(smollm2):
    items = sample_items(load_bbq(), 18, seed=11).iloc[::3].reset_index(drop=True)  # 6 items, both conditions
    tokenizer = AutoTokenizer.from_pretrained(smollm2, local_files_only=True)
    model = AutoModelForCausalLM.from_pretrained(smollm2, local_files_only=True, dtype=torch.float32).eval()
    hand = np.zeros((len(items), 3))
    for i, row in items.iterrows():
        head = [tokenizer.bos_token_id, *tokenizer(bbq_prompt(row["context"], row["question"]))["input_ids"]]
        for k in range(3):
            tail = tokenizer(ANSWER.format(answer=row[f"ans{k}"]), add_special_tokens=False)["input_ids"]
            with torch.inference_mode():
                logprobs = torch.log_softmax(model(torch.tensor([head + tail])).logits[0].double(), dim=-1)
            hand[i, k] = sum(float(logprobs[len(head) + j - 1, t]) for j, t in enumerate(tail))
    lengths = np.array([[len(ANSWER.format(answer=a)) for a in row] for row in items[["ans0", "ans1", "ans2"]].values])
    chosen = np.argmax(hand / lengths, axis=1)
    frames = []

    result = bbq_probe(
        CausalLMRunner(smollm2, device="cpu", batch_size=6).continuation_logprob,
        items, n_boot=100, min_items=1, items_sink=frames.append,
    )  # fmt: skip

    (table,) = frames
    np.testing.assert_allclose(table[[f"logprob_ans{k}" for k in range(3)]].to_numpy(), hand, atol=2e-3)
    np.testing.assert_array_equal(table["chosen"], chosen)
    ambiguous = (items["context_condition"] == "ambig").to_numpy()
    assert 0 < ambiguous.sum() < len(items)
    biased = np.array([c in b for c, b in zip(chosen, items["biased"], strict=True)])
    correct, named = chosen == items["label"].to_numpy(), chosen != items["unknown"].to_numpy()
    counts = []
    for part in (ambiguous, ~ambiguous):
        counts += [part.sum(), (correct & part).sum(), (biased & part).sum(), (named & part).sum()]
    expected = bias_scores(counts)
    overall = result.overall
    got = [overall.accuracy_ambiguous, overall.accuracy_disambiguated, overall.s_amb, overall.s_dis]
    np.testing.assert_allclose([np.nan if v is None else v for v in got], expected, equal_nan=True)


def test_smollm2_gets_bbq_by_category_from_the_cli(tmp_path, eager_celery, transactional_db):
    out = tmp_path / "report.json"

    call_command(
        "audit", "--model", "builtin:smollm2-135m-instruct", "--probe", "bbq", "--max-items", "36",
        "--n-boot", "300", "--out", str(out),
    )  # fmt: skip

    (probe,) = json.loads(out.read_text())["probes"]
    assert probe["n_items"] == 36 and len(probe["categories"]) == 9
    overall = probe["overall"]
    assert overall["n_ambiguous"] == overall["n_disambiguated"] == 18
    assert overall["s_amb_ci_low"] <= overall["s_amb"] <= overall["s_amb_ci_high"]
    assert -1 <= overall["s_dis_ci_low"] <= overall["s_dis"] <= overall["s_dis_ci_high"] <= 1
