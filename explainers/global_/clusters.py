"""What a transformers model learned overall: clusters of its hidden activations over a dataset (issue 16 §2).

Each text's hidden state at one layer (default the last) is mean-pooled over its non-special tokens
(:func:`text_activations`, batched and cached like every runner output). k-means (scikit-learn, seeded, ten
starts) runs for k = 2..8 and the k with the largest silhouette (cosine-free Euclidean, on up to
``SILHOUETTE_SAMPLE`` points) is kept. Each cluster is described by

* its most characteristic words: class-based TF-IDF (each cluster's texts as one document; tf = count / words
  of the cluster, idf = log(1 + mean words per cluster / words over all clusters), as BERTopic's c-TF-IDF);
* its composition by protected group, beside each group's share of the whole sample;
* its decision rate against the rest of the sample: the difference with a Newcombe (Wilson score) 95% interval
  and the design.md §4 test (Fisher exact for small cells, else two-proportion z), Holm-adjusted across clusters.

A cluster is flagged when one group dominates it (its share is at least ``DOMINANCE_LIFT`` times and
``DOMINANCE_MARGIN`` above its share of the sample) and its decision rate differs from the rest's (Holm p < alpha
and |difference| >= ``MIN_DIFFERENCE``): the model has a region of its representation where one group sits and
is decided differently.
"""

from __future__ import annotations

import math
import re
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from sklearn.cluster import KMeans
from sklearn.metrics import silhouette_score

from explainers.metrics.significance import holm_adjust, two_proportion_test

K_RANGE = (2, 8)
SILHOUETTE_SAMPLE = 2000
DOMINANCE_LIFT = 1.5
DOMINANCE_MARGIN = 0.15
MIN_DIFFERENCE = 0.1
MIN_CLUSTER = 10
TOP_WORDS = 8
_WORD = re.compile(r"[^\W\d_]{2,}")


@dataclass(frozen=True)
class ActivationClusters:
    layer: int
    n_layers: int
    pooling: str
    n_rows: int
    k: int
    silhouette: float | None
    silhouette_by_k: dict
    seed: int
    alpha: float
    rule: str
    clusters: tuple[dict, ...]
    flagged: tuple[int, ...]
    cost: dict


def text_activations(runner, texts: Sequence[str], layer: int | None = None) -> tuple[np.ndarray, int, int]:
    """(activations (n, hidden), the layer used, the number of layers): mean over non-special tokens.

    ``layer`` counts from 1 (the first transformer block) to the number of layers; 0 is the embedding output;
    None or -1 is the last. Rows are cached by the runner under the layer, so a rerun costs no forward pass.
    """
    n_layers = int(runner.model.config.num_hidden_layers)
    chosen = n_layers if layer is None or layer == -1 else int(layer)
    if not 0 <= chosen <= n_layers:
        raise ValueError(f"layer must be between 0 and {n_layers}, got {layer}")
    special = torch.tensor(sorted(set(runner.tokenizer.all_special_ids) - {runner.pad_id}) or [-1])
    width = int(runner.model.config.hidden_size)

    def forward(batch: list[list[int]]) -> np.ndarray:
        input_ids, attention = runner._pad(batch)
        output = runner.model(input_ids=input_ids, attention_mask=attention, output_hidden_states=True)
        hidden = output.hidden_states[chosen].float()
        keep = attention.bool() & ~torch.isin(input_ids, special.to(input_ids.device))
        keep = torch.where(keep.any(dim=1, keepdim=True), keep, attention.bool())  # only specials: mean over all
        mask = keep.unsqueeze(-1).to(hidden.dtype)
        return ((hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1.0)).cpu().numpy()

    extra = ("activations", chosen, runner.max_length)
    values = runner._outputs(texts, extra=extra, width=width, encode=runner._encode_plain, forward=forward)
    return np.asarray(values, dtype=np.float32), chosen, n_layers


def choose_k(activations: np.ndarray, *, seed: int, k_range=K_RANGE) -> tuple[np.ndarray, int, dict]:
    """k-means labels at the k of largest silhouette, that k and every k's silhouette."""
    n = len(activations)
    scores, fits = {}, {}
    for k in range(k_range[0], min(k_range[1], n - 1) + 1):
        labels = KMeans(n_clusters=k, n_init=10, random_state=seed).fit_predict(activations)
        if len(set(labels)) < 2:
            continue
        size = min(n, SILHOUETTE_SAMPLE)
        scores[k] = float(silhouette_score(activations, labels, sample_size=size, random_state=seed))
        fits[k] = labels
    if not scores:
        return np.zeros(n, dtype=int), 1, {}
    best = max(scores, key=lambda k: (scores[k], -k))
    return fits[best], best, scores


