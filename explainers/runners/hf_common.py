"""What every Hugging Face runner shares: safe loading, dedup + cache + length-bucketed batching (design.md §8, §9).

The order of work for a list of texts is fixed: clean, deduplicate, look up the cache, tokenise only what is
missing, sort it by token length, run consecutive slices as batches padded to their own longest sequence, store
the outputs in the cache, and put them back in input order. Each runner supplies only ``encode`` (texts to token
ids) and ``forward`` (a list of token-id lists to one output row each).
"""

from __future__ import annotations

import contextlib
import json
import struct
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import torch

from explainers.runners.cache import MemoryPredictionCache, PredictionCache, input_key
from explainers.runners.device import autocast_context, resolve_device
from explainers.runners.hf_files import HFDirectory, ModelFileError, inspect_hf_directory
from explainers.runners.quiet import quiet_transformers
from explainers.runners.tabular import smoke_check  # noqa: F401  (re-exported for the HF runners)

Encode = Callable[[list[str]], list[list[int]]]
Forward = Callable[[list[list[int]]], np.ndarray]


def clean_texts(texts: Sequence) -> list[str]:
    """Texts as ``str``; ``None``, NaN and other non-strings become "".

    A missing value in a text column is an empty document, not an error that would stop an audit of a million
    rows; the empty string still gets a real model output, so rows stay aligned with the frame.
    """
    if isinstance(texts, str):
        raise TypeError("pass a sequence of texts, not a single string")
    return [text if isinstance(text, str) else "" for text in texts]


def new_stats() -> dict:
    return {"inputs": 0, "unique": 0, "cache_hits": 0, "forward_inputs": 0, "batches": 0, "seconds_forward": 0.0}


