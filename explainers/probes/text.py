"""Classifier text probe: swap group terms in a text column and measure how the model moves (design.md §5).

Typical use::

    runner = TabularRunner(pipeline, favourable_class="approve")     # the pipeline reads the "text" column
    result = text_counterfactual_probe(runner, frame, column="text", lexicon="gender")
    result.verdict, result.pairs, result.controls, result.examples
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from explainers.audit_settings import DEFAULT_ALPHA, PROBE_DEFAULTS
from explainers.lexicons import Lexicon, counterfactuals, load_lexicon, substitute
from explainers.probes.counterfactual import SAMPLE_STREAM, stream_rng
from explainers.probes.paired import bootstrap_sums
from explainers.probes.tabular import _check_settings
from explainers.probes.text_stats import MIN_ROWS, TermSet, excess, pair_verdict, set_statistics, worst
from explainers.runners.tabular import TabularRunner

__all__ = ["MIN_ROWS", "TextControlResult", "TextPairResult", "TextProbeResult", "counterfactuals", "substitute"]
__all__ += ["text_counterfactual_probe"]

# Random streams of one seed (stream_rng): the bootstrap never shifts the row samples, and vice versa.
_BOOTSTRAP_STREAM = SAMPLE_STREAM + 1


@dataclass(frozen=True)
class TextControlResult:
    """Within-group substitutions of ``group`` (lexicon ``control``): how much any term change moves the model.

    Delta = score(x') - score(x); intervals are percentile intervals of a bootstrap over the rows of this set;
    statistics are None when no row holds a control term. ``wilcoxon_p``/``t_test_p`` are two-sided tests of
    the paired Deltas (None with too few rows or when every Delta is zero).
    """

    group: str
    n: int
    n_substitutions: int
    flip_rate: float | None
    flip_ci_low: float | None
    flip_ci_high: float | None
    mean_delta: float | None
    delta_ci_low: float | None
    delta_ci_high: float | None
    mean_abs_delta: float | None
    abs_delta_ci_low: float | None
    abs_delta_ci_high: float | None
    wilcoxon_p: float | None
    t_test_p: float | None


@dataclass(frozen=True)
class TextPairResult:
    """Rows holding a ``source_group`` term, with every such term swapped for its ``target_group`` counterpart.

    The statistics read as in TextControlResult; ``mean_abs_delta`` is the counterfactual token fairness gap.
    ``excess_*`` = this pair's statistic minus the source group's control statistic (design.md §5: a model that
    reacts to any term change is unstable, not biased toward a group). Their intervals come from bootstrapping
    the pair's rows and the control's rows independently (the two sets are different, partly overlapping row
    samples, so no joint resample is natural; independence is conservative when they overlap). Without control
    rows the baseline is 0 and the excess is the raw statistic. ``verdict`` judges the excess flip rate against
    the threshold; "insufficient_data" below MIN_ROWS rows.
    """

    source_group: str
    target_group: str
    n: int
    n_substitutions: int
    flip_rate: float | None
    flip_ci_low: float | None
    flip_ci_high: float | None
    mean_delta: float | None
    delta_ci_low: float | None
    delta_ci_high: float | None
    mean_abs_delta: float | None
    abs_delta_ci_low: float | None
    abs_delta_ci_high: float | None
    wilcoxon_p: float | None
    t_test_p: float | None
    control_n: int
    control_flip_rate: float | None
    control_mean_abs_delta: float | None
    excess_flip_rate: float | None
    excess_flip_ci_low: float | None
    excess_flip_ci_high: float | None
    excess_mean_abs_delta: float | None
    excess_abs_delta_ci_low: float | None
    excess_abs_delta_ci_high: float | None
    verdict: str


@dataclass(frozen=True)
class TextProbeResult:
    """Counterfactual term substitution on one text column (design.md §5 "Classifier text probe").

    ``verdict`` is the worst pair verdict, ranked fail > inconclusive > insufficient_data > pass: a direction
    that could not be tested keeps the probe from passing. ``examples`` are the only row-level content
    (design.md §8): original and substituted text with both scores and decisions; empty when not requested.
    """

    column: str
    lexicon: str
    lexicon_version: str
    groups: tuple[str, ...]
    n_rows: int
    threshold: float
    verdict: str
    pairs: tuple[TextPairResult, ...]
    controls: tuple[TextControlResult, ...]
    examples: tuple[dict, ...]
    max_rows: int
    seed: int
    n_boot: int
    alpha: float


def text_counterfactual_probe(
    runner: TabularRunner,
    frame: pd.DataFrame,
    *,
    column: str,
    lexicon: Lexicon | str,
    max_rows: int = PROBE_DEFAULTS.max_text_rows,
    n_boot: int = 1000,
    seed: int = 0,
    alpha: float = DEFAULT_ALPHA,
    threshold: float = PROBE_DEFAULTS.threshold,
    n_examples: int = PROBE_DEFAULTS.n_examples,
    include_examples: bool = True,
    pairs_sink=None,
) -> TextProbeResult:
    """Swap group terms in ``column`` for every ordered group pair and within each group (the control).

    Each set is the rows whose text holds a term to swap, a seeded sample of at most ``max_rows``. Only
    ``column`` changes. Every original and substituted row goes to the runner in one frame, so the model is
    called in as few batches as its ``batch_size`` allows (design.md §9).

    Args:
        lexicon: a Lexicon, or a built-in name or file path for :func:`load_lexicon`.
        pairs_sink: optional callable given one DataFrame with every substitution (cross-group pairs and controls:
            texts, scores, decisions, Delta), e.g. to store it as an artifact of the run. Row-level content:
            callers pass it only when the plan allows example pairs.

    Raises:
        ValueError: on a missing column, an unreadable lexicon, or out-of-range settings.
    """
    _check_settings(max_rows=max_rows, n_boot=n_boot, alpha=alpha, threshold=threshold)
    if column not in frame.columns:
        raise ValueError(f"text column {column!r} is not in the frame")
    lexicon = lexicon if isinstance(lexicon, Lexicon) else load_lexicon(lexicon)
    texts = frame[column]
    sample_rng = stream_rng(seed, SAMPLE_STREAM)
    controls = {g: _term_set(texts, lexicon.control_mapping(g), max_rows, sample_rng) for g in lexicon.groups}
    ordered = [(s, t) for s in lexicon.groups for t in lexicon.groups if s != t]
    pairs = {(s, t): _term_set(texts, lexicon.mapping(s, t), max_rows, sample_rng) for s, t in ordered}
    _predict(runner, frame, column, [*controls.values(), *pairs.values()])
    if pairs_sink is not None:
        pairs_sink(_pair_table(texts, pairs, controls))

    boot_rng = stream_rng(seed, _BOOTSTRAP_STREAM)
    for term_set in [*controls.values(), *pairs.values()]:
        term_set.bootstrap(lambda values: bootstrap_sums(values, n_boot, boot_rng))
    control_results = tuple(TextControlResult(group=g, **set_statistics(controls[g], alpha)) for g in lexicon.groups)
    pair_results = tuple(_pair_result(s, t, pairs[s, t], controls[s], alpha, threshold) for s, t in ordered)
    examples = _examples(texts, pairs, n_examples) if include_examples else ()
    return TextProbeResult(
        column=column,
        lexicon=lexicon.name,
        lexicon_version=lexicon.version,
        groups=tuple(lexicon.groups),
        n_rows=len(frame),
        threshold=float(threshold),
        verdict=worst(pair.verdict for pair in pair_results),
        pairs=pair_results,
        controls=control_results,
        examples=examples,
        max_rows=int(max_rows),
        seed=seed,
        n_boot=n_boot,
        alpha=alpha,
    )


def _term_set(texts: pd.Series, mapping: dict[str, str], max_rows: int, rng: np.random.Generator) -> TermSet:
    """Rows whose text holds a term of ``mapping`` (seeded sample of at most ``max_rows``) and their rewrites."""
    hits = np.array([substitute(text, mapping)[1] > 0 if isinstance(text, str) else False for text in texts])
    positions = np.flatnonzero(hits) if hits.size else np.empty(0, dtype=np.int64)
    if positions.size > max_rows:
        positions = positions[np.sort(rng.choice(positions.size, size=int(max_rows), replace=False))]
    rewritten = [substitute(texts.iloc[i], mapping) for i in positions]
    return TermSet(
        positions=positions,
        texts=[text for text, _ in rewritten],
        n_substitutions=sum(count for _, count in rewritten),
    )


def _predict(runner: TabularRunner, frame: pd.DataFrame, column: str, sets: list[TermSet]) -> None:
    """One runner call: the union of original rows first, then each set's rewritten rows; results go to the sets."""
    features = runner.feature_columns
    inputs = frame if features is None else frame[list(dict.fromkeys([*features, column]))]
    union = np.unique(np.concatenate([s.positions for s in sets] + [np.empty(0, dtype=np.int64)])).astype(np.int64)
    blocks = [inputs.iloc[union].reset_index(drop=True)]
    for term_set in sets:
        block = inputs.iloc[term_set.positions].reset_index(drop=True)
        block[column] = pd.Series(term_set.texts, dtype=object)
        blocks.append(block)
    stacked = pd.concat(blocks, ignore_index=True)
    if len(stacked) == 0:
        return
    decisions, scores = runner.predict(stacked)
    start = len(union)
    for term_set in sets:
        base = np.searchsorted(union, term_set.positions)
        stop = start + term_set.positions.size
        term_set.record(decisions[base], scores[base], decisions[start:stop], scores[start:stop])
        start = stop


def _pair_result(
    source: str, target: str, pair: TermSet, control: TermSet, alpha: float, threshold: float
) -> TextPairResult:
    statistics = set_statistics(pair, alpha)
    excesses = excess(pair, control, alpha)
    return TextPairResult(
        source_group=source,
        target_group=target,
        **statistics,
        control_n=control.n,
        control_flip_rate=float(control.flips.mean()) if control.n else None,
        control_mean_abs_delta=float(np.abs(control.deltas).mean()) if control.n else None,
        **excesses,
        verdict=pair_verdict(pair.n, excesses["excess_flip_ci_low"], excesses["excess_flip_ci_high"], threshold),
    )


def _examples(texts: pd.Series, pairs: dict[tuple[str, str], TermSet], limit: int) -> tuple[dict, ...]:
    """Up to ``limit`` substitutions, flipped ones first, then by largest |Delta| (ties by pair, then row)."""
    candidates = []
    for k, ((source, target), term_set) in enumerate(pairs.items()):
        for i in range(term_set.n):
            candidates.append((not term_set.flips[i], -abs(term_set.deltas[i]), k, i, source, target, term_set))
    candidates.sort(key=lambda item: item[:4])
    examples = []
    for _, _, _, i, source, target, term_set in candidates[: max(int(limit), 0)]:
        examples.append(
            {
                "source_group": source,
                "target_group": target,
                "text": str(texts.iloc[term_set.positions[i]]),
                "counterfactual": term_set.texts[i],
                "score": float(term_set.base_scores[i]),
                "counterfactual_score": float(term_set.new_scores[i]),
                "decision": bool(term_set.base_decisions[i]),
                "counterfactual_decision": bool(term_set.new_decisions[i]),
            }
        )
    return tuple(examples)


def _pair_table(texts: pd.Series, pairs: dict, controls: dict) -> pd.DataFrame:
    """Every substitution of the probe, one row each (the per-pair artifact)."""
    sets = [("pair", s, t, term_set) for (s, t), term_set in pairs.items()]
    sets += [("control", g, g, term_set) for g, term_set in controls.items()]
    rows = []
    for kind, source, target, term_set in sets:
        for i in range(term_set.n):
            rows.append(
                {
                    "set": kind,
                    "source_group": source,
                    "target_group": target,
                    "row": int(term_set.positions[i]),
                    "text": str(texts.iloc[term_set.positions[i]]),
                    "counterfactual": term_set.texts[i],
                    "score": float(term_set.base_scores[i]),
                    "counterfactual_score": float(term_set.new_scores[i]),
                    "delta": float(term_set.deltas[i]),
                    "decision": bool(term_set.base_decisions[i]),
                    "counterfactual_decision": bool(term_set.new_decisions[i]),
                }
            )
    columns = ["set", "source_group", "target_group", "row", "text", "counterfactual", "score"]
    columns += ["counterfactual_score", "delta", "decision", "counterfactual_decision"]
    return pd.DataFrame(rows, columns=columns)
