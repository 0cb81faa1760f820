"""Text classifiers and sentence encoders from uploaded Hugging Face folders (design.md §5, §9).

Both runners inherit the dedup + cache + length-bucketed batching of :class:`HFRunnerBase`; here lives only what
each model computes per batch. Missing texts (None, NaN, non-strings) are scored as the empty string.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from numbers import Integral

import numpy as np
import pandas as pd
import torch

from explainers.runners.hf_common import HFRunnerBase, smoke_check
from explainers.runners.hf_files import ModelFileError

_POOLING_MODES = {"pooling_mode_cls_token": "cls", "pooling_mode_mean_tokens": "mean", "pooling_mode_max_tokens": "max"}


class TextClassifierRunner(HFRunnerBase):
    """P(favourable class) and decisions of a sequence classifier; same interface as ``TabularRunner``.

    Args:
        path: folder saved by ``save_pretrained`` (safetensors weights, a tokenizer, ``id2label``).
        favourable_class: a label of ``config.id2label`` (compared by ``str()``, since it comes from a form), or a
            class id as int or digit string ("1") for models whose labels are LABEL_0, LABEL_1.
        text_column: the frame column :meth:`predict` reads.
        device, batch_size, max_length, cache, model_key: see :class:`HFRunnerBase`.

    The cache holds each input's full probability vector, so cached entries give decisions (argmax) as well
    as scores.

    Raises:
        ModelFileError: if the folder is refused, is not a sequence classifier, or cannot be loaded.
        ValueError: if the favourable class is neither a label nor a class id (the message lists the labels).
    """

    def __init__(
        self,
        path,
        *,
        favourable_class,
        text_column: str = "text",
        device: str = "auto",
        batch_size: int = 64,
        max_length: int = 256,
        cache=None,
        model_key: str | None = None,
    ) -> None:
        from transformers import AutoModelForSequenceClassification  # transformers: only when a model loads

        super().__init__(
            path,
            kind="classifier",
            auto_class=AutoModelForSequenceClassification,
            device=device,
            batch_size=batch_size,
            max_length=max_length,
            cache=cache,
            model_key=model_key,
        )
        self.labels: tuple[str, ...] = self.directory.labels
        self.favourable_index = _match_label(self.labels, favourable_class)
        self.favourable_class = self.labels[self.favourable_index]
        self.text_column = text_column
        self.feature_columns = [text_column]

    def probabilities(self, texts: Sequence[str]) -> np.ndarray:
        """Softmax over all classes per text, float32 (n, classes), in input order."""
        extra = ("classifier", self.max_length)
        width = len(self.labels)
        return self._outputs(texts, extra=extra, width=width, encode=self._encode_plain, forward=self._forward)

    def score_texts(self, texts: Sequence[str]) -> np.ndarray:
        """P(favourable class) per text as float64 (softmax computed in float32)."""
        return self.probabilities(texts)[:, self.favourable_index].astype(np.float64)

    def predict(self, frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        """``(decisions, scores)``: decision = the model's argmax class is the favourable one."""
        if self.text_column not in frame.columns:
            raise ValueError(f"frame lacks the text column {self.text_column!r}")
        probabilities = self.probabilities(frame[self.text_column].tolist())
        decisions = probabilities.argmax(axis=1) == self.favourable_index
        return decisions, probabilities[:, self.favourable_index].astype(np.float64)

    def smoke(self, frame: pd.DataFrame, n: int = 20) -> dict:
        """Predict the first ``n`` rows; ``{"rows", "mean_score", "favourable_share"}`` or one readable ValueError."""
        return smoke_check(self.predict, frame, n)

    def _forward(self, batch: list[list[int]]) -> np.ndarray:
        input_ids, attention = self._pad(batch)
        logits = self.model(input_ids=input_ids, attention_mask=attention).logits
        return torch.softmax(logits.float(), dim=-1).cpu().numpy()