class HFRunnerBase:
    # Called after every forward batch with (inputs done, inputs to compute) while set: a probe's progress bar
    # moves during a long scoring call (see ``reporting``).
    batch_progress: Callable[[int, int], None] | None = None

    """Loads an inspected folder with one ``AutoModel*`` class and runs the cached, bucketed batching.

    Args:
        path: model folder; checked by :func:`inspect_hf_directory` before transformers opens any file.
        kind: kind the folder must be usable as ("classifier", "causal_lm", "encoder").
        auto_class: the transformers Auto class to load the weights with.
        device: "auto", "cpu", "cuda", "cuda:1", ...
        batch_size: sequences per forward pass.
        max_length: token limit per sequence; part of every cache key because truncation changes outputs.
        cache: shared prediction cache; ``None`` gives this runner a private in-memory LRU cache.
        model_key: cache namespace; default the folder's manifest sha256, so a changed file never reuses results.

    Raises:
        ModelFileError: if the folder is refused or transformers cannot load it.
        ValueError: if batch_size or max_length is not positive.
    """

    def __init__(self, path, *, kind, auto_class, device, batch_size, max_length, cache, model_key) -> None:
        if int(batch_size) < 1 or int(max_length) < 1:
            raise ValueError("batch_size and max_length must be at least 1")
        self.directory: HFDirectory = inspect_hf_directory(path, kind=kind)
        self.device = resolve_device(device)
        self.batch_size = int(batch_size)
        self.max_length = int(max_length)
        self.cache: PredictionCache = MemoryPredictionCache() if cache is None else cache
        self.model_key = model_key or self.directory.sha256
        self.stats = new_stats()
        self.tokenizer, self.model = _load(self.directory.path, auto_class, self.device)
        pad = self.tokenizer.pad_token_id
        # Any id works as padding: the attention mask hides it and outputs at padded positions are never read.
        self.pad_id = int(pad) if pad is not None else 0

    def _outputs(self, texts: Sequence, *, extra: tuple, width: int, encode: Encode, forward: Forward) -> np.ndarray:
        """One output row per input text, shape (n, width), computed once per distinct text and cache miss."""
        cleaned = clean_texts(texts)
        unique = list(dict.fromkeys(cleaned))
        keys = {text: input_key(text, *map(str, extra)) for text in unique}
        found = self.cache.get_many(self.model_key, list(keys.values())) if unique else {}
        rows = {text: found[key] for text, key in keys.items() if key in found}
        missing = [text for text in unique if text not in rows]
        self.stats["inputs"] += len(cleaned)
        self.stats["unique"] += len(unique)
        self.stats["cache_hits"] += len(rows)
        if missing:
            computed = self._compute(missing, encode, forward)
            self.cache.set_many(self.model_key, {keys[text]: value for text, value in computed.items()})
            rows.update(computed)
        if not cleaned:
            return np.empty((0, width))
        return np.stack([np.asarray(rows[text]) for text in cleaned])

    def _compute(self, texts: list[str], encode: Encode, forward: Forward) -> dict[str, np.ndarray]:
        """Bucketing: sorted by token length, each batch holds similar lengths and pads little."""
        ids = encode(texts)
        # rows may carry their own sort key (the causal LM's (context, continuation) rows: same context adjacent)
        order = sorted(range(len(texts)), key=lambda index: getattr(ids[index], "sort_key", len(ids[index])))
        out: dict[str, np.ndarray] = {}
        with torch.inference_mode(), autocast_context(self.device):
            for start in range(0, len(order), self.batch_size):
                chunk = order[start : start + self.batch_size]
                began = time.perf_counter()
                values = forward([ids[index] for index in chunk])  # .cpu() inside forward waits for the GPU
                self.stats["seconds_forward"] += time.perf_counter() - began
                self.stats["batches"] += 1
                self.stats["forward_inputs"] += len(chunk)
                for index, value in zip(chunk, values, strict=True):
                    out[texts[index]] = value
                if self.batch_progress is not None:
                    self.batch_progress(min(start + self.batch_size, len(order)), len(order))
        return out

    @contextlib.contextmanager
    def reporting(self, progress: Callable[[float, str], None] | None, start: float = 0.0, end: float = 0.9):
        """While inside, each forward batch reports ``progress(fraction in [start, end], "scored i/n inputs")``."""
        if progress is None:
            yield self
            return

        def report(done: int, total: int) -> None:
            progress(start + (end - start) * done / max(total, 1), f"scored {done}/{total} inputs")

        self.batch_progress = report
        try:
            yield self
        finally:
            self.batch_progress = None

    def _encode_plain(self, texts: list[str]) -> list[list[int]]:
        """Token ids with the tokenizer's own special tokens, truncated to max_length, never empty.

        A tokenizer without special tokens turns "" into no ids; a row with an all-zero attention mask gives NaN
        in some attention kernels, so it becomes one pad token instead.
        """
        ids = self.tokenizer(texts, truncation=True, max_length=self.max_length)["input_ids"]
        return [list(row) if len(row) else [self.pad_id] for row in ids]

    def _pad(self, batch: list[list[int]]) -> tuple[torch.Tensor, torch.Tensor]:
        """Right padding to the batch's own longest sequence (dynamic padding), with its attention mask."""
        longest = max(len(row) for row in batch)
        input_ids = torch.full((len(batch), longest), self.pad_id, dtype=torch.long)
        attention = torch.zeros((len(batch), longest), dtype=torch.long)
        for row, ids in enumerate(batch):
            input_ids[row, : len(ids)] = torch.tensor(ids, dtype=torch.long)
            attention[row, : len(ids)] = 1
        return input_ids.to(self.device, non_blocking=True), attention.to(self.device, non_blocking=True)


def _load(path: Path, auto_class, device: torch.device):
    """Tokenizer and model from local files only, never custom code, only safetensors weights.

    float32 on CPU (half precision is slow or unsupported there); the checkpoint's own dtype on CUDA, where
    autocast picks the compute precision.
    """
    from transformers import AutoTokenizer  # transformers: loaded only when a model loads

    options = {"local_files_only": True, "trust_remote_code": False}
    try:
        tokenizer = AutoTokenizer.from_pretrained(path, **options)
    except Exception as error:  # transformers raises OSError, ValueError or KeyError for unusable tokenizer files
        raise ModelFileError(f"the tokenizer could not be loaded: {type(error).__name__}: {error}") from error
    check_weights_fit_config(path, auto_class)
    dtype = torch.float32 if device.type == "cpu" else "auto"
    try:
        with quiet_transformers():
            model, report = auto_class.from_pretrained(
                path, use_safetensors=True, dtype=dtype, output_loading_info=True, **options
            )
    except Exception as error:
        raise ModelFileError(f"the model could not be loaded: {type(error).__name__}: {error}") from error
    _refuse_incomplete_load(report)
    return tokenizer, model.to(device).eval()


