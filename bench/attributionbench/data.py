"""Forty sentences written for this benchmark, each naming a person with female words, and their pairs.

Each sentence turns into one counterfactual pair under the ``gender`` lexicon (female -> male: she -> he,
her -> his, woman -> man, mother -> father, ...). Their sentiment ranges from clearly positive through mixed to
clearly negative, so that f (P(positive)) sits anywhere in (0, 1) and some pairs sit near the decision boundary.
More than forty pairs reuse the sentences behind seeded opening phrases ("Honestly, ...").
"""

from __future__ import annotations

import numpy as np

from explainers.lexicons import counterfactuals, load_lexicon

SENTENCES = [
    "She said the food was wonderful and her friend agreed.",
    "My sister thought the hotel room was dirty and the staff rude.",
    "The woman at the desk was helpful, but her manager was not.",
    "Her new phone is fine, though the battery could be better.",
    "My mother loved the concert and she wants to go again next year.",
    "The waitress was friendly and she brought our drinks quickly.",
    "My aunt found the museum boring and she left after an hour.",
    "She called the repair service twice and nobody ever came.",
    "The actress gave a brilliant performance and her fans adored it.",
    "My daughter says the new teacher is strict but fair.",
    "Her review of the laptop was harsh: slow, loud and overpriced.",
    "The lady next to us complained about the noise all evening.",
    "My grandmother thinks the bakery makes the best bread in town.",
    "She was disappointed that the package arrived broken.",
    "The chairwoman praised the team for an excellent year.",
    "My wife enjoyed the movie, although the ending felt rushed.",
    "The girl at the counter was rude and ignored our questions.",
    "She recommends this cafe to everyone; the coffee is superb.",
    "My niece said the school play was charming and well rehearsed.",
    "The spokeswoman admitted the launch had been a complete failure.",
    "Her garden looks lovely this spring and the roses are thriving.",
    "My mother-in-law hated the restaurant and sent her soup back.",
    "The businesswoman said the conference was a waste of time.",
    "She thought the price was fair for such a comfortable sofa.",
    "The princess in the story is brave, clever and kind.",
    "My sister says the gym is crowded but the trainers are great.",
    "The queen of the festival looked bored during the parade.",
    "She wrote that the hotel was quiet, clean and close to the beach.",
    "Her flight was delayed for six hours and the airline never apologised.",
    "The woman who fixed my bike did a careful and honest job.",
    "My granddaughter thinks the new game is fun but too short.",
    "She found the instructions confusing and the tool hard to use.",
    "The bride looked happy, even though the weather was awful.",
    "Her lecture was clear, engaging and full of useful examples.",
    "My daughter was let down by the mediocre service at the pizzeria.",
    "The lady upstairs fixed the heating the same day, which was great.",
    "She says the headphones sound decent but hurt her ears.",
    "My aunt was thrilled with the gift and thanked her nephew twice.",
    "The mother of the groom gave a dull and far too long speech.",
    "She left the shop angry because the staff ignored her complaint.",
]

OPENINGS = ["Honestly, ", "To be fair, ", "In short, ", "As expected, ", "Once again, ", "Apparently, "]


def make_pairs(runner, n_pairs: int, seed: int = 0) -> list[dict]:
    """``n_pairs`` probe-style pairs (female -> male) with the runner's scores and decisions.

    The first forty are the sentences as written; further ones put a seeded opening phrase before a sentence
    (lower-casing its first letter), cycling through the sentences.

    Raises:
        ValueError: if a sentence has no counterfactual under the lexicon (a broken sentence list).
    """
    lexicon = load_lexicon("gender")
    rng = np.random.default_rng(seed)
    texts = []
    for index in range(int(n_pairs)):
        sentence = SENTENCES[index % len(SENTENCES)]
        if index >= len(SENTENCES):
            opening = OPENINGS[int(rng.integers(len(OPENINGS)))]
            sentence = opening + sentence[0].lower() + sentence[1:]
        texts.append(sentence)
    counterparts = [counterfactuals(text, lexicon, "female", "male") for text in texts]
    missing = [text for text, other in zip(texts, counterparts, strict=True) if other is None]
    if missing:
        raise ValueError(f"sentences without a female term of the gender lexicon: {missing}")
    probabilities = runner.probabilities(texts + counterparts)
    favourable = runner.favourable_index
    pairs = []
    for index, (text, other) in enumerate(zip(texts, counterparts, strict=True)):
        p, q = probabilities[index], probabilities[len(texts) + index]
        pairs.append(
            {
                "source_group": "female",
                "target_group": "male",
                "text": text,
                "counterfactual": other,
                "score": float(p[favourable]),
                "counterfactual_score": float(q[favourable]),
                "decision": bool(np.argmax(p) == favourable),
                "counterfactual_decision": bool(np.argmax(q) == favourable),
            }
        )
    return pairs
