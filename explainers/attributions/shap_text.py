"""Black-box attributions of counterfactual pairs with SHAP's text explainer (design.md §6, the option to occlusion).

Typical use::

    result = shap_text_pairs(runner.score_texts, select_pairs(examples, 20), lexicon=load_lexicon("gender"))

Each member of a pair is explained by ``shap.Explainer(f, shap.maskers.Text(...), algorithm="partition")``: Owen
values over a hierarchical clustering of the words, where a masked word is deleted from the text (as occlusion
deletes it; or replaced by a mask token, ``replacement``). The masker splits text into the same words as every
other attribution here (``words.split_words``), so the values are per word as reported. Unlike occlusion, SHAP
values add up: sum(values) = f(x) - f(every word masked), and ``completeness_error`` records the difference
(float rounding).

The cost is stated: SHAP scores up to ``max_evals`` perturbed texts per member (default 10 per word, at least 100),
against n + 1 for occlusion; every text passes through one cache, so repeats are scored once
(``result.cost.texts_scored``). Like occlusion it needs no gradients and no access to the model; its weights do not
sum to the pair's Delta, so ``protected_share`` is None and ``protected_share_neutral`` applies.
"""

from __future__ import annotations

import importlib.metadata
import re
import time
from collections.abc import Callable, Sequence

import numpy as np
import shap

from explainers.attributions.occlusion import black_box_faithfulness, black_box_result
from explainers.attributions.pairs import Progress, report_progress, select_pairs
from explainers.attributions.results import AttributionCost, AttributionSet, finite
from explainers.attributions.spans import MAX_SPANS, span_mix_texts
from explainers.attributions.words import Words, pair_words, split_words
from explainers.lexicons import Lexicon

MASK = "xxshapmaskxx"  # one word to the masker's tokenizer; deleted (with its space) before the model sees the text
_MASKED = re.compile(rf"\s*{MASK}\s*")


def _tokenize(text: str, return_offsets_mapping: bool = True) -> dict:
    """The tokenizer protocol of ``shap.maskers.Text``: our words and their character spans."""
    words = split_words(text)
    out = {"input_ids": list(words.words)}
    if return_offsets_mapping:
        out["offset_mapping"] = list(zip(words.starts, words.ends, strict=True))
    return out


def _unmask(text: str, replacement: str | None) -> str:
    return " ".join(_MASKED.sub(" " if replacement is None else f" {replacement} ", text).split())


class _CachedScores:
    """``score_texts`` behind a cache: every distinct text is scored once, and the calls are counted."""

    def __init__(self, score_texts: Callable[[list[str]], np.ndarray]) -> None:
        self.score_texts, self.scores, self.calls = score_texts, {}, 0

    def __call__(self, texts) -> np.ndarray:
        texts = [str(text) for text in texts]
        new = [text for text in dict.fromkeys(texts) if text not in self.scores]
        if new:
            self.calls += 1
            self.scores.update(zip(new, np.asarray(self.score_texts(new), dtype=np.float64).tolist(), strict=True))
        return np.array([self.scores[text] for text in texts], dtype=np.float64)


