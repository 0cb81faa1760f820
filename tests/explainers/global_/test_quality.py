"""Explanation quality (issue 16 §3): stability under meaning-preserving rewrites and consistency of two methods."""

import json

import numpy as np
import pytest
from scipy import stats

from explainers.attributions.quality import SYNONYMS_FILE, compare, perturb, stability
from explainers.attributions.quality_text import text_quality
from explainers.attributions.single import WordAttribution, ig_words, occlusion_words


@pytest.fixture(scope="module")
def texts(corpus):
    return corpus[0][::8]  # 24 sentences, every template and adjective


def noisy_ig(runner, seed=0):
    """A deliberately unstable method: integrated gradients plus noise as large as each text's largest weight."""
    rng = np.random.default_rng(seed)

    def attribute(batch):
        out = []
        for item in ig_words(runner, batch):
            weights = np.asarray(item.weights)
            noise = rng.normal(0.0, np.abs(weights).max() or 1.0, len(weights))
            out.append(WordAttribution(item.text, item.words, tuple(weights + noise)))
        return out

    return attribute


def test_real_integrated_gradients_are_stable_and_noisy_ones_are_flagged(pronoun_runner, texts):
    real = stability(lambda batch: ig_words(pronoun_runner, batch), texts, method="integrated_gradients")
    noisy = stability(noisy_ig(pronoun_runner), texts, method="noisy_ig")
    assert real.stable is True
    assert noisy.stable is False
    assert "UNSTABLE" in noisy.reading and "stable" in real.reading
    assert real.overall.mean_spearman > noisy.overall.mean_spearman + 0.3
    assert real.overall.n == noisy.overall.n > 40
    assert set(real.by_perturbation) == {"casing", "punctuation", "synonym"}
    assert real.by_perturbation["synonym"].n > 0  # movie <-> film is in the model's vocabulary


def test_text_quality_reports_both_methods_and_their_consistency(pronoun_runner, texts):
    result = text_quality(pronoun_runner, texts)
    assert [s["method"] for s in result["stability"]] == ["integrated_gradients", "occlusion"]
    consistency = result["consistency"]
    assert consistency["methods"] == ("integrated_gradients", "occlusion")
    assert consistency["agreement"]["n"] == len(texts)
    # Both methods find the pronoun the planted model decides by: their top words overlap.
    assert consistency["agreement"]["mean_top_overlap"] > 0.5
    assert result["cost"]["examples"] == len(texts)
    # The consistency figure is the mean over texts of scipy's Spearman between the two methods' content words.
    ig, occ = ig_words(pronoun_runner, texts), occlusion_words(pronoun_runner.score_texts, texts)
    by_hand = []
    for a, b in zip(ig, occ, strict=True):
        keep = [i for i, w in enumerate(a.words) if w.isalnum()]
        by_hand.append(stats.spearmanr(np.array(a.weights)[keep], np.array(b.weights)[keep]).statistic)
    assert consistency["agreement"]["mean_spearman"] == pytest.approx(np.mean(by_hand), abs=1e-6)


def test_compare_counts_the_top_words_kept():
    a = np.array([0.9, 0.1, -0.5, 0.05, 0.3])
    b = np.array([0.8, 0.2, 0.0, 0.05, -0.4])
    rho, overlap = compare(a, b, k=3)
    assert rho == pytest.approx(stats.spearmanr(a, b).statistic)
    assert overlap == pytest.approx(2 / 3)  # top 3 of a: {0, 2, 4}; of b: {0, 4, 1}
    assert compare(a, b[:4]) is None


def test_rewrites_keep_the_meaning_and_the_words():
    assert perturb("she is a good doctor .", "casing") == "She is a good doctor ."
    assert perturb("She is here", "punctuation") == "She is here."
    assert perturb("She is here!", "punctuation") == "She is here"
    assert perturb("The Movie was fine", "synonym") == "The Film was fine"
    assert perturb("the movie was fine", "synonym", known=lambda word: False) is None
    assert perturb("no synonym here", "synonym") is None


def test_synonym_list_is_project_written_and_has_no_protected_term():
    data = json.loads(SYNONYMS_FILE.read_text(encoding="utf-8"))
    assert "project-written" in data["source"].lower()
    from explainers.lexicons import available_lexicons, load_lexicon

    protected = {t for name in available_lexicons() for lex in [load_lexicon(name)] for g in lex.groups
                 for t in lex.terms(g)}  # fmt: skip
    assert not {w for pair in data["pairs"] for w in pair} & protected
