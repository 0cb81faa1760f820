"""inspect_hf_directory: accepts real save_pretrained folders, refuses anything that could run code (design.md §8)."""

import io
import json
import os
import pickle
import shutil
import struct

import pytest
import torch

from explainers.runners import hf_files
from explainers.runners.hf_files import ModelFileError, inspect_hf_directory
from tests.explainers.runners.hf_fixtures import make_causal_lm, make_encoder, make_text_classifier, marker_pickle


@pytest.fixture(scope="module")
def classifier_master(tmp_path_factory):
    return make_text_classifier(tmp_path_factory.mktemp("classifier") / "model")


@pytest.fixture
def classifier(classifier_master, tmp_path):
    """A private copy each test may damage."""
    return shutil.copytree(classifier_master, tmp_path / "model")


def test_valid_classifier_folder_gives_kind_labels_and_manifest(classifier):
    found = inspect_hf_directory(classifier)
    assert found.kind == "classifier"
    assert found.architecture == "BertForSequenceClassification"
    assert found.labels == ("negative", "positive")
    names = [entry["name"] for entry in found.files]
    assert names == sorted(names) and {"config.json", "model.safetensors", "vocab.txt"} <= set(names)
    weights = next(entry for entry in found.files if entry["name"] == "model.safetensors")
    assert weights["bytes"] == (classifier / "model.safetensors").stat().st_size
    manifest = "".join(f"{entry['name']}\0{entry['sha256']}\n" for entry in found.files)
    assert found.sha256 == hf_files.hashlib.sha256(manifest.encode()).hexdigest()


def test_sha256_is_stable_and_changes_with_one_byte(classifier):
    first = inspect_hf_directory(classifier).sha256
    assert inspect_hf_directory(classifier).sha256 == first
    data = bytearray((classifier / "model.safetensors").read_bytes())
    data[-1] ^= 0x01  # one bit of one weight
    (classifier / "model.safetensors").write_bytes(bytes(data))
    assert inspect_hf_directory(classifier).sha256 != first


def test_encoder_and_causal_lm_kinds_come_from_the_architecture(tmp_path):
    encoder = inspect_hf_directory(make_encoder(tmp_path / "encoder"))
    language_model = inspect_hf_directory(make_causal_lm(tmp_path / "lm"))
    assert (encoder.kind, encoder.architecture, encoder.labels) == ("encoder", "BertModel", None)
    assert "1_Pooling/config.json" in [entry["name"] for entry in encoder.files]
    assert (language_model.kind, language_model.architecture) == ("causal_lm", "LlamaForCausalLM")


def test_kind_override_to_encoder_works_but_a_missing_head_is_refused(classifier, tmp_path):
    assert inspect_hf_directory(classifier, kind="encoder").kind == "encoder"
    with pytest.raises(ModelFileError, match="no trained language-model head"):
        inspect_hf_directory(classifier, kind="causal_lm")
    with pytest.raises(ModelFileError, match="sequence-classification head"):
        inspect_hf_directory(make_encoder(tmp_path / "encoder"), kind="classifier")
    with pytest.raises(ModelFileError, match="unknown model kind"):
        inspect_hf_directory(classifier, kind="regressor")


def test_labels_follow_id_order_not_json_order(classifier):
    config = json.loads((classifier / "config.json").read_text())
    config["id2label"] = {"1": "approve", "0": "deny"}
    (classifier / "config.json").write_text(json.dumps(config))
    assert inspect_hf_directory(classifier).labels == ("deny", "approve")


@pytest.mark.parametrize("protocol", [2, 4, 5])
def test_pickle_renamed_to_safetensors_is_refused(classifier, protocol):
    (classifier / "model.safetensors").write_bytes(pickle.dumps({"weight": [1.0]}, protocol=protocol))
    with pytest.raises(ModelFileError, match=r"model\.safetensors is a Python pickle"):
        inspect_hf_directory(classifier)


@pytest.mark.parametrize("name", ["notes.txt", "tokenizer.json", "extra.safetensors"])
def test_torch_save_zip_is_refused_whatever_its_name(classifier, name):
    buffer = io.BytesIO()
    torch.save({"weight": torch.zeros(2)}, buffer)
    (classifier / name).write_bytes(buffer.getvalue())
    with pytest.raises(ModelFileError, match=f"{name} is a ZIP archive"):
        inspect_hf_directory(classifier)