def cluster_activations(
    activations: np.ndarray,
    texts: Sequence[str],
    decisions: np.ndarray,
    groups: dict[str, Sequence],
    *,
    seed: int = 0,
    alpha: float = 0.05,
    layer: int = -1,
    n_layers: int = 0,
    forward_seconds: float = 0.0,
) -> ActivationClusters:
    """Cluster ``activations`` (one row per text) and describe, test and flag each cluster.

    ``groups`` maps an attribute name to each row's group label (None or "" for a row without one).

    Raises:
        ValueError: when the arrays do not have one row per text or fewer than 4 rows are given.
    """
    began = time.perf_counter()
    n = len(texts)
    if len(activations) != n or len(decisions) != n or any(len(g) != n for g in groups.values()):
        raise ValueError("activations, texts, decisions and every group array need one row per text")
    if n < 4:
        raise ValueError("at least 4 texts are needed to cluster")
    labels, k, silhouettes = choose_k(np.asarray(activations, dtype=np.float64), seed=seed)
    decisions = np.asarray(decisions, dtype=bool)
    words = _cluster_words(texts, labels, k)
    clusters = []
    for c in range(k):
        inside = labels == c
        clusters.append(_describe(c, inside, decisions, groups, words[c]))
    adjusted = holm_adjust([entry["p_value"] for entry in clusters])
    flagged = []
    for entry, p_holm in zip(clusters, adjusted, strict=True):
        entry["p_holm"] = p_holm
        differs = p_holm is not None and p_holm < alpha and abs(entry["difference"] or 0) >= MIN_DIFFERENCE
        entry["decision_differs"] = bool(differs)
        entry["flagged"] = bool(differs and entry["dominant"] and entry["n"] >= MIN_CLUSTER)
        if entry["flagged"]:
            flagged.append(entry["cluster"])
    rule = (
        f"flagged: one group's share of the cluster >= {DOMINANCE_LIFT:g} x and >= {DOMINANCE_MARGIN:g} above its "
        f"share of the sample, at least {MIN_CLUSTER} rows, and a decision rate differing from the rest's by >= "
        f"{MIN_DIFFERENCE:g} with Holm-adjusted p < {alpha:g}"
    )
    return ActivationClusters(
        layer=int(layer),
        n_layers=int(n_layers),
        pooling="mean over non-special tokens",
        n_rows=n,
        k=int(k),
        silhouette=silhouettes.get(k),
        silhouette_by_k={str(key): round(value, 4) for key, value in silhouettes.items()},
        seed=int(seed),
        alpha=float(alpha),
        rule=rule,
        clusters=tuple(clusters),
        flagged=tuple(flagged),
        cost={
            "forward_seconds": round(forward_seconds, 4),
            "clustering_seconds": round(time.perf_counter() - began, 4),
        },
    )


def _describe(c: int, inside: np.ndarray, decisions: np.ndarray, groups: dict, words: list[str]) -> dict:
    n_in, n_out = int(inside.sum()), int((~inside).sum())
    fav_in, fav_out = int(decisions[inside].sum()), int(decisions[~inside].sum())
    rate_in = fav_in / n_in if n_in else None
    rate_out = fav_out / n_out if n_out else None
    test = two_proportion_test(fav_in, n_in, fav_out, n_out) if n_in and n_out else None
    composition, dominant = {}, None
    for attribute, values in groups.items():
        values = np.asarray([("" if v is None else str(v)) for v in values], dtype=object)
        known = values != ""
        population = Counter(values[known])
        members = Counter(values[inside & known])
        total_in, total = sum(members.values()), sum(population.values())
        rows = []
        for group, count in sorted(population.items(), key=lambda item: (-item[1], item[0])):
            share = members.get(group, 0) / total_in if total_in else 0.0
            base = count / total if total else 0.0
            rows.append({"group": group, "n": members.get(group, 0), "share": share, "population_share": base})
            if total_in and share >= DOMINANCE_LIFT * base and share >= base + DOMINANCE_MARGIN:
                if dominant is None or share - base > dominant["share"] - dominant["population_share"]:
                    dominant = {"attribute": attribute, "group": group, "share": share, "population_share": base}
        composition[attribute] = rows
    return {
        "cluster": c,
        "n": n_in,
        "top_words": words,
        "decision_rate": rate_in,
        "rest_decision_rate": rate_out,
        "difference": None if rate_in is None or rate_out is None else rate_in - rate_out,
        "interval": newcombe_interval(fav_in, n_in, fav_out, n_out),
        "test": test.test if test else "none",
        "p_value": test.p_value if test else None,
        "composition": composition,
        "dominant": dominant,
    }


def wilson(successes: int, n: int, z: float = 1.959963984540054) -> tuple[float, float]:
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return centre - half, centre + half


def newcombe_interval(a: int, n_a: int, b: int, n_b: int) -> list[float] | None:
    """95% interval of p_a - p_b from the two Wilson score intervals (Newcombe 1998, method 10)."""
    if not n_a or not n_b:
        return None
    p1, p2 = a / n_a, b / n_b
    (l1, u1), (l2, u2) = wilson(a, n_a), wilson(b, n_b)
    d = p1 - p2
    return [d - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2), d + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)]


def _cluster_words(texts: Sequence[str], labels: np.ndarray, k: int) -> list[list[str]]:
    """The TOP_WORDS words of highest class-based TF-IDF per cluster (BERTopic's c-TF-IDF)."""
    counts = [Counter() for _ in range(k)]
    for text, label in zip(texts, labels, strict=True):
        counts[label].update(word.lower() for word in _WORD.findall(text or ""))
    totals = Counter()
    for counter in counts:
        totals.update(counter)
    average = sum(totals.values()) / max(k, 1)
    out = []
    for counter in counts:
        size = sum(counter.values()) or 1
        scored = {w: (c / size) * math.log(1 + average / totals[w]) for w, c in counter.items()}
        out.append([w for w, _ in sorted(scored.items(), key=lambda item: (-item[1], item[0]))[:TOP_WORDS]])
    return out
