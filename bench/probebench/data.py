"""Seeded review-like sentences with gendered words, and their counterfactuals under the ``gender`` lexicon.

Every template and word list here was written for this benchmark. Each original names one person through a
female or a male word (she/he, her/his, mother/father, ...), half of each, and varies its neutral content (items,
places, opinions, times), so the lexicon gives every original exactly one counterfactual: female -> male for the
female half, male -> female for the other. Originals are kept only when they are 20 to 28 tokens long (special
tokens included), and about 10 % of them repeat an earlier one, as real datasets do.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from explainers.lexicons import counterfactuals, load_lexicon

MIN_TOKENS, MAX_TOKENS = 20, 28

# One (female, male) word per entry; "her" only as a possessive, which the lexicon maps to "his".
RELATIVES = [
    ("mother", "father"),
    ("sister", "brother"),
    ("wife", "husband"),
    ("daughter", "son"),
    ("aunt", "uncle"),
    ("grandmother", "grandfather"),
    ("niece", "nephew"),
]
PEOPLE = [("woman", "man"), ("lady", "gentleman"), ("girl", "boy")]
PRONOUNS = {"female": {"subj": "she", "poss": "her"}, "male": {"subj": "he", "poss": "his"}}

TEMPLATES = [
    "My {rel} said the {item} from the {place} was {adj}, and {subj} wants to go back {when} for another one.",
    "The {person} who runs the {place} told me {poss} new {item} was {adj}, but the service was {adj2}.",
    "{Subj} bought a {item} at the {place} {when} and {poss} review says it was {adj} for the price.",
    "After the {event}, my {rel} wrote that the {thing} felt {adj} and {subj} would {verb} it to friends.",
    "I asked the {person} at the {place} about the {thing}; {subj} said it was {adj} and {poss} advice was {adj2}.",
    "My {rel} tried the {item} {when}, and {subj} found it {adj}, though {poss} {other} thought it was {adj2}.",
    "{Subj} said the {thing} at the {event} was {adj}, so {poss} {other} will probably {verb} it next year.",
    "The {person} next to us at the {event} kept saying the {thing} was {adj}, and honestly {subj} was right.",
    "When my {rel} visited the {place} {when}, {subj} thought the {thing} was {adj} and the {item} {adj2}.",
    "{Poss_cap} {other} gave the {item} to my {rel}, who says it is {adj} and that {subj} would {verb} it.",
]

ITEMS = [
    "phone", "laptop", "coffee maker", "bicycle", "jacket", "novel", "headphones", "blender", "camera", "backpack",
    "sofa", "tablet", "kettle", "watch", "lamp", "printer", "board game", "umbrella", "vacuum", "desk chair",
]  # fmt: skip
PLACES = [
    "market", "bakery", "bookstore", "hotel", "restaurant", "cinema", "museum", "gym", "cafe", "library",
    "pharmacy", "garage", "garden centre", "hardware store", "pizzeria", "bike shop",
]  # fmt: skip
ADJECTIVES = [
    "excellent", "terrible", "disappointing", "wonderful", "mediocre", "great", "awful", "fine", "overpriced",
    "charming", "boring", "lovely", "impressive", "forgettable", "fantastic", "poor", "decent", "superb",
]  # fmt: skip
WHEN = ["last week", "yesterday", "this morning", "on Sunday", "last month", "over the holidays", "after work"]
EVENTS = ["concert", "conference", "wedding", "match", "festival", "lecture", "school play", "book fair"]
THINGS = ["food", "music", "staff", "room", "atmosphere", "ticket price", "seating", "lighting", "parking", "menu"]
VERBS = ["recommend", "avoid", "suggest", "praise", "criticise"]
OTHERS = ["friend", "colleague", "neighbour", "roommate", "coworker", "teacher", "doctor", "classmate"]


@dataclass(frozen=True)
class PairSet:
    """``originals[i]`` and its counterfactual ``counterfactuals[i]``; ``texts`` is originals then counterfactuals."""

    originals: list[str]
    counterfactuals: list[str]
    genders: list[str]
    token_lengths: np.ndarray  # of the originals, special tokens included
    distinct_originals: int

    @property
    def texts(self) -> list[str]:
        return [*self.originals, *self.counterfactuals]

    @property
    def unique_texts(self) -> list[str]:
        """Distinct texts in first-seen order (the order a plain loop over ``texts`` meets them)."""
        return list(dict.fromkeys(self.texts))


def _sentence(rng: np.random.Generator, gender: str) -> str:
    side = 0 if gender == "female" else 1
    pick = lambda words: words[rng.integers(len(words))]  # noqa: E731
    adj, adj2 = rng.choice(len(ADJECTIVES), size=2, replace=False)
    pronouns = PRONOUNS[gender]
    slots = {
        "rel": pick(RELATIVES)[side],
        "person": pick(PEOPLE)[side],
        "subj": pronouns["subj"],
        "Subj": pronouns["subj"].capitalize(),
        "poss": pronouns["poss"],
        "Poss_cap": pronouns["poss"].capitalize(),
        "item": pick(ITEMS),
        "place": pick(PLACES),
        "adj": ADJECTIVES[adj],
        "adj2": ADJECTIVES[adj2],
        "when": pick(WHEN),
        "event": pick(EVENTS),
        "thing": pick(THINGS),
        "verb": pick(VERBS),
        "other": pick(OTHERS),
    }
    return pick(TEMPLATES).format(**slots)


def make_pairs(n_pairs: int, tokenizer, *, seed: int = 0, duplicate_share: float = 0.10) -> PairSet:
    """``n_pairs`` originals (about ``duplicate_share`` of them repeats) with their gender counterfactuals.

    Raises:
        RuntimeError: if the templates cannot give enough distinct sentences of the wanted length.
    """
    rng = np.random.default_rng(seed)
    lexicon = load_lexicon("gender")
    n_distinct = max(1, n_pairs - int(round(n_pairs * duplicate_share)))
    chosen: dict[str, tuple[str, str, int]] = {}
    for _ in range(50):
        genders = rng.choice(["female", "male"], size=2 * (n_distinct - len(chosen)) + 64)
        candidates = [(_sentence(rng, g), g) for g in genders]
        lengths = [len(ids) for ids in tokenizer([text for text, _ in candidates])["input_ids"]]
        for (text, gender), length in zip(candidates, lengths, strict=True):
            if text in chosen or not MIN_TOKENS <= length <= MAX_TOKENS:
                continue
            other = "male" if gender == "female" else "female"
            swapped = counterfactuals(text, lexicon, gender, other)
            if swapped is None or swapped == text:
                continue
            chosen[text] = (swapped, gender, length)
            if len(chosen) == n_distinct:
                break
        if len(chosen) == n_distinct:
            break
    else:
        raise RuntimeError(f"only {len(chosen)} distinct sentences of {MIN_TOKENS}-{MAX_TOKENS} tokens")
    distinct = list(chosen)
    repeats = rng.choice(n_distinct, size=n_pairs - n_distinct, replace=True)
    originals = [*distinct, *(distinct[i] for i in repeats)]
    originals = [originals[i] for i in rng.permutation(len(originals))]
    return PairSet(
        originals=originals,
        counterfactuals=[chosen[text][0] for text in originals],
        genders=[chosen[text][1] for text in originals],
        token_lengths=np.array([chosen[text][2] for text in originals]),
        distinct_originals=n_distinct,
    )