@pytest.mark.parametrize("name", ["pytorch_model.bin", "model.pt", "weights.ckpt", "model.joblib", "modeling_x.py"])
def test_pickle_formats_and_code_are_refused_by_name(classifier, name):
    (classifier / name).write_bytes(b"harmless bytes")
    with pytest.raises(ModelFileError, match=name.replace(".", r"\.")):
        inspect_hf_directory(classifier)


@pytest.mark.parametrize("config_name", ["config.json", "tokenizer_config.json"])
def test_auto_map_custom_code_is_refused(classifier, config_name):
    config = json.loads((classifier / config_name).read_text())
    config["auto_map"] = {"AutoModel": "modeling_evil.EvilModel"}
    (classifier / config_name).write_text(json.dumps(config))
    with pytest.raises(ModelFileError, match=f"{config_name} declares auto_map"):
        inspect_hf_directory(classifier)


def test_missing_config_or_model_type_is_refused(classifier):
    config = json.loads((classifier / "config.json").read_text())
    del config["model_type"]
    (classifier / "config.json").write_text(json.dumps(config))
    with pytest.raises(ModelFileError, match="no model_type"):
        inspect_hf_directory(classifier)
    (classifier / "config.json").unlink()
    with pytest.raises(ModelFileError, match="config.json is missing"):
        inspect_hf_directory(classifier)


def test_folder_without_safetensors_is_refused(classifier):
    (classifier / "model.safetensors").unlink()
    with pytest.raises(ModelFileError, match="no \\*.safetensors"):
        inspect_hf_directory(classifier)


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (struct.pack("<Q", 10**12) + b"{}", "header length"),
        (struct.pack("<Q", 0), "header length"),
        (struct.pack("<Q", 4) + b"\xff\xfe{}" + b"\0" * 8, "not JSON"),
        (struct.pack("<Q", 2) + b"[]", "not a JSON object"),
        (b"\x01\x02", "shorter than"),
    ],
)
def test_broken_safetensors_header_is_refused(classifier, payload, reason):
    (classifier / "model.safetensors").write_bytes(payload)
    with pytest.raises(ModelFileError, match=reason):
        inspect_hf_directory(classifier)


def test_truncated_safetensors_is_refused(classifier):
    data = (classifier / "model.safetensors").read_bytes()
    (classifier / "model.safetensors").write_bytes(data[: len(data) - 100])
    with pytest.raises(ModelFileError, match="truncated"):
        inspect_hf_directory(classifier)


def test_symlink_is_refused_even_to_a_harmless_file(classifier, tmp_path):
    outside = tmp_path / "outside.txt"
    outside.write_text("not part of the upload")
    os.symlink(outside, classifier / "README.md")
    with pytest.raises(ModelFileError, match="README.md is a symbolic link"):
        inspect_hf_directory(classifier)


def test_symlinked_subfolder_is_refused(classifier, tmp_path):
    (tmp_path / "elsewhere").mkdir()
    os.symlink(tmp_path / "elsewhere", classifier / "1_Pooling")
    with pytest.raises(ModelFileError, match="1_Pooling is a symbolic link"):
        inspect_hf_directory(classifier)


def test_planted_pickle_payload_is_never_executed(classifier, tmp_path):
    marker = tmp_path / "pwned"
    # The payload is live: loading it with a throwaway path does create the file.
    probe = tmp_path / "probe"
    pickle.loads(marker_pickle(probe)).close()
    assert probe.exists()
    payload = marker_pickle(marker)
    for name in ("model.safetensors", "training_args.bin", "optimizer.pt"):
        (classifier / name).write_bytes(payload)
    with pytest.raises(ModelFileError, match="pickle"):
        inspect_hf_directory(classifier)
    assert not marker.exists()


def test_file_count_and_total_size_are_bounded(classifier, monkeypatch):
    monkeypatch.setattr(hf_files, "MAX_FILES", 3)
    with pytest.raises(ModelFileError, match="more than 3 files"):
        inspect_hf_directory(classifier)
    monkeypatch.setattr(hf_files, "MAX_FILES", 200)
    monkeypatch.setattr(hf_files, "MAX_TOTAL_BYTES", 1000)
    with pytest.raises(ModelFileError, match="larger than"):
        inspect_hf_directory(classifier)


def test_missing_folder_is_refused(tmp_path):
    with pytest.raises(ModelFileError, match="does not exist"):
        inspect_hf_directory(tmp_path / "nothing")
