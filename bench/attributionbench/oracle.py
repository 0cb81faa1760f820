"""How few evaluations any fixed Gauss-Legendre rule could use, were the right step count of each set known ahead.

Untimed analysis behind ``--oracle POINTS``. For each set it evaluates, once, the integrand of every token,
g_t(alpha) = (x - b)_t . grad_t f(b + alpha (x - b)), on ``POINTS`` equally spaced alphas (forward+backward,
batched; POINTS - 1 must be a multiple of 4). The composite Boole rule on that grid is the reference integral; a
cubic spline through each token's integrand gives the n-node Gauss-Legendre result for any n. Per set it finds the
smallest n whose completeness error is within the set's bound and, stricter, whose every word is within the
bound of the reference. No real method knows n ahead (it has to find it, and a Gauss-Legendre rule shares no node
with another), so the mean of these n bounds from below what any Gauss-Legendre schedule costs, and 50 over it
bounds from above the work ratio against Captum's 50 steps at that accuracy.
"""

from __future__ import annotations

import numpy as np
from scipy.interpolate import CubicSpline

MAX_N = 96


def token_integrands(runner, jobs, points: int, batch: int) -> list[np.ndarray]:
    """Per set, an array (points, tokens) of g on the uniform grid of alphas."""
    from attributionbench.measure import integrands

    alphas = np.linspace(0.0, 1.0, int(points))
    position = {float(a): k for k, a in enumerate(alphas)}
    out = [np.zeros((len(alphas), len(job.ids))) for job in jobs]
    rows = [(i, float(a)) for i in range(len(jobs)) for a in alphas]
    for index, alpha, integrand in integrands(runner, jobs, rows, batch):
        out[index][position[alpha]] = integrand
    return out


def boole_weights(points: int) -> np.ndarray:
    """Weights of the composite Boole rule on ``points`` equally spaced alphas in [0, 1] (the reference)."""
    grid = np.linspace(0.0, 1.0, points)
    weights = np.zeros(points)
    for start in range(0, points - 1, 4):
        weights[start : start + 5] += (grid[4] - grid[0]) / 90 * np.array([7, 32, 12, 32, 7])
    return weights


def oracle(sets, integrands: list[np.ndarray]) -> dict:
    """Smallest Gauss-Legendre n per set under each criterion, and what they add up to."""
    points = integrands[0].shape[0]
    if (points - 1) % 4:
        raise ValueError(f"--oracle needs POINTS - 1 divisible by 4 (composite Boole), got {points}")
    boole = boole_weights(points)
    grid = np.linspace(0.0, 1.0, points)
    rules = {}
    for n in range(2, MAX_N + 1):
        nodes, weights = np.polynomial.legendre.leggauss(n)
        rules[n] = ((nodes + 1) / 2, weights / 2)
    completeness, words, reference_errors = [], [], []
    for index, (job, g) in enumerate(zip(sets.jobs, integrands, strict=True)):
        spline = CubicSpline(grid, g, axis=0)
        difference = job.output - job.baseline_output
        reference = boole @ g
        reference_errors.append(abs(reference.sum() - difference) / job.bound)
        reference_words = sets.word_weights(index, reference)
        first = best = None
        for n, (nodes, weights) in rules.items():
            tokens = weights @ spline(nodes)
            if abs(tokens.sum() - difference) > job.bound:
                continue
            first = first or n
            if np.abs(sets.word_weights(index, tokens) - reference_words).max(initial=0.0) <= job.bound:
                best = n
                break
        completeness.append(first or MAX_N)
        words.append(best or MAX_N)
    neutral = np.array([job.baseline == "neutral" for job in sets.jobs])
    out = {"points": points, "max_reference_error_over_bound": float(max(reference_errors))}
    for name, counts in (("completeness", completeness), ("words", words)):
        counts = np.array(counts)
        out[name] = {
            "mean": float(counts.mean()),
            "neutral_mean": float(counts[neutral].mean()) if neutral.any() else None,
            "counterfactual_mean": float(counts[~neutral].mean()) if (~neutral).any() else None,
            "max": int(counts.max()),
            "at_cap": int((counts >= MAX_N).sum()),
            "work_ratio_vs_captum": 50.0 / float(counts.mean()),
        }
    return out
