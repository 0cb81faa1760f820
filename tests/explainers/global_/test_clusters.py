"""Activation clusters (issue 16 §2): a planted pronoun bias is found as a cluster; a model without it flags none."""

import numpy as np
import pytest
import torch
from scipy import stats
from sklearn.cluster import KMeans
from sklearn.metrics import silhouette_score

from explainers.global_.clusters import cluster_activations, newcombe_interval, text_activations
from explainers.global_.text import lexicon_groups, text_global
from explainers.lexicons import load_lexicon


@pytest.fixture(scope="module")
def pronoun_global(pronoun_runner, corpus):
    texts, genders = corpus
    return text_global(pronoun_runner, texts, {"gender": genders}, lexicons=[load_lexicon("gender")], n_attention=4)


@pytest.fixture(scope="module")
def context_global(context_runner, corpus):
    texts, genders = corpus
    return text_global(context_runner, texts, {"gender": genders}, lexicons=[load_lexicon("gender")], n_attention=4)


def test_planted_bias_is_a_cluster_of_women_decided_differently(pronoun_global, corpus):
    texts, genders = corpus
    clusters = pronoun_global["clusters"]
    flagged = [c for c in clusters["clusters"] if c["flagged"]]
    female = [c for c in flagged if c["dominant"]["group"] == "female"]
    assert female, clusters["clusters"]
    cluster = female[0]
    assert cluster["dominant"]["share"] > 0.9 and cluster["dominant"]["population_share"] == pytest.approx(0.5)
    assert cluster["decision_rate"] - cluster["rest_decision_rate"] > 0.5
    assert cluster["interval"][0] > 0
    assert cluster["p_holm"] < 0.05
    assert "she" in cluster["top_words"][:3]
    # The composition is a count of the rows: the shares add up to one.
    shares = [row["share"] for row in cluster["composition"]["gender"]]
    assert sum(shares) == pytest.approx(1.0)


def test_model_without_the_bias_flags_no_cluster(context_global):
    clusters = context_global["clusters"]
    assert clusters["flagged"] == ()
    # Its clusters are about sentiment (decision rates far apart) but each holds both pronouns evenly.
    rates = sorted(c["decision_rate"] for c in clusters["clusters"])
    assert rates[-1] - rates[0] > 0.5
    for cluster in clusters["clusters"]:
        by_group = {row["group"]: row["share"] for row in cluster["composition"]["gender"]}
        assert abs(by_group["female"] - 0.5) < 0.2


def test_k_is_the_silhouette_maximum_of_seeded_kmeans(pronoun_runner, corpus):
    texts, genders = corpus
    activations, _, _ = text_activations(pronoun_runner, texts)
    result = cluster_activations(activations, texts, np.zeros(len(texts), bool), {"gender": genders}, seed=3)
    by_hand = {}
    for k in range(2, 9):
        labels = KMeans(n_clusters=k, n_init=10, random_state=3).fit_predict(activations.astype(np.float64))
        by_hand[k] = silhouette_score(activations.astype(np.float64), labels)
    assert result.k == max(by_hand, key=by_hand.get)
    assert result.silhouette == pytest.approx(by_hand[result.k], abs=1e-9)


def test_activations_are_the_mean_of_the_last_hidden_layer_over_words(pronoun_runner):
    texts = ["she is a good doctor .", "the film and he was bad ."]
    activations, layer, n_layers = text_activations(pronoun_runner, texts)
    assert layer == n_layers == 2
    for text, row in zip(texts, activations, strict=True):
        encoded = pronoun_runner.tokenizer(text, return_tensors="pt")
        with torch.inference_mode():
            hidden = pronoun_runner.model(**encoded, output_hidden_states=True).hidden_states[-1][0]
        expected = hidden[1:-1].mean(dim=0).numpy()  # [CLS] and [SEP] left out
        np.testing.assert_allclose(row, expected, rtol=1e-5, atol=1e-6)
    first, _, _ = text_activations(pronoun_runner, texts[:1], layer=1)
    assert not np.allclose(first[0], activations[0])


def test_difference_interval_is_newcombe_method_10():
    # Newcombe (1998), Statistics in Medicine 17:873, Table II example (a): 56/70 - 48/80 -> 0.0524 to 0.3339.
    low, high = newcombe_interval(56, 70, 48, 80)
    assert low == pytest.approx(0.0524, abs=5e-5)
    assert high == pytest.approx(0.3339, abs=5e-5)


def test_cluster_p_value_is_the_design_test_of_cluster_against_rest(pronoun_global):
    for cluster in pronoun_global["clusters"]["clusters"]:
        n_in, n_all = cluster["n"], pronoun_global["clusters"]["n_rows"]
        fav_in = round(cluster["decision_rate"] * n_in)
        fav_out = round(cluster["rest_decision_rate"] * (n_all - n_in))
        table = [[fav_in, n_in - fav_in], [fav_out, n_all - n_in - fav_out]]
        if cluster["test"] == "fisher_exact":
            assert cluster["p_value"] == pytest.approx(stats.fisher_exact(table).pvalue, rel=1e-9)
        else:
            chi2 = stats.chi2_contingency(table, correction=False)
            assert cluster["p_value"] == pytest.approx(chi2.pvalue, rel=1e-6, abs=1e-300)


def test_lexicon_groups_mark_single_group_texts_and_mixed_ones():
    lexicon = load_lexicon("gender")
    assert lexicon_groups(["She sat.", "he is here", "she and he", "a cat"], lexicon) == [
        "female", "male", "(mixed)", None,
    ]  # fmt: skip


def test_attention_heatmap_has_a_share_per_layer_and_head_and_the_caveat(pronoun_global, context_global):
    attention = pronoun_global["attention"][0]
    assert attention["lexicon"] == "gender"
    assert attention["n_examples"] == 4
    assert (attention["layers"], attention["heads"]) == (2, 2)
    shares = np.array(attention["shares"])
    assert ((shares >= 0) & (shares <= 1)).all()
    assert "not an explanation" in attention["caveat"]
    comparison = attention["ig_comparison"]
    assert comparison["n"] == 4 and -1 <= comparison["mean_spearman"] <= 1
    # The pronoun model's integrated gradients put most of their mass on the pronoun; the other model's do not.
    assert comparison["protected_ig_share"] > 0.5
    assert context_global["attention"][0]["ig_comparison"]["protected_ig_share"] < 0.2


def test_cost_is_stated(pronoun_global):
    cost = pronoun_global["cost"]
    assert cost["examples"] == 192
    assert cost["seconds_per_1000"] == pytest.approx(1000 * cost["clustering_seconds"] / 192, rel=1e-3)
