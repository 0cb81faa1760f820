"""What a different step schedule could do: the completeness error of every set at any Gauss-Legendre step count.

Untimed analysis behind ``--what-if``. For each set it evaluates, once, f and the completeness integrand
g(alpha) = (x - b) . grad f(b + alpha (x - b)) on a uniform grid of ``points`` values of alpha (forward+backward,
batched); a cubic spline through g then gives the n-node Gauss-Legendre sum of g for any n, whose difference from
f(x) - f(b) is the completeness error the stage would get at n steps. (On the default data this reproduces the
stage's measured evaluations and Captum's sets in bound exactly.) From it:

* every schedule in ``schedules``, run as the stage runs it (restart at each step count until in bound);
* the oracle: each set at the smallest n that is in bound, no restarts (the best any Gauss-Legendre schedule
  could do, were n known in advance);
* Captum's 50 steps.
"""

from __future__ import annotations

import numpy as np
import torch

SCHEDULES = (
    (16, 32, 64, 128, 256),
    (8, 16, 32, 64, 128, 256),
    (12, 24, 48, 96, 192),
    (20, 40, 80, 160),
    (24, 48, 96, 192),
    (32, 64, 128, 256),
)


def dense_integrand(runner, jobs, points: int, batch: int) -> tuple[np.ndarray, np.ndarray]:
    """f and g on ``points`` uniform alphas per set: two arrays of shape (sets, points)."""
    model, target, layer = runner.model, runner.favourable_index, runner.model.get_input_embeddings()
    alphas = np.linspace(0.0, 1.0, int(points))
    rows = sorted(((len(job.ids), i, k) for i, job in enumerate(jobs) for k in range(len(alphas))), key=lambda r: r[0])
    f, g = np.zeros((len(jobs), len(alphas))), np.zeros((len(jobs), len(alphas)))
    for start in range(0, len(rows), int(batch)):
        chunk = rows[start : start + int(batch)]
        longest = chunk[-1][0]
        ids = torch.full((len(chunk), longest), runner.pad_id, dtype=torch.long)
        baseline = torch.full((len(chunk), longest), runner.pad_id, dtype=torch.long)
        mask = torch.zeros((len(chunk), longest), dtype=torch.long)
        for row, (length, i, _) in enumerate(chunk):
            ids[row, :length] = torch.tensor(jobs[i].ids)
            baseline[row, :length] = torch.tensor(jobs[i].baseline_ids)
            mask[row, :length] = 1
        alpha = torch.tensor([alphas[k] for _, _, k in chunk], dtype=torch.float32).view(-1, 1, 1)
        ids, baseline, mask, alpha = (t.to(runner.device) for t in (ids, baseline, mask, alpha))
        with torch.no_grad():
            x, b = layer(ids), layer(baseline)
        scaled = (b + alpha * (x - b)).requires_grad_()
        probabilities = torch.softmax(model(inputs_embeds=scaled, attention_mask=mask).logits.float(), dim=-1)[
            :, target
        ]
        (gradient,) = torch.autograd.grad(probabilities.sum(), scaled)
        values = (gradient * (x - b)).sum(dim=(1, 2)).detach().double().cpu().numpy()
        p = probabilities.detach().double().cpu().numpy()
        for row, (_, i, k) in enumerate(chunk):
            f[i, k], g[i, k] = p[row], values[row]
    return f, g


def simulate(jobs, f: np.ndarray, g: np.ndarray, tolerance: float, absolute_tolerance: float, schedules=SCHEDULES):
    from scipy.interpolate import CubicSpline

    alphas = np.linspace(0.0, 1.0, f.shape[1])
    differences = f[:, -1] - f[:, 0]
    bounds = np.maximum(tolerance * np.abs(differences), absolute_tolerance)
    splines = [CubicSpline(alphas, row) for row in g]
    rules = {}

    def in_bound(i: int, n: int) -> bool:
        if n not in rules:
            x, w = np.polynomial.legendre.leggauss(n)
            rules[n] = ((x + 1) / 2, w / 2)
        nodes, weights = rules[n]
        return abs(float(weights @ splines[i](nodes)) - differences[i]) <= bounds[i]

    counterfactual = np.array([job.baseline == "counterfactual" for job in jobs])
    out = {"points": int(f.shape[1]), "schedules": []}
    for schedule in schedules:
        costs, missed = [], 0
        for i in range(len(jobs)):
            cost = 0
            for n in schedule:
                cost += n
                if in_bound(i, n):
                    break
            else:
                missed += 1
            costs.append(cost)
        out["schedules"].append({"steps": list(schedule), "evaluations": int(sum(costs)), "not_in_bound": missed})
    oracle = np.array([next((n for n in range(1, 257) if in_bound(i, n)), 256) for i in range(len(jobs))])
    out["oracle"] = {
        "evaluations": int(oracle.sum()),
        "neutral_mean": float(oracle[~counterfactual].mean()) if (~counterfactual).any() else None,
        "counterfactual_mean": float(oracle[counterfactual].mean()) if counterfactual.any() else None,
        "max": int(oracle.max()),
    }
    out["captum_50_in_bound"] = int(sum(in_bound(i, 50) for i in range(len(jobs))))
    out["captum_evaluations"] = 50 * len(jobs)
    out["n_sets"] = len(jobs)
    return out
