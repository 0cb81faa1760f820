"""Result records of the text attributions (design.md §6): frozen, JSON-ready through ``dataclasses.asdict``.

Every float is finite or None. Sign conventions, once for all records: a pair is (x, x') = (text, counterfactual)
and, as in the probe (design.md §5), ``delta = f(x') - f(x)`` where f is the probability of the target class. Word
weights are raw (unnormalised) attributions toward that class: positive pushes f up.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


def finite(value) -> float | None:
    """``float(value)`` when it is a finite number, else None (JSON has no NaN or infinity)."""
    if value is None:
        return None
    number = float(value)
    return number if math.isfinite(number) else None


@dataclass(frozen=True)
class Faithfulness:
    """AOPC of one attribution set against a seeded random ranking of the same words (design.md §6).

    ``comprehensiveness`` = mean over k in ``fractions`` of p(x) - p(x without its top-k words); ``sufficiency`` =
    mean of p(x) - p(x with only its top-k words), where p is the probability of the class the model predicts for
    x and removing a word deletes it from the text. Higher comprehensiveness and lower sufficiency are better.
    ``random_*`` average ``n_random`` random rankings scored in the same run; ``faithful`` is False when the
    attribution's comprehensiveness is not above the random one's.
    """

    predicted_class: str
    n_words: int
    fractions: tuple[float, ...]
    comprehensiveness: float | None
    sufficiency: float | None
    random_comprehensiveness: float | None
    random_sufficiency: float | None
    comprehensiveness_gain: float | None
    n_random: int
    faithful: bool | None


@dataclass(frozen=True)
class AttributionSet:
    """Word attributions of one input against one baseline, with its completeness check.

    ``baseline`` is "neutral" (pad tokens, special tokens kept), "counterfactual" (the other member of the pair)
    or "occlusion" (each word deleted in turn; no baseline, no completeness). For integrated gradients
    ``completeness_error`` = sum of token attributions - (f(input) - f(baseline)) (design.md §6), exact;
    ``token_error`` is the estimated sum over tokens of |integration error|. ``converged`` says whether both are
    within their bounds (``error_bound``, ``token_error_bound``: max(tolerance * |f(input) - f(baseline)|,
    absolute_tolerance)). ``steps`` is the number of path nodes evaluated, ``steps_by_round`` the count after each
    round of refinement.
    ``weights`` are sums of the subword attributions of each word; words cut by truncation weigh 0.
    """

    text: str
    baseline: str
    words: tuple[str, ...]
    weights: tuple[float, ...]
    protected: tuple[bool, ...]
    output: float | None
    baseline_output: float | None
    total: float | None
    completeness_error: float | None
    error_bound: float | None
    token_error: float | None
    token_error_bound: float | None
    steps: int | None
    steps_by_round: tuple[int, ...]
    converged: bool | None
    faithfulness: Faithfulness | None


@dataclass(frozen=True)
class SpanValue:
    """One substituted span: its words in x and in x', and its exact Shapley share of delta."""

    text_words: str
    counterfactual_words: str
    value: float | None


@dataclass(frozen=True)
class SpanDecomposition:
    """Exact Shapley decomposition of delta over the k substituted spans (``spans.py``).

    ``status``: "exact" (values sum to ``total`` = f(x') - f(x) up to float rounding), "no_spans" (x == x'), or
    "skipped" (more than ``max_spans`` spans; 2^k evaluations would be too many). ``evaluations`` = 2^k texts.
    """

    status: str
    spans: tuple[SpanValue, ...]
    total: float | None
    evaluations: int


@dataclass(frozen=True)
class ContextDifference:
    """An unchanged word whose attribution differs between x and x' (neutral baselines, aligned by position)."""

    word: str
    position: int
    text_weight: float | None
    counterfactual_weight: float | None
    difference: float | None


