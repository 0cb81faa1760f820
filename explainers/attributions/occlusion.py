"""Black-box attributions of counterfactual pairs by word occlusion (design.md §6, for models exposing only scores).

Typical use::

    runner = ProfanityRunner()
    result = occlusion_pairs(runner.score_texts, select_pairs(examples, 50), lexicon=load_lexicon("gender"),
                             probabilities=runner.probabilities, labels=runner.labels, target=runner.favourable_index)

The weight of word i of x is f(x) - f(x without word i), where f is the score (the favourable-class probability)
and removing a word deletes it (or, with ``replacement``, puts a mask token in its place: deletion shifts the
position of every later word, which a position-aware model may react to more than to the word itself); the same
is done for x'. Occlusion needs no gradients and no access to the model,
at a stated cost: for a pair of n and n' words, n + n' + 2 texts, plus 2^k span mixes for its k substituted spans
and the faithfulness perturbations, all deduplicated and scored in two calls of ``score_texts``/``probabilities``
(``result.cost``). Occlusion weights have no completeness property (they need not sum to anything), so the
completeness fields are None and ``protected_share`` (which needs a baseline whose attributions sum to Delta) is
None; ``protected_share_neutral`` applies the same formula to the occlusion weights, and the span decomposition
is exact whatever the model.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

import numpy as np

from explainers.attributions.pairs import (
    Progress,
    pair_flipped,
    pair_record,
    render,
    report_progress,
    select_pairs,
    summarize,
    with_faithfulness,
)
from explainers.attributions.results import AttributionCost, AttributionSet, TextAttributionResult, finite
from explainers.attributions.spans import MAX_SPANS, span_decomposition, span_mix_texts
from explainers.attributions.words import Words, pair_words
from explainers.lexicons import Lexicon
from explainers.probes.counterfactual import stream_rng

_RANDOM_STREAM = 7


def occlusion_texts(words: Words, replacement: str | None = None) -> list[str]:
    """x itself, then x without word i for each word i (words joined by single spaces).

    With a ``replacement`` (e.g. the model's "[MASK]" or "[UNK]" token) word i is replaced instead of deleted, so
    the words after it keep their positions.
    """
    if replacement is None:
        everything = range(len(words))
        return [words.text] + [words.keep(j for j in everything if j != i) for i in everything]
    return [words.text] + [
        " ".join(replacement if j == i else word for j, word in enumerate(words.words)) for i in range(len(words))
    ]


def occlusion_pairs(
    score_texts: Callable[[list[str]], np.ndarray],
    pairs: Sequence[dict],
    *,
    lexicon: Lexicon | None = None,
    probabilities: Callable[[list[str]], np.ndarray] | None = None,
    labels: Sequence[str] = ("unfavourable", "favourable"),
    target: int = 1,
    replacement: str | None = None,
    budget: int | None = None,
    n_render: int = 3,
    faithfulness: bool = True,
    n_random: int = 3,
    seed: int = 0,
    min_delta: float = 0.01,
    max_spans: int = MAX_SPANS,
    progress: Progress | None = None,
) -> TextAttributionResult:
    """Word-occlusion attributions of counterfactual pairs for a model known only by its scores.

    Args:
        score_texts: texts -> f, the target-class probability per text (e.g. a runner's ``score_texts``).
        pairs: as for :func:`explain_text_pairs`; explained in :func:`select_pairs` order, at most ``budget``.
        probabilities, labels, target: class probabilities (n, classes), their labels and the index of the class
            ``score_texts`` returns, for the faithfulness check's predicted class. Without ``probabilities`` a
            two-class model is assumed: (1 - score, score) with ``labels`` and ``target`` 1.
        replacement: None deletes each word in turn; a string (a mask or unknown token the model knows) replaces
            it, which keeps positions for models that read them. The faithfulness check always deletes.
        min_delta, max_spans, n_render, faithfulness, n_random, seed, progress: as for
            :func:`explain_text_pairs`.

    Raises:
        ValueError: if ``target`` is not an index of ``labels`` or ``budget`` is negative.
    """
    began = time.perf_counter()
    if not 0 <= int(target) < len(labels):
        raise ValueError(f"target {target} is not an index of the labels {list(labels)}")
    chosen = select_pairs(pairs, budget)
    words = [pair_words(p["text"], p["counterfactual"], lexicon) for p in chosen]
    report_progress(progress, 0.0, f"occlusion: scoring the perturbed texts of {len(chosen)} pair(s)")
    plans = []
    texts: list[str] = []
    for w in words:
        blocks = [occlusion_texts(w.text, replacement), occlusion_texts(w.counterfactual, replacement)]
        blocks.append(span_mix_texts(w, max_spans))
        plans.append([(len(texts) + sum(map(len, blocks[:b])), len(blocks[b])) for b in range(3)])
        texts.extend(text for block in blocks for text in block)
    unique = list(dict.fromkeys(texts))
    scored = np.asarray(score_texts(unique), dtype=np.float64) if unique else np.empty(0)
    lookup = dict(zip(unique, scored, strict=True))
    values = np.array([lookup[text] for text in texts])

    sets = {}
    for index, (w, plan) in enumerate(zip(words, plans, strict=True)):
        for member, member_words, protected, (start, size) in (
            ("text", w.text, w.protected, plan[0]),
            ("counterfactual", w.counterfactual, w.cf_protected, plan[1]),
        ):
            sets[index, member] = _occlusion_set(member_words, protected, values[start : start + size])
        report_progress(progress, 0.5 * (index + 1) / len(chosen), f"occlusion of pair {index + 1}/{len(chosen)}")

    if faithfulness:
        report_progress(progress, 0.5, "occlusion: faithfulness")
    sets, faith_texts = black_box_faithfulness(
        sets, words, score_texts, probabilities, labels, target, seed, n_random, enabled=faithfulness
    )

    report_progress(progress, 1.0, "occlusion done")
    texts_scored = len(unique) + faith_texts
    cost = AttributionCost(
        gradient_evaluations=0,
        forward_evaluations=texts_scored,
        texts_scored=texts_scored,
        model_calls=int(bool(unique)) + int(bool(faith_texts)),
        seconds=time.perf_counter() - began,
    )
    return black_box_result(
        method="occlusion",
        implementation=f"word {'deletion' if replacement is None else f'replacement by {replacement!r}'}, one score "
        "per perturbed text (explainers.attributions.occlusion)",
        library_version=None,
        baseline="occlusion",
        pairs=pairs,
        chosen=chosen,
        words=words,
        sets=sets,
        scores=[(values[plan[0][0]], values[plan[1][0]]) for plan in plans],
        span_values=[values[plan[2][0] : plan[2][0] + plan[2][1]] if plan[2][1] else None for plan in plans],
        labels=labels,
        target=target,
        min_delta=min_delta,
        max_spans=max_spans,
        n_render=n_render,
        seed=seed,
        cost=cost,
        notes=(
            f"Occlusion scored {cost.texts_scored} distinct texts in {cost.model_calls} call(s) for "
            f"{len(chosen)} pair(s); weights are f(x) - f(x without the word) and have no completeness property.",
        ),
    )


def black_box_faithfulness(sets, words, score_texts, probabilities, labels, target, seed, n_random, *, enabled):
    """AOPC of every set of a black-box method (``with_faithfulness``); (sets, texts scored for it).

    Without ``probabilities`` the score is taken as class 1 of a two-class model.
    """
    if not enabled or not sets:
        return sets, 0
    probabilities = probabilities or _two_classes(score_texts, int(target))
    rng = stream_rng(seed, _RANDOM_STREAM)
    return with_faithfulness(sets, words, probabilities, labels, target=int(target), rng=rng, n_random=n_random)


def black_box_result(
    *,
    method,
    implementation,
    library_version,
    baseline,
    pairs,
    chosen,
    words,
    sets,
    scores,
    span_values,
    labels,
    target,
    min_delta,
    max_spans,
    n_render,
    seed,
    cost,
    notes,
) -> TextAttributionResult:
    """Pair records and the result of a black-box method, from its attribution sets and the pairs' scores.

    ``sets`` maps (pair index, "text" | "counterfactual") to an AttributionSet; ``scores`` holds f(x), f(x') and
    ``span_values`` the scores of the span mixes (``span_mix_texts`` order, None without spans) per pair.
    """
    records = []
    for index, (pair, w) in enumerate(zip(chosen, words, strict=True)):
        score, counterfactual_score = scores[index]
        flipped = pair_flipped(pair) if "decision" in pair else (score >= 0.5) != (counterfactual_score >= 0.5)
        records.append(
            pair_record(
                pair,
                w,
                score=float(score),
                counterfactual_score=float(counterfactual_score),
                flipped=bool(flipped),
                text_set=sets[index, "text"],
                counterfactual_set=sets[index, "counterfactual"],
                pair_set=None,
                spans=span_decomposition(w, span_values[index], max_spans),
                min_delta=float(min_delta),
            )
        )
    return TextAttributionResult(
        method=method,
        implementation=implementation,
        library_version=library_version,
        target=int(target),
        target_label=str(labels[int(target)]),
        integration_method=None,
        max_steps=None,
        tolerance=None,
        absolute_tolerance=None,
        token_tolerance=None,
        internal_batch_size=None,
        baselines=(baseline,),
        neutral_baseline=None,
        min_delta=float(min_delta),
        seed=int(seed),
        n_candidates=len(pairs),
        n_pairs=len(chosen),
        pairs=tuple(records),
        summaries=summarize(records),
        rendered=render(records, n_render),
        non_converged=(),
        all_converged=None,
        cost=cost,
        notes=tuple(notes),
    )


def _occlusion_set(words: Words, protected: tuple[bool, ...], scores: np.ndarray) -> AttributionSet:
    """Weights f(x) - f(x without word i) from the scores of :func:`occlusion_texts` (same order)."""
    weights = scores[0] - scores[1:]
    return AttributionSet(
        text=words.text,
        baseline="occlusion",
        words=words.words,
        weights=tuple(finite(w) or 0.0 for w in weights),
        protected=tuple(protected),
        output=finite(scores[0]),
        baseline_output=None,
        total=finite(weights.sum()),
        completeness_error=None,
        error_bound=None,
        token_error=None,
        token_error_bound=None,
        steps=None,
        steps_by_round=(),
        converged=None,
        faithfulness=None,
    )


def _two_classes(score_texts: Callable[[list[str]], np.ndarray], target: int) -> Callable[[list[str]], np.ndarray]:
    """Class probabilities of a two-class model known by one score: (1 - score, score), ``target`` = 1."""
    if target != 1:
        raise ValueError("without probabilities, the score is taken as class 1 of a two-class model (target 1)")

    def probabilities(texts: list[str]) -> np.ndarray:
        scores = np.asarray(score_texts(texts), dtype=np.float64)
        return np.column_stack([1.0 - scores, scores])

    return probabilities
