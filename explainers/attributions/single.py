"""Word attributions of single texts (not pairs), for the global and explanation-quality stages (design.md §6).

:func:`ig_words` runs the integrated-gradients engine of ``integrated.py`` (neutral baseline, adaptive nodes,
completeness bound) on each text alone; :func:`occlusion_words` scores each text without each of its words
through any score function (the runner's cached ``score_texts``). Both return one :class:`WordAttribution` per
text, weights per word of :func:`~explainers.attributions.words.split_words`, raw and unnormalised.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from explainers.attributions.integrated import Job, integrate
from explainers.attributions.occlusion import occlusion_texts
from explainers.attributions.words import split_words, token_words, word_weights

IG_MAX_STEPS = 129  # nodes per path at most: a single text from the neutral baseline needs about 34 here
IG_TOLERANCE = 0.02


@dataclass(frozen=True)
class WordAttribution:
    """Attribution of one text per word; ``converged`` is False for an IG set outside its completeness bound."""

    text: str
    words: tuple[str, ...]
    weights: tuple[float, ...]
    converged: bool = True


def ig_jobs(runner, texts: Sequence[str]) -> list[tuple[Job, int]]:
    """One neutral-baseline IG job per text (every non-special token replaced by pad) and its word count."""
    encoded = runner.tokenizer(
        list(texts),
        truncation=True,
        max_length=runner.max_length,
        return_offsets_mapping=True,
        return_special_tokens_mask=True,
    )
    out = []
    for index, text in enumerate(texts):
        words = split_words(text)
        ids = list(encoded["input_ids"][index]) or [runner.pad_id]
        special = list(encoded["special_tokens_mask"][index]) or [1]
        offsets = list(encoded["offset_mapping"][index]) or [(0, 0)]
        neutral = [token if flag else runner.pad_id for token, flag in zip(ids, special, strict=True)]
        out.append((Job(index, "text", "neutral", ids, neutral, token_words(words, offsets, special)), len(words)))
    return out


def ig_words(
    runner,
    texts: Sequence[str],
    *,
    target: int | None = None,
    tolerance: float = IG_TOLERANCE,
    max_steps: int = IG_MAX_STEPS,
    batch_size: int = 64,
) -> list[WordAttribution]:
    """Integrated gradients of P(target class) per word of each text against the neutral baseline.

    Raises:
        ValueError: if the runner's tokenizer gives no character offsets (a slow tokenizer).
    """
    if not getattr(runner.tokenizer, "is_fast", False):
        raise ValueError("integrated gradients needs a fast tokenizer: its character offsets map tokens to words")
    target = runner.favourable_index if target is None else int(target)
    jobs = ig_jobs(runner, texts)
    integrate(
        runner,
        [job for job, _ in jobs],
        target,
        tolerance=tolerance,
        absolute_tolerance=1e-4,
        token_tolerance=float("inf"),
        max_steps=max_steps,
        batch_size=batch_size,
    )
    out = []
    for text, (job, n_words) in zip(texts, jobs, strict=True):
        weights = word_weights(job.tokens, job.owners, n_words)
        out.append(WordAttribution(text, split_words(text).words, tuple(float(w) for w in weights), job.converged))
    return out


def occlusion_words(score_texts: Callable[[list[str]], np.ndarray], texts: Sequence[str]) -> list[WordAttribution]:
    """f(x) - f(x without word i) per word: every text's variants scored in one call of ``score_texts``."""
    variants, spans = [], []
    for text in texts:
        words = split_words(text)
        batch = occlusion_texts(words)
        spans.append((len(variants), len(batch), words))
        variants.extend(batch)
    scores = np.asarray(score_texts(variants), dtype=np.float64) if variants else np.empty(0)
    out = []
    for text, (start, length, words) in zip(texts, spans, strict=True):
        block = scores[start : start + length]
        out.append(WordAttribution(text, words.words, tuple(float(block[0] - s) for s in block[1:])))
    return out