def shap_text_pairs(
    score_texts: Callable[[list[str]], np.ndarray],
    pairs: Sequence[dict],
    *,
    lexicon: Lexicon | None = None,
    probabilities: Callable[[list[str]], np.ndarray] | None = None,
    labels: Sequence[str] = ("unfavourable", "favourable"),
    target: int = 1,
    replacement: str | None = None,
    max_evals: int | None = None,
    budget: int | None = None,
    n_render: int = 3,
    faithfulness: bool = True,
    n_random: int = 3,
    seed: int = 0,
    min_delta: float = 0.01,
    max_spans: int = MAX_SPANS,
    progress: Progress | None = None,
):
    """SHAP (partition explainer, text masker) attributions of counterfactual pairs for a model known by scores.

    Args:
        replacement: None deletes masked words; a string (a mask or unknown token the model knows) replaces each,
            which keeps positions for models that read them (as for occlusion).
        max_evals: perturbed texts SHAP may score per member; default max(100, 10 x its words).
        Everything else as for :func:`~explainers.attributions.occlusion.occlusion_pairs`.

    Raises:
        ValueError: if ``target`` is not an index of ``labels``, or ``max_evals`` is below 10.
    """
    began = time.perf_counter()
    if not 0 <= int(target) < len(labels):
        raise ValueError(f"target {target} is not an index of the labels {list(labels)}")
    if max_evals is not None and int(max_evals) < 10:
        raise ValueError(f"max_evals must be at least 10, got {max_evals}")
    chosen = select_pairs(pairs, budget)
    words = [pair_words(p["text"], p["counterfactual"], lexicon) for p in chosen]
    cached = _CachedScores(score_texts)

    def model(texts):
        return cached([_unmask(text, replacement) for text in texts])

    explainer = shap.Explainer(model, shap.maskers.Text(_tokenize, mask_token=MASK, collapse_mask_token=False))
    sets, scores, spans = {}, [], []
    for index, w in enumerate(words):
        report_progress(progress, 0.8 * index / max(len(words), 1), f"SHAP of pair {index + 1}/{len(words)}")
        for member, member_words, protected in (
            ("text", w.text, w.protected),
            ("counterfactual", w.counterfactual, w.cf_protected),
        ):
            evals = int(max_evals) if max_evals is not None else max(100, 10 * len(member_words))
            sets[index, member] = _shap_set(explainer, model, member_words, protected, evals)
        scores.append((sets[index, "text"].output, sets[index, "counterfactual"].output))
        mixes = span_mix_texts(w, max_spans)
        spans.append(cached(mixes) if mixes else None)
    shap_texts, shap_calls = len(cached.scores), cached.calls

    if faithfulness:
        report_progress(progress, 0.8, "SHAP: faithfulness")
    sets, faith_texts = black_box_faithfulness(
        sets, words, score_texts, probabilities, labels, target, seed, n_random, enabled=faithfulness
    )
    report_progress(progress, 1.0, "SHAP done")
    cost = AttributionCost(
        gradient_evaluations=0,
        forward_evaluations=shap_texts + faith_texts,
        texts_scored=shap_texts + faith_texts,
        model_calls=shap_calls + int(bool(faith_texts)),
        seconds=time.perf_counter() - began,
    )
    budget_note = "max(100, 10 x words)" if max_evals is None else str(int(max_evals))
    return black_box_result(
        method="shap_partition",
        implementation="shap.Explainer(f, shap.maskers.Text(words, masked words "
        f"{'deleted' if replacement is None else f'replaced by {replacement!r}'}), algorithm='partition')",
        library_version=f"shap {importlib.metadata.version('shap')}",
        baseline="shap_masked",
        pairs=pairs,
        chosen=chosen,
        words=words,
        sets=sets,
        scores=scores,
        span_values=spans,
        labels=labels,
        target=target,
        min_delta=min_delta,
        max_spans=max_spans,
        n_render=n_render,
        seed=seed,
        cost=cost,
        notes=(
            f"SHAP scored {shap_texts} distinct texts in {shap_calls} call(s) for {len(chosen)} pair(s) (up to "
            f"{budget_note} perturbed texts per member; occlusion would score about one per word); values add up to "
            f"f(x) - f(every word {'deleted' if replacement is None else f'replaced by {replacement!r}'}).",
        ),
    )


def _shap_set(explainer, model, words: Words, protected: tuple[bool, ...], max_evals: int) -> AttributionSet:
    """Owen values of one text's words; output f(x), baseline output f(every word deleted)."""
    explanation = explainer([words.text], max_evals=max_evals, silent=True)
    values = np.asarray(explanation.values[0], dtype=np.float64)
    if len(values) != len(words):
        raise RuntimeError(f"SHAP returned {len(values)} values for the {len(words)} words of {words.text!r}")
    base = float(np.asarray(explanation.base_values).reshape(-1)[0])
    output = float(model([words.text])[0])
    total = float(values.sum())
    return AttributionSet(
        text=words.text,
        baseline="shap_masked",
        words=words.words,
        weights=tuple(finite(v) or 0.0 for v in values),
        protected=tuple(protected),
        output=finite(output),
        baseline_output=finite(base),
        total=finite(total),
        completeness_error=finite(total - (output - base)),
        error_bound=None,
        token_error=None,
        token_error_bound=None,
        steps=None,
        steps_by_round=(),
        converged=None,
        faithfulness=None,
    )