# A float32 copy may be this many times the stored tensor bytes (fp16/bf16 checkpoints are half the size) before the
# config is taken to declare more than the files hold.
MAX_DECLARED_TO_STORED = 2.5


def safetensors_shapes(path: Path) -> tuple[dict[str, tuple[int, ...]], int]:
    """Every stored tensor's shape by name, and the tensor bytes, read from the safetensors headers only."""
    shapes: dict[str, tuple[int, ...]] = {}
    stored = 0
    for file in sorted(Path(path).glob("*.safetensors")):
        with file.open("rb") as handle:
            (length,) = struct.unpack("<Q", handle.read(8))
            header = json.loads(handle.read(length))
        for name, info in header.items():
            if name == "__metadata__":
                continue
            shapes[name] = tuple(int(d) for d in info["shape"])
            stored += info["data_offsets"][1] - info["data_offsets"][0]
    return shapes, stored


def check_weights_fit_config(path: Path, auto_class) -> None:
    """Refuse, before any weight memory is committed, a config.json that declares a bigger model than the weight
    files hold (a few bytes of JSON can declare gigabytes of parameters, which the loader would allocate and fill
    at random), or a stored tensor whose shape differs from the one the config implies.

    The model is built on PyTorch's meta device: shapes without memory.
    """
    from transformers import AutoConfig

    config = AutoConfig.from_pretrained(path, local_files_only=True, trust_remote_code=False)
    with quiet_transformers(), torch.device("meta"):
        skeleton = auto_class.from_config(config)
    declared = sum(p.numel() for p in skeleton.parameters())  # shared (tied) parameters counted once
    shapes, stored = safetensors_shapes(path)
    if declared * 4 > MAX_DECLARED_TO_STORED * stored + (1 << 20):
        raise ModelFileError(
            f"config.json declares a model of {declared:,} parameters ({declared * 4 / 1e9:.2f} GB in float32) but "
            f"the weight files hold {stored / 1e6:.1f} MB of tensors: the weights do not match the config"
        )
    prefix = getattr(skeleton, "base_model_prefix", "") or ""
    for name, tensor in skeleton.state_dict().items():
        stored_shape = shapes.get(name)
        if stored_shape is None and prefix and name.startswith(prefix + "."):
            stored_shape = shapes.get(name[len(prefix) + 1 :])
        if stored_shape is not None and stored_shape != tuple(tensor.shape):
            raise ModelFileError(
                f"the weight {name} has shape {list(stored_shape)} in the files but config.json implies "
                f"{list(tensor.shape)}: the weights do not match the config"
            )


def _refuse_incomplete_load(report: dict) -> None:
    """The loader's own report: any weight it had to leave at random (missing) or could not fit (mismatched) makes
    the model's audits meaningless, and a stored tensor the architecture has no place for (unexpected) means the
    files are not this config's model; either way the model is refused, naming the first few."""
    missing = list(report.get("missing_keys") or [])
    mismatched = [
        str(item[0]) if isinstance(item, (tuple, list)) else str(item) for item in report.get("mismatched_keys") or []
    ]
    if missing or mismatched:
        names = missing + mismatched
        raise ModelFileError(
            f"{len(names)} weight(s) are missing from the files or do not fit the config ({', '.join(names[:5])}"
            f"{', ...' if len(names) > 5 else ''}); the loader would fill them at random. Save the complete model "
            "with save_pretrained."
        )
    unexpected = sorted(str(name) for name in report.get("unexpected_keys") or [])
    if unexpected:
        raise ModelFileError(
            f"{len(unexpected)} unexpected weight(s) in the files that the config's model has no place for "
            f"({', '.join(unexpected[:5])}{', ...' if len(unexpected) > 5 else ''}): the files do not belong to this "
            "config. Save the model with save_pretrained, or remove the extra tensors."
        )
