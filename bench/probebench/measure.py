"""The timed paths, all on the same model folder, device and torch thread count.

(a) ceiling    raw batched forward over the unique texts in first-seen order: tokenizer(batch, padding=True,
               truncation=True) + model(**enc) under torch.inference_mode(), softmax; no sorting, no cache;
(b) pipeline   transformers.pipeline("text-classification") called once per text (top_k=None), on a sample;
(c) ours cold  TextClassifierRunner.score_texts on all texts with a fresh MemoryPredictionCache;
(d) ours warm  the same call again on the same runner (a re-audit: every input is a cache hit);
(e) probe      explainers.probes.text.text_counterfactual_probe on the originals, fresh cache, statistics included;
paired         optional diagnostic: ceiling and ours alternated block by block over the unique texts (ABBA), so both
               see the same machine; the fair per-input ratio on a shared, busy machine.

Each function returns a plain dict of figures (seconds, counts, rates) that report.py prints and the JSON keeps.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np
import pandas as pd
import torch

from explainers.runners.cache import MemoryPredictionCache
from explainers.runners.device import autocast_context
from explainers.runners.hf_text import TextClassifierRunner
from probebench.system import QUIET_CPUS, contention


def load_runner(folder, *, device: str, batch_size: int) -> TextClassifierRunner:
    """Our runner with its own fresh in-memory cache (so every runner starts cold)."""
    return TextClassifierRunner(
        folder, favourable_class="positive", device=device, batch_size=batch_size, cache=MemoryPredictionCache()
    )


class Ceiling:
    """A plain transformers model and tokenizer loaded from the same folder, on the runner's device."""

    def __init__(self, folder, device: torch.device, batch_size: int, favourable_index: int) -> None:
        from transformers import AutoModelForSequenceClassification, AutoTokenizer

        self.tokenizer = AutoTokenizer.from_pretrained(folder, local_files_only=True)
        dtype = torch.float32 if device.type == "cpu" else "auto"
        model = AutoModelForSequenceClassification.from_pretrained(
            folder, local_files_only=True, use_safetensors=True, dtype=dtype
        )
        self.model = model.to(device).eval()
        self.device = device
        self.batch_size = batch_size
        self.favourable_index = favourable_index

    def scores(self, texts: list[str]) -> np.ndarray:
        """P(favourable) per text; on CUDA under the same autocast as the runner, so both do the same arithmetic."""
        out = []
        with torch.inference_mode(), autocast_context(self.device):
            for start in range(0, len(texts), self.batch_size):
                batch = texts[start : start + self.batch_size]
                enc = self.tokenizer(batch, padding=True, truncation=True, return_tensors="pt").to(self.device)
                logits = self.model(**enc).logits
                out.append(torch.softmax(logits.float(), dim=-1)[:, self.favourable_index].cpu().numpy())
        return np.concatenate(out).astype(np.float64) if out else np.empty(0)


def bench_ceiling(ceiling: Ceiling, unique: list[str]) -> dict:
    began = time.perf_counter()
    scores = ceiling.scores(unique)
    seconds = time.perf_counter() - began
    lengths = [len(ids) for ids in ceiling.tokenizer(unique, truncation=True)["input_ids"]]
    padded = sum(
        len(unique[start : start + ceiling.batch_size]) * max(lengths[start : start + ceiling.batch_size])
        for start in range(0, len(unique), ceiling.batch_size)
    )
    return {
        "texts": len(unique),
        "seconds": seconds,
        "sentences_per_s": len(unique) / seconds,
        "tokens": sum(lengths),
        "padded_tokens": padded,
        "padding_share": 1 - sum(lengths) / padded,
        "threads": torch.get_num_threads(),
        "_scores": scores,
    }


class PerExample:
    """The per-example loop a user writes first: one ``transformers.pipeline`` call per text."""

    def __init__(self, folder, device: torch.device, favourable: str) -> None:
        from transformers import pipeline

        device_arg = -1 if device.type == "cpu" else device
        self.pipe = pipeline("text-classification", model=str(folder), tokenizer=str(folder), device=device_arg)
        self.favourable = favourable

    def scores(self, texts: list[str]) -> np.ndarray:
        out = np.empty(len(texts))
        for i, text in enumerate(texts):
            result = self.pipe(text, top_k=None)
            out[i] = next(item["score"] for item in result if item["label"] == self.favourable)
        return out


def bench_pipeline(loop: PerExample, sample: list[str]) -> dict:
    began = time.perf_counter()
    scores = loop.scores(sample)
    seconds = time.perf_counter() - began
    return {
        "texts": len(sample),
        "seconds": seconds,
        "sentences_per_s": len(sample) / seconds,
        "threads": torch.get_num_threads(),
        "_scores": scores,
    }


def _delta(after: dict, before: dict) -> dict:
    return {key: after[key] - before[key] for key in after}