class EncoderRunner(HFRunnerBase):
    """Sentence embeddings as sentence-transformers computes them, without importing it (design.md §5, WEAT/SEAT).

    The pooling comes from the folder's Pooling module config (``modules.json`` -> ``1_Pooling/config.json``):
    mean over the attention mask, the CLS token, or max; mean when the folder has none. Vectors are L2-normalised
    when ``modules.json`` lists a Normalize module. Both are read as JSON; no sentence-transformers code runs.

    Raises:
        ModelFileError: if the folder is refused or cannot be loaded, or its pooling is not cls/mean/max.
    """

    def __init__(
        self,
        path,
        *,
        device: str = "auto",
        batch_size: int = 64,
        max_length: int = 256,
        cache=None,
        model_key: str | None = None,
    ) -> None:
        from transformers import AutoModel  # transformers: loaded only when a model loads

        super().__init__(
            path,
            kind="encoder",
            auto_class=AutoModel,
            device=device,
            batch_size=batch_size,
            max_length=max_length,
            cache=cache,
            model_key=model_key,
        )
        self.pooling, self.normalized = _sentence_transformers_head(self.directory.path)
        self.dim = int(self.model.config.hidden_size)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """float32 embeddings (n, dim) in input order."""
        extra = ("encoder", self.max_length, self.pooling, self.normalized)
        vectors = self._outputs(texts, extra=extra, width=self.dim, encode=self._encode_plain, forward=self._forward)
        return vectors.astype(np.float32, copy=False)

    def _forward(self, batch: list[list[int]]) -> np.ndarray:
        input_ids, attention = self._pad(batch)
        hidden = self.model(input_ids=input_ids, attention_mask=attention).last_hidden_state.float()
        mask = attention.unsqueeze(-1).to(hidden.dtype)
        if self.pooling == "cls":
            pooled = hidden[:, 0]
        elif self.pooling == "max":
            pooled = hidden.masked_fill(mask == 0, float("-inf")).max(dim=1).values
        else:
            pooled = (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1e-9)
        if self.normalized:
            pooled = torch.nn.functional.normalize(pooled, p=2, dim=1)
        return pooled.cpu().numpy()


def _match_label(labels: tuple[str, ...], favourable) -> int:
    """Index of the favourable class: by label text first, then as a class id (1 or "1")."""
    wanted = str(favourable)
    if wanted in labels:
        return labels.index(wanted)
    index = None
    if isinstance(favourable, Integral) and not isinstance(favourable, bool | np.bool_):
        index = int(favourable)
    elif isinstance(favourable, str) and favourable.strip().isdigit():
        index = int(favourable.strip())
    if index is not None and 0 <= index < len(labels):
        return index
    raise ValueError(f"favourable class {favourable!r} is neither a label nor a class id of the model {list(labels)}")


def _sentence_transformers_head(root) -> tuple[str, bool]:
    """(pooling, normalized) from the sentence-transformers module files, defaults ("mean", False)."""
    modules = _json_file(root / "modules.json") if (root / "modules.json").is_file() else []
    if not isinstance(modules, list):
        raise ModelFileError("modules.json must hold a list of modules")
    types = [
        (str(module.get("type", "")), str(module.get("path", ""))) for module in modules if isinstance(module, dict)
    ]
    normalized = any(kind.endswith("Normalize") for kind, _ in types)
    pooling_dirs = [path for kind, path in types if kind.endswith("Pooling")] or ["1_Pooling"]
    config_path = root / pooling_dirs[0] / "config.json"
    if not config_path.is_file():
        return "mean", normalized
    config = _json_file(config_path)
    if not isinstance(config, dict):
        raise ModelFileError(f"{pooling_dirs[0]}/config.json must hold a JSON object")
    enabled = sorted(key for key, value in config.items() if key.startswith("pooling_mode_") and value is True)
    if len(enabled) != 1 or enabled[0] not in _POOLING_MODES:
        raise ModelFileError(f"unsupported sentence-transformers pooling {enabled}; supported: cls, mean or max alone")
    return _POOLING_MODES[enabled[0]], normalized


def _json_file(path):
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ModelFileError(f"{path.name} is not valid JSON: {error}") from None
