"""Words of a text, the spans a substitution changed, and subword-to-word aggregation (design.md §6).

Attributions are reported per word, whatever the tokenizer: a word is a run of word characters (with inner
apostrophes, "don't") or one punctuation mark, which is how BERT-style pre-tokenizers split text too. The spans
of a pair are the places where the word sequences of x and x' differ (a lexicon swap changes whole words, so these
are exactly the substituted terms).
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

import numpy as np

from explainers.lexicons import Lexicon

_WORD = re.compile(r"\w+(?:['\u2019]\w+)*|[^\w\s]")


@dataclass(frozen=True)
class Words:
    """A text cut into words, with each word's character span."""

    text: str
    words: tuple[str, ...]
    starts: tuple[int, ...]
    ends: tuple[int, ...]

    def __len__(self) -> int:
        return len(self.words)

    def keep(self, positions) -> str:
        """The text reduced to the words at ``positions`` (in text order), joined by single spaces."""
        return " ".join(self.words[i] for i in sorted(positions))


@dataclass(frozen=True)
class Span:
    """One substituted span: words ``[start, stop)`` of x became words ``[cf_start, cf_stop)`` of x'."""

    start: int
    stop: int
    cf_start: int
    cf_stop: int


@dataclass(frozen=True)
class PairWords:
    """Both members of a pair in words, their substituted spans, protected flags and unchanged word pairs."""

    text: Words
    counterfactual: Words
    spans: tuple[Span, ...]
    protected: tuple[bool, ...]
    cf_protected: tuple[bool, ...]
    matches: tuple[tuple[int, int], ...]  # (position in x, position in x') of words the substitution left alone


def split_words(text: str) -> Words:
    matches = list(_WORD.finditer(text))
    return Words(
        text=text,
        words=tuple(match.group(0) for match in matches),
        starts=tuple(match.start() for match in matches),
        ends=tuple(match.end() for match in matches),
    )


def pair_words(text: str, counterfactual: str, lexicon: Lexicon | None = None) -> PairWords:
    """Spans where x and x' differ (case-insensitive word diff) and the protected words of each member.

    Protected words are the substituted ones; with a ``lexicon``, every other word that is a term of one of its
    groups is protected too (a "his" that a female -> male swap leaves alone still carries gender).
    """
    first, second = split_words(text), split_words(counterfactual)
    a = [word.lower() for word in first.words]
    b = [word.lower() for word in second.words]
    spans, matches = [], []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            matches.extend(zip(range(i1, i2), range(j1, j2), strict=True))
        else:
            spans.append(Span(i1, i2, j1, j2))
    terms = {term for pair in lexicon.pairs for term in pair} if lexicon is not None else set()
    protected = [word in terms for word in a]
    cf_protected = [word in terms for word in b]
    for span in spans:
        protected[span.start : span.stop] = [True] * (span.stop - span.start)
        cf_protected[span.cf_start : span.cf_stop] = [True] * (span.cf_stop - span.cf_start)
    return PairWords(first, second, tuple(spans), tuple(protected), tuple(cf_protected), tuple(matches))


def mix_text(pair: PairWords, chosen: set[int]) -> str:
    """x with the spans whose index is in ``chosen`` replaced by their x' words, the rest of x kept verbatim.

    With every span chosen this is x' itself for a lexicon swap (only word characters change); spans that insert or
    delete words leave spacing to be normalised.
    """
    x, y, text = pair.text, pair.counterfactual, pair.text.text
    pieces, cursor, uneven = [], 0, False
    for index, span in enumerate(pair.spans):
        if index not in chosen:
            continue
        if span.stop > span.start:
            start, stop = x.starts[span.start], x.ends[span.stop - 1]
        else:
            start = stop = x.starts[span.start] if span.start < len(x) else len(text)
        new = y.text[y.starts[span.cf_start] : y.ends[span.cf_stop - 1]] if span.cf_stop > span.cf_start else ""
        uneven = uneven or span.stop == span.start or span.cf_stop == span.cf_start
        pieces.extend([text[cursor:start], f" {new} " if span.stop == span.start else new])
        cursor = stop
    pieces.append(text[cursor:])
    mixed = "".join(pieces)
    return " ".join(mixed.split()) if uneven else mixed


def token_words(words: Words, offsets, special) -> np.ndarray:
    """Word index of each token (-1 for special tokens and tokens outside every word), from character offsets.

    A token belongs to the word holding the first non-space character it covers, so subwords ("doc", "##tor")
    and SentencePiece pieces with a leading space both land on their word.
    """
    owner = np.full(len(words.text) + 1, -1, dtype=np.int64)
    for index, (start, end) in enumerate(zip(words.starts, words.ends, strict=True)):
        owner[start:end] = index
    result = np.full(len(offsets), -1, dtype=np.int64)
    for position, ((start, end), is_special) in enumerate(zip(offsets, special, strict=True)):
        if is_special or end <= start:
            continue
        covered = owner[start:end]
        inside = covered[covered >= 0]
        if inside.size:
            result[position] = inside[0]
    return result


def word_weights(token_weights: np.ndarray, owners: np.ndarray, n_words: int) -> np.ndarray:
    """Sum of the token attributions of each word (raw, unnormalised); words without tokens get 0."""
    weights = np.zeros(n_words, dtype=np.float64)
    mask = owners >= 0
    np.add.at(weights, owners[mask], np.asarray(token_weights, dtype=np.float64)[mask])
    return weights