def bench_ours(runner: TextClassifierRunner, texts: list[str], n_pairs: int) -> dict:
    """One score_texts call over every text; the runner's stats say how much of it reached the model."""
    before = dict(runner.stats)
    began = time.perf_counter()
    scores = runner.score_texts(texts)
    seconds = time.perf_counter() - began
    stats = _delta(runner.stats, before)
    forwarded = stats["forward_inputs"]
    return {
        "texts": len(texts),
        "pairs": n_pairs,
        "seconds": seconds,
        "pairs_per_s": n_pairs / seconds,
        "sentences_per_s": len(texts) / seconds,
        "forwarded_per_s": forwarded / seconds if forwarded else None,
        "seconds_forward": stats["seconds_forward"],
        "seconds_outside_forward": seconds - stats["seconds_forward"],
        "stats": stats,
        "threads": torch.get_num_threads(),
        "_scores": scores,
    }


def bench_probe(runner: TextClassifierRunner, originals: list[str], n_boot: int, seed: int) -> dict:
    """The real probe path on a frame of the originals: sampling, substitution, one runner call, statistics."""
    from explainers.probes.text import text_counterfactual_probe

    frame = pd.DataFrame({"text": originals})
    before = dict(runner.stats)
    began = time.perf_counter()
    result = text_counterfactual_probe(
        runner, frame, column="text", lexicon="gender", max_rows=len(frame), n_boot=n_boot, seed=seed
    )
    seconds = time.perf_counter() - began
    stats = _delta(runner.stats, before)
    return {
        "rows": len(frame),
        "pairs": len(frame),
        "n_boot": n_boot,
        "seconds": seconds,
        "pairs_per_s": len(frame) / seconds,
        "seconds_forward": stats["seconds_forward"],
        "seconds_outside_forward": seconds - stats["seconds_forward"],
        "stats": stats,
        "verdict": result.verdict,
        "sets": {f"{p.source_group}->{p.target_group}": p.n for p in result.pairs}
        | {f"control {c.group}": c.n for c in result.controls},
        "threads": torch.get_num_threads(),
    }


def agreement(ours: np.ndarray, reference: np.ndarray) -> float:
    return float(np.max(np.abs(ours - reference))) if len(ours) else 0.0


def bench_paired(
    ceiling: Ceiling,
    runner: TextClassifierRunner,
    loop: PerExample | None,
    unique: list[str],
    blocks: int,
    sample: int,
    settle: Callable[[], None] | None = None,
) -> dict:
    """Ceiling, ours (fresh cache per block) and the per-example loop interleaved block by block, order reversed
    every other block (ABC, CBA), so that contention that comes and goes hits every path alike.

    The ceiling and ours run on every block of the unique texts, the loop on the first ``sample / blocks`` texts of
    each. ``settle`` runs before each block (a wait for a quiet machine); each block records the CPUs other
    processes used during it, and the rates are given over all blocks and over the quiet ones (others under
    QUIET_CPUS). The price: ours sorts by length within a block rather than over all texts (blocks of a few
    hundred texts already bucket these short sentences well).
    """
    size = -(-len(unique) // max(blocks, 1))
    per_block = -(-sample // max(blocks, 1)) if loop is not None else 0
    score = {"ceiling": ceiling.scores, "ours": runner.score_texts}
    if per_block:
        score["pipeline"] = loop.scores
    paths = list(score)
    records = []
    for k, start in enumerate(range(0, len(unique), size)):
        block = unique[start : start + size]
        if settle is not None:
            settle()
        record: dict = {"seconds": {}, "texts": {}}
        with contention(record, "busy"):
            for path in paths if k % 2 == 0 else paths[::-1]:
                if path == "ours":
                    runner.cache = type(runner.cache)()
                texts = block[:per_block] if path == "pipeline" else block
                began = time.perf_counter()
                score[path](texts)
                record["seconds"][path] = time.perf_counter() - began
                record["texts"][path] = len(texts)
        records.append(record)
    quiet = [r for r in records if (r["busy"]["other_cpus"] or 0.0) < QUIET_CPUS]
    return {
        "blocks": len(records),
        "quiet_blocks": len(quiet),
        "texts": len(unique),
        "pipeline_texts": sum(r["texts"].get("pipeline", 0) for r in records),
        "all": _paired_rates(records, paths),
        "quiet": _paired_rates(quiet, paths) if quiet else None,
        "block_others_cpus": [r["busy"]["other_cpus"] for r in records],
    }


def _paired_rates(records: list[dict], paths: list[str]) -> dict:
    rates = {path: sum(r["texts"][path] for r in records) / sum(r["seconds"][path] for r in records) for path in paths}
    pipeline = rates.get("pipeline")
    return {
        "blocks": len(records),
        "ceiling_per_s": rates["ceiling"],
        "ours_per_s": rates["ours"],
        "pipeline_per_s": pipeline,
        "ours_over_ceiling": rates["ours"] / rates["ceiling"],
        "ours_over_pipeline": rates["ours"] / pipeline if pipeline else None,
        "ceiling_over_pipeline": rates["ceiling"] / pipeline if pipeline else None,
        "median_block_ratio": float(np.median([r["seconds"]["ceiling"] / r["seconds"]["ours"] for r in records])),
    }