@dataclass(frozen=True)
class PairAttribution:
    """Attributions of one counterfactual pair and what they say about the finding (design.md §6).

    ``protected_share`` = attribution on the protected words of x' with x as baseline, over delta: with integrated
        gradients on the embedding layer and equal token lengths only the substituted positions differ, so this is
        1 up to the completeness error by construction (it says the whole move comes from the swap). None for
        occlusion, for unaligned pairs and when |delta| < ``min_delta``.
    ``protected_share_neutral`` = (P' - P) / (T' - T) from the neutral-baseline attributions, P = weight on
        protected words, T = total weight, of x and x': the part of delta carried by the protected words' own
        attribution; 1 minus it is carried by context words whose attribution changed (interaction). It leaves
        [0, 1] when context words move against delta. None when |delta| or |T' - T| is below ``min_delta``.
        Occlusion applies the same formula to its weights.
    ``protected_mass`` / ``counterfactual_protected_mass`` = share of total |weight| on protected words.
    ``top_word`` = the word with the largest |weight| in x (neutral baseline); ``counterfactual_top_word`` in x'.
    ``aligned`` = x and x' tokenize to the same length, so x can be the baseline of x'.
    """

    source_group: str | None
    target_group: str | None
    text: str
    counterfactual: str
    score: float | None
    counterfactual_score: float | None
    delta: float | None
    flipped: bool
    aligned: bool
    protected_share: float | None
    protected_share_neutral: float | None
    protected_mass: float | None
    counterfactual_protected_mass: float | None
    top_word: str | None
    top_word_protected: bool | None
    counterfactual_top_word: str | None
    counterfactual_top_word_protected: bool | None
    context_differences: tuple[ContextDifference, ...]
    spans: SpanDecomposition
    text_attribution: AttributionSet
    counterfactual_attribution: AttributionSet
    pair_attribution: AttributionSet | None


@dataclass(frozen=True)
class DirectionSummary:
    """Aggregates over the explained pairs of one direction (source group -> target group).

    ``flipped_top_protected_rate`` = share of the members (x and x') of flipped pairs whose top word is protected.
    ``faithful_rate`` = share of neutral attribution sets flagged faithful. Means skip None values; a mean over
    nothing is None.
    """

    source_group: str | None
    target_group: str | None
    n_pairs: int
    n_flipped: int
    mean_delta: float | None
    mean_protected_share: float | None
    mean_protected_share_neutral: float | None
    mean_protected_mass: float | None
    flipped_top_protected_rate: float | None
    mean_abs_completeness_error: float | None
    max_abs_completeness_error: float | None
    n_sets: int
    n_converged: int
    faithful_rate: float | None
    mean_comprehensiveness_gain: float | None


@dataclass(frozen=True)
class RenderedExample:
    """A pair for the report: each word with its signed weight (neutral baseline) for x and x'."""

    source_group: str | None
    target_group: str | None
    text: str
    counterfactual: str
    delta: float | None
    flipped: bool
    protected_share: float | None
    protected_share_neutral: float | None
    text_tokens: tuple[tuple[str, float, bool], ...]
    counterfactual_tokens: tuple[tuple[str, float, bool], ...]


@dataclass(frozen=True)
class AttributionCost:
    """What the run cost: model evaluations and wall time.

    For integrated gradients ``gradient_evaluations`` = sum over attribution sets of every step count tried (each
    a forward and a backward pass of one sequence); ``forward_evaluations`` counts the plain forward passes
    (endpoints, span mixes, faithfulness perturbations, as sequences, before the runner's cache). For occlusion
    ``texts_scored`` is the number of texts passed to the score function and ``model_calls`` its calls.
    """

    gradient_evaluations: int
    forward_evaluations: int
    texts_scored: int
    model_calls: int
    seconds: float


@dataclass(frozen=True)
class TextAttributionResult:
    """Attributions of a list of counterfactual pairs of a text classifier (design.md §6).

    ``method`` is "integrated_gradients" (on the output of ``model.get_input_embeddings()``, as Captum's
    ``LayerIntegratedGradients``) or "occlusion" (black-box word deletion). Each set gets path nodes until its
    completeness and token errors are within bound or it has ``max_steps`` nodes; ``non_converged`` lists the
    sets that never got there (pair index, member, baseline, steps, errors, bounds). ``notes`` says in words what
    the reader must know (fallbacks, non-convergence, skipped decompositions).
    """

    method: str
    implementation: str
    library_version: str | None
    target: int
    target_label: str
    integration_method: str | None
    max_steps: int | None
    tolerance: float | None
    absolute_tolerance: float | None
    token_tolerance: float | None
    internal_batch_size: int | None
    baselines: tuple[str, ...]
    neutral_baseline: str | None
    min_delta: float
    seed: int
    n_candidates: int
    n_pairs: int
    pairs: tuple[PairAttribution, ...]
    summaries: tuple[DirectionSummary, ...]
    rendered: tuple[RenderedExample, ...]
    non_converged: tuple[dict, ...]
    all_converged: bool | None
    cost: AttributionCost
    notes: tuple[str, ...]
