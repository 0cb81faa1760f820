"""What-if of one input: its score and decision, and its counterfactual variants across a protected attribute.

The variants are built exactly as the probes build theirs (design.md §5), so a what-if answers "what would the
probe have seen for this one input":

* text: for every ordered pair of lexicon groups (source, target) whose source terms occur in the text, the text
  with those terms swapped (``substitute(text, lexicon.mapping(source, target))``, the text probe's rewrite);
* tabular: the row with the protected column set to every group value, all else fixed (``counterfactual_frame``,
  the tabular probe's copies).

Typical use::

    result = text_what_if(runner, "She is a nurse.", column="text", lexicon=load_lexicon("gender"))
    result.score, result.decision, [(v.target_group, v.score) for v in result.variants]

Attributions are computed elsewhere (``explainers.attributions.whatif``: they load torch and shap).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from explainers.lexicons import Lexicon, substitute
from explainers.probes.counterfactual import counterfactual_frame, group_codes, probe_groups

# The words of the attributions (explainers.attributions.words, which loads torch through its package): a test
# checks the two agree, so a what-if can be shown in the web process without torch.
_WORD = re.compile(r"\w+(?:['\u2019]\w+)*|[^\w\s]")


@dataclass(frozen=True)
class WhatIfVariant:
    """One counterfactual of the input: ``delta`` = score(variant) - score(input), as in the probes.

    ``text`` is the rewritten text (text what-if) and ``n_substitutions`` the words swapped; a tabular variant
    has ``text`` None and ``n_substitutions`` 0 (its change is the protected value ``target_group``).
    """

    source_group: str
    target_group: str
    text: str | None
    n_substitutions: int
    score: float
    decision: bool
    delta: float
    flipped: bool


@dataclass(frozen=True)
class WhatIfResult:
    """The model's score (probability of the favourable class) and decision for one input, and its variants.

    ``attribute`` names the lexicon (text) or the protected column (tabular); ``own_group`` is the row's group
    (tabular; None when its value is not one of ``groups``) or the groups whose terms occur in the text.
    """

    kind: str
    attribute: str
    groups: tuple[str, ...]
    own_group: tuple[str, ...]
    score: float
    decision: bool
    variants: tuple[WhatIfVariant, ...]


def text_words(text: str) -> tuple[str, ...]:
    """The words of ``text`` as the text attributions cut it (one weight each)."""
    return tuple(match.group(0) for match in _WORD.finditer(text))


def text_variants(text: str, lexicon: Lexicon) -> list[tuple[str, str, str, int]]:
    """(source, target, rewritten text, words swapped) of every ordered group pair that changes ``text``."""
    out = []
    for source in lexicon.groups:
        for target in lexicon.groups:
            if source == target:
                continue
            new, count = substitute(text, lexicon.mapping(source, target))
            if count:
                out.append((source, target, new, int(count)))
    return out


def text_what_if(runner, text: str, *, column: str, lexicon: Lexicon) -> WhatIfResult:
    """Score ``text`` and each of its lexicon variants in one runner call (``runner.predict`` on a frame).

    Raises:
        ValueError: on an empty text.
    """
    if not isinstance(text, str) or not text.strip():
        raise ValueError("the text is empty")
    variants = text_variants(text, lexicon)
    frame = pd.DataFrame({column: [text, *(new for _, _, new, _ in variants)]}, dtype=object)
    decisions, scores = runner.predict(frame)
    rows = []
    for index, (source, target, new, count) in enumerate(variants, start=1):
        rows.append(_variant(source, target, new, count, decisions, scores, index))
    own = tuple(dict.fromkeys(source for source, _, _, _ in variants))
    return WhatIfResult(
        kind="text",
        attribute=lexicon.name,
        groups=tuple(lexicon.groups),
        own_group=own,
        score=float(scores[0]),
        decision=bool(decisions[0]),
        variants=tuple(rows),
    )


def tabular_what_if(
    runner, row: pd.DataFrame, *, column: str, original: pd.Series, groups: list[str] | None = None
) -> WhatIfResult:
    """Score one row and its copies with ``column`` set to every group value, in one runner call.

    Args:
        row: a one-row frame holding the model's feature columns and ``column``.
        original: the protected column of the dataset the row comes from: its dtype and stored group values.
        groups: the group labels; default the distinct values of ``original``.

    Raises:
        ValueError: on a frame that is not one row, a missing column, or fewer than two groups.
    """
    if len(row) != 1:
        raise ValueError("a tabular what-if takes exactly one row")
    labels = probe_groups(original.to_frame(column), column, groups)
    features = runner.feature_columns
    inputs = row if features is None else row[list(dict.fromkeys([*features, column]))]
    inputs = inputs.reset_index(drop=True)
    base_decisions, base_scores = runner.predict(inputs)
    own = int(group_codes(inputs[column], labels)[0])
    decisions, scores = runner.predict(counterfactual_frame(inputs, original, column, labels))
    source = labels[own] if own >= 0 else str(inputs[column].iloc[0])
    all_decisions = np.concatenate([base_decisions, decisions])
    all_scores = np.concatenate([base_scores, scores])
    variants = [
        _variant(source, labels[g], None, 0, all_decisions, all_scores, g + 1) for g in range(len(labels)) if g != own
    ]
    return WhatIfResult(
        kind="tabular",
        attribute=column,
        groups=labels,
        own_group=(labels[own],) if own >= 0 else (),
        score=float(base_scores[0]),
        decision=bool(base_decisions[0]),
        variants=tuple(variants),
    )


def _variant(source, target, text, count, decisions, scores, index) -> WhatIfVariant:
    return WhatIfVariant(
        source_group=str(source),
        target_group=str(target),
        text=text,
        n_substitutions=int(count),
        score=float(scores[index]),
        decision=bool(decisions[index]),
        delta=float(scores[index] - scores[0]),
        flipped=bool(decisions[index] != decisions[0]),
    )
