"""Safety and identity check of an uploaded Hugging Face model folder before anything loads it (design.md §8).

A folder passes only if every file in it can be read without running code: ``config.json``, tokenizer files and
``*.safetensors`` weights. Files are judged by their first bytes, because an attacker names a pickle whatever the
checker expects. Nothing here imports, unpickles or executes a file of the folder; it reads bytes and JSON.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
import struct
from dataclasses import dataclass
from pathlib import Path

MAX_FILES = 200
MAX_TOTAL_BYTES = 2 * 1024**3
MAX_SAFETENSORS_HEADER_BYTES = 100 * 1024**2  # the safetensors library itself refuses headers above 100 MB
KINDS = ("classifier", "causal_lm", "encoder")

# Formats whose loaders run code on load: pickle (and torch.save, a zip of pickles), joblib, Python sources.
_REFUSED_SUFFIXES = {".bin", ".pt", ".pth", ".ckpt", ".pkl", ".pickle", ".joblib", ".py", ".pyc", ".pyo"}
_CODE_CONFIGS = ("config.json", "tokenizer_config.json", "preprocessor_config.json", "processor_config.json")
_ZIP_MAGIC = b"PK\x03\x04"


class ModelFileError(ValueError):
    """The uploaded model folder cannot be accepted; the message is written for the person who uploaded it."""


@dataclass(frozen=True)
class HFDirectory:
    """What an accepted folder holds, and the fingerprint that keys its cached predictions (design.md §9).

    ``sha256`` covers every file's name and content, so any changed byte (weights, tokenizer, label names) gives a
    new key and stale predictions are never reused.
    """

    path: Path
    kind: str
    architecture: str
    labels: tuple[str, ...] | None
    files: tuple[dict, ...]
    sha256: str


def inspect_hf_directory(path, *, kind: str | None = None) -> HFDirectory:
    """Check a model folder and describe it, refusing anything that could run code when loaded.

    Args:
        path: the folder (as saved by ``save_pretrained``; sentence-transformers folders are fine).
        kind: "classifier", "causal_lm" or "encoder" to override the kind read from ``architectures[0]``. Any model
            can serve as an encoder, but a classifier needs a classification head and a causal LM a language-model
            head that the checkpoint actually contains: a freshly initialised head would give random outputs.

    Returns:
        HFDirectory with the kind, the architecture, the class labels (classifiers) and the file manifest.

    Raises:
        ModelFileError: naming the offending file and the reason: a pickle or ZIP (``torch.save``) file whatever its
            name, a refused extension, a symlink, Python code, ``auto_map`` (custom code), a missing or invalid
            ``config.json``, no or broken ``*.safetensors``, too many files or bytes, or a kind that cannot work.
    """
    root = Path(path)
    if not root.is_dir():
        raise ModelFileError(f"model folder {root.name or str(root)!r} does not exist or is not a folder")
    entries = _walk(root)
    for name, full in entries:
        _check_file(name, full)
    config = _read_json_object(root / "config.json", "config.json") if (root / "config.json").is_file() else None
    if config is None:
        raise ModelFileError("config.json is missing: save the model with save_pretrained so its config is included")
    model_type = config.get("model_type")
    if not isinstance(model_type, str) or not model_type:
        raise ModelFileError("config.json has no model_type: it is not a Hugging Face transformers config")
    for name in _CODE_CONFIGS:
        if (root / name).is_file() and "auto_map" in _read_json_object(root / name, name):
            raise ModelFileError(
                f"{name} declares auto_map (custom model code); only built-in transformers architectures are accepted"
            )
    weights = [name for name, _ in entries if name.endswith(".safetensors")]
    if not weights:
        raise ModelFileError("no *.safetensors weights file: export the weights with save_pretrained (safetensors)")
    for name in weights:
        _check_safetensors(name, root / name)

    architecture = _architecture(config, model_type)
    detected = _kind_of(architecture)
    chosen = _choose_kind(kind, detected, architecture)
    files = tuple({"name": name, "bytes": full.stat().st_size, "sha256": file_sha256(full)} for name, full in entries)
    manifest = "".join(f"{entry['name']}\0{entry['sha256']}\n" for entry in files)
    return HFDirectory(
        path=root,
        kind=chosen,
        architecture=architecture,
        labels=_labels(config) if chosen == "classifier" else None,
        files=files,
        sha256=hashlib.sha256(manifest.encode("utf-8")).hexdigest(),
    )


def _walk(root: Path) -> list[tuple[str, Path]]:
    """Every file under ``root`` as (relative posix name, path), sorted by name, within the size bounds.

    Symlinks are refused rather than followed: a link can point at a file outside the upload (a server secret)
    or at a pickle that the content check of this folder would never see.
    """
    entries: list[tuple[str, Path]] = []
    total = 0
    for directory, dirnames, filenames in os.walk(root, followlinks=False):
        here = Path(directory)
        for name in sorted(dirnames) + sorted(filenames):
            full = here / name
            relative = full.relative_to(root).as_posix()
            if full.is_symlink():
                raise ModelFileError(f"{relative} is a symbolic link; upload the real file instead")
            if name in dirnames:
                continue
            mode = full.stat().st_mode
            if not stat.S_ISREG(mode):
                raise ModelFileError(f"{relative} is not a regular file")
            entries.append((relative, full))
            if len(entries) > MAX_FILES:
                raise ModelFileError(f"the model folder has more than {MAX_FILES} files")
            total += full.stat().st_size
            if total > MAX_TOTAL_BYTES:
                raise ModelFileError(f"the model folder is larger than {MAX_TOTAL_BYTES / 1024**3:g} GB")
    return sorted(entries)


def _check_file(name: str, full: Path) -> None:
    """Refuse by content first (a renamed pickle), then by extension (a format that only exists to be unpickled)."""
    with full.open("rb") as handle:
        head = handle.read(4)
    if len(head) >= 2 and head[0] == 0x80 and 2 <= head[1] <= 5:
        raise ModelFileError(f"{name} is a Python pickle, which can run arbitrary code when loaded")
    if head == _ZIP_MAGIC:
        raise ModelFileError(f"{name} is a ZIP archive (e.g. a torch.save checkpoint holding pickles); refused")
    suffix = Path(name).suffix.lower()
    if suffix in {".py", ".pyc", ".pyo"}:
        raise ModelFileError(f"{name} is Python code; custom model code is never run")
    if suffix in _REFUSED_SUFFIXES:
        raise ModelFileError(f"{name}: {suffix} files are pickle-based; convert the weights to .safetensors")


def _check_safetensors(name: str, full: Path) -> None:
    """The safetensors layout: u64 little-endian header length N, N bytes of JSON, then the tensor bytes.

    Checked here so a truncated or fake file gets a readable refusal instead of a loader traceback later.
    """
    size = full.stat().st_size
    with full.open("rb") as handle:
        prefix = handle.read(8)
        if len(prefix) < 8:
            raise ModelFileError(f"{name} is not a valid safetensors file (shorter than its 8-byte header length)")
        (length,) = struct.unpack("<Q", prefix)
        if not 0 < length <= MAX_SAFETENSORS_HEADER_BYTES or 8 + length > size:
            raise ModelFileError(f"{name} is not a valid safetensors file (header length {length} is impossible)")
        raw = handle.read(length)
    try:
        header = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ModelFileError(f"{name} is not a valid safetensors file (header is not JSON: {error})") from None
    if not isinstance(header, dict):
        raise ModelFileError(f"{name} is not a valid safetensors file (header is not a JSON object)")
    data_bytes = size - 8 - length
    for key, info in header.items():
        if key == "__metadata__":
            continue
        offsets = info.get("data_offsets") if isinstance(info, dict) else None
        if not (isinstance(offsets, list) and len(offsets) == 2 and all(isinstance(o, int) for o in offsets)):
            raise ModelFileError(f"{name} is not a valid safetensors file (tensor {key!r} has no data offsets)")
        if not 0 <= offsets[0] <= offsets[1] <= data_bytes:
            raise ModelFileError(f"{name} is truncated: tensor {key!r} lies beyond the end of the file")


def _read_json_object(full: Path, name: str) -> dict:
    try:
        value = json.loads(full.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ModelFileError(f"{name} is not valid JSON: {error}") from None
    if not isinstance(value, dict):
        raise ModelFileError(f"{name} must hold a JSON object")
    return value


def _architecture(config: dict, model_type: str) -> str:
    architectures = config.get("architectures")
    if isinstance(architectures, list) and architectures and isinstance(architectures[0], str):
        return architectures[0]
    return model_type


def _kind_of(architecture: str) -> str:
    if architecture.endswith("ForSequenceClassification"):
        return "classifier"
    if architecture.endswith("ForCausalLM") or architecture.endswith("LMHeadModel"):
        return "causal_lm"
    return "encoder"


def _choose_kind(kind: str | None, detected: str, architecture: str) -> str:
    if kind is None:
        return detected
    if kind not in KINDS:
        raise ModelFileError(f"unknown model kind {kind!r}; expected one of {list(KINDS)}")
    if kind != "encoder" and kind != detected:
        head = {"classifier": "sequence-classification", "causal_lm": "language-model"}[kind]
        raise ModelFileError(
            f"the model is a {architecture} ({detected}), which has no trained {head} head to use as a {kind}"
        )
    return kind


def _labels(config: dict) -> tuple[str, ...]:
    """Class names in id order; transformers' own LABEL_i names when the config has none."""
    id2label = config.get("id2label")
    if not id2label:
        count = config.get("num_labels", 2)
        if not isinstance(count, int) or count < 1:
            raise ModelFileError("config.json has neither id2label nor a valid num_labels")
        return tuple(f"LABEL_{index}" for index in range(count))
    if not isinstance(id2label, dict):
        raise ModelFileError("config.json id2label must map class ids to names")
    try:
        by_id = {int(key): str(value) for key, value in id2label.items()}
    except (TypeError, ValueError):
        raise ModelFileError("config.json id2label keys must be integer class ids") from None
    if sorted(by_id) != list(range(len(by_id))):
        raise ModelFileError(f"config.json id2label ids must be 0..{len(by_id) - 1}, got {sorted(by_id)}")
    return tuple(by_id[index] for index in range(len(by_id)))


def file_sha256(full: Path) -> str:
    """sha256 hex of a file, read in 1 MB blocks so multi-GB weights never sit in memory whole."""
    digest = hashlib.sha256()
    with full.open("rb") as handle:
        for block in iter(lambda: handle.read(1024 * 1024), b""):
            digest.update(block)
    return digest.hexdigest()
