"""Other node rules replayed on the oracle's integrands: what the stage's rule and its alternatives would cost.

Untimed analysis behind ``--oracle POINTS``, next to the Gauss-Legendre floor (oracle.py). Every rule runs on
cubic splines through each set's per-token integrand at POINTS alphas, with f along the path from the spline of
their sum (scaled to the exact f(x) - f(b)), and is judged like the oracle: completeness within the set's bound,
and every word within it against the composite Boole reference. Rules:

* ours: the stage's nested adaptive Simpson rule (quadrature.py), at ``SPLIT_SHARE`` 1, 2 and 3, with and
  without the token bound;
* Clenshaw-Curtis: nested global rules of 5, 9, 17, ... nodes, each level checked for exact completeness, the
  words by the change from the level before (the usual estimate of a nested rule).

Counts are nodes per set with the path ends counted in every set; the stage runs an end shared by several sets of
a pair once (about 1.2 fewer evaluations per set on the benchmark), and Gauss-Legendre has no nodes at the ends.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.interpolate import CubicSpline

from attributionbench.oracle import boole_weights
from explainers.attributions import quadrature
from explainers.attributions.quadrature import GRID, AdaptivePath

CC_LEVELS = (4, 8, 16, 32, 64, 128, 256)  # intervals; a level has one node more


class _Set:
    """One set's integrand as splines, its bound and its reference word weights."""

    def __init__(self, sets, index: int, g: np.ndarray, reference: np.ndarray) -> None:
        job = sets.jobs[index]
        grid = np.linspace(0.0, 1.0, g.shape[0])
        self.spline = CubicSpline(grid, g, axis=0)
        self.primitive = CubicSpline(grid, g.sum(axis=1)).antiderivative()
        self.difference = job.output - job.baseline_output
        self.bound, self.neutral = job.bound, job.baseline == "neutral"
        self.words = lambda tokens: sets.word_weights(index, tokens)
        self.reference = self.words(reference)

    def f(self, alpha: float) -> float:
        """f(alpha) - f(0), from the integral of the spline of the summed integrand, scaled to be exact at 1."""
        span = float(self.primitive(1.0) - self.primitive(0.0)) or 1.0
        return float(self.primitive(alpha) - self.primitive(0.0)) / span * self.difference

    def judge(self, nodes: int, tokens: np.ndarray) -> tuple[int, bool, bool]:
        complete = abs(tokens.sum() - self.difference) <= self.bound
        return nodes, complete, bool(np.abs(self.words(tokens) - self.reference).max(initial=0.0) <= self.bound)


def _ours(s: _Set, split_share: float, token_bound: bool) -> tuple[int, bool, bool]:
    saved, quadrature.SPLIT_SHARE = quadrature.SPLIT_SHARE, split_share
    try:
        path = AdaptivePath()
        if s.neutral:
            path.units = [(0, GRID // 2), (GRID // 2, GRID)]  # as integrated.integrate starts them
        tokens_bound = s.bound if token_bound else math.inf
        while True:
            for node in path.wanted():
                path.f[node], path.g[node] = s.f(node / GRID), s.spline(node / GRID)
            if path.assess(s.bound, tokens_bound) or not path.refine(s.bound, tokens_bound, 257):
                return s.judge(path.points, path.tokens)
    finally:
        quadrature.SPLIT_SHARE = saved


def _clenshaw_curtis(n: int) -> tuple[np.ndarray, np.ndarray]:
    """Nodes and weights on [0, 1] of the (n + 1)-node Clenshaw-Curtis rule (n even)."""
    theta = np.pi * np.arange(n + 1) / n
    k = np.arange(n // 2 + 1)
    factor = np.where((k == 0) | (k == n // 2), 1.0, 2.0) / (1.0 - 4.0 * k**2)
    weights = np.cos(2.0 * np.outer(theta, k)) @ factor / n
    weights[1:-1] *= 2.0
    return (1.0 - np.cos(theta)) / 2.0, weights / 2.0


def _cc(s: _Set, token_bound: bool) -> tuple[int, bool, bool]:
    previous = tokens = None
    for n in CC_LEVELS:
        nodes, weights = _clenshaw_curtis(n)
        tokens = weights @ s.spline(nodes)
        complete = abs(tokens.sum() - s.difference) <= s.bound
        change = np.inf if previous is None else np.abs(s.words(tokens - previous)).max(initial=0.0)
        if complete and (not token_bound or change <= s.bound):
            break
        previous = tokens
    return s.judge(n + 1, tokens)


def replay(sets, integrands: list[np.ndarray]) -> list[dict]:
    """Nodes per set and the share of sets in bound, for every rule."""
    boole = boole_weights(integrands[0].shape[0])
    cases = [_Set(sets, i, g, boole @ g) for i, g in enumerate(integrands)]
    neutral = np.array([s.neutral for s in cases])
    rules = [
        (
            f"ours, SPLIT_SHARE {share:g}{'' if bound else ', completeness only'}",
            lambda s, a=share, b=bound: _ours(s, a, b),
        )
        for bound in (True, False)
        for share in (1.0, 2.0, 3.0)
    ]
    rules += [(f"Clenshaw-Curtis{'' if b else ', completeness only'}", lambda s, b=b: _cc(s, b)) for b in (True, False)]
    out = []
    for name, rule in rules:
        nodes, complete, words = (np.array(column) for column in zip(*(rule(s) for s in cases), strict=True))
        out.append(
            {
                "rule": name,
                "nodes": float(nodes.mean()),
                "neutral": float(nodes[neutral].mean()) if neutral.any() else None,
                "counterfactual": float(nodes[~neutral].mean()) if (~neutral).any() else None,
                "completeness_in_bound": float(complete.mean()),
                "words_in_bound": float(words.mean()),
            }
        )
    return out
