"""What would fix the stage: nested adaptive Simpson integration with exact per-panel completeness errors.

Not the stage: a prototype measured in the same run, to show how much of Captum's work the 1% completeness bound
really needs. It computes the same attribution sets (same ids, baselines, f, bound) and differs from the stage's
``integrate`` in three ways:

1. Evaluations are reused. The path [0, 1] is cut into panels; each panel is integrated by Simpson's rule on its
   two ends and its midpoint, and refining a panel halves it, which adds two nodes (the quarter points) and keeps
   the three it had. The stage restarts Gauss-Legendre at 16, 32, 64 ... nodes (no node is shared between counts),
   so a set that needs 64 nodes pays 16 + 32 + 64 = 112 evaluations.
2. Forward passes are reused. Every node's forward pass gives f on the path besides the gradient, so the exact
   integral of the completeness integrand over each panel is known: f(right end) - f(left end). Each panel's own
   completeness error is therefore exact, not estimated, and refinement goes to the panels that carry the error.
   f(x) and f(baseline) are the nodes at 1 and 0, so the stage's separate pass over the path ends disappears.
3. Each set starts at its own size: one panel (3 nodes) when the baseline is the counterfactual (x and x' differ
   only in the substituted tokens: a short, nearly linear path), two panels (5 nodes) for neutral baselines.

Each round, every set whose total error |sum of panel errors| is outside its bound halves its ``split`` panels of
largest |error|; all new nodes of all sets run as length-sorted full batches of ``batch`` rows. Token attributions
are the composite Simpson sum of (x - b) . grad f over the nodes, so they sum to f(x) - f(b) up to the total error.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import torch

DEPTH = 12  # nodes sit on the grid k / 2**DEPTH; a panel is never narrower than 4 grid units
UNIT = 2**DEPTH


@dataclass
class Path:
    job: object
    panels: list[tuple[int, int]]
    h: dict[int, float] = field(default_factory=dict)  # f on the path, per grid node
    g: dict[int, np.ndarray] = field(default_factory=dict)  # (x - b) . grad f per token, per grid node
    rounds: int = 0
    error: float | None = None
    bound: float | None = None
    converged: bool = False

    def wanted(self) -> list[int]:
        nodes = {node for left, right in self.panels for node in (left, (left + right) // 2, right)}
        return sorted(node for node in nodes if node not in self.h)

    def panel_errors(self) -> np.ndarray:
        return np.array(
            [_simpson(self.g, left, right).sum() - (self.h[right] - self.h[left]) for left, right in self.panels]
        )

    def tokens(self) -> np.ndarray:
        return sum(_simpson(self.g, left, right) for left, right in self.panels)


def _simpson(g: dict[int, np.ndarray], left: int, right: int) -> np.ndarray:
    return (right - left) / UNIT / 6 * (g[left] + 4 * g[(left + right) // 2] + g[right])


def adaptive_simpson(
    runner,
    jobs: list,
    *,
    tolerance: float = 0.01,
    absolute_tolerance: float = 1e-4,
    batch: int = 64,
    split: int = 2,
    max_rounds: int = 24,
) -> dict:
    """Attributions of every job; returns per-job tokens, errors, nodes and the cost (evaluations, passes, seconds)."""
    model, target, layer = runner.model, runner.favourable_index, runner.model.get_input_embeddings()
    paths = [
        Path(job, [(0, UNIT)] if job.baseline == "counterfactual" else [(0, UNIT // 2), (UNIT // 2, UNIT)])
        for job in jobs
    ]
    evaluations, passes, rows_per_round = 0, 0, []
    began = time.perf_counter()
    pending = list(paths)
    for round_index in range(max_rounds):
        rows = [(len(p.job.ids), p, node) for p in pending for node in p.wanted()]
        rows.sort(key=lambda row: row[0])
        rows_per_round.append(len(rows))
        for start in range(0, len(rows), batch):
            chunk = rows[start : start + batch]
            longest = chunk[-1][0]
            ids = torch.full((len(chunk), longest), runner.pad_id, dtype=torch.long)
            base = torch.full((len(chunk), longest), runner.pad_id, dtype=torch.long)
            mask = torch.zeros((len(chunk), longest), dtype=torch.long)
            for i, (length, path, _) in enumerate(chunk):
                ids[i, :length] = torch.tensor(path.job.ids)
                base[i, :length] = torch.tensor(path.job.baseline_ids)
                mask[i, :length] = 1
            alpha = torch.tensor([node / UNIT for _, _, node in chunk], dtype=torch.float32).view(-1, 1, 1)
            ids, base, mask, alpha = (t.to(runner.device) for t in (ids, base, mask, alpha))
            with torch.no_grad():
                x, b = layer(ids), layer(base)
            scaled = (b + alpha * (x - b)).requires_grad_()
            logits = model(inputs_embeds=scaled, attention_mask=mask).logits
            probabilities = torch.softmax(logits.float(), dim=-1)[:, target]
            (gradient,) = torch.autograd.grad(probabilities.sum(), scaled)
            integrand = (gradient * (x - b)).sum(dim=-1).detach().double().cpu().numpy()
            values = probabilities.detach().double().cpu().numpy()
            for i, (length, path, node) in enumerate(chunk):
                path.h[node], path.g[node] = float(values[i]), integrand[i, :length]
            evaluations += len(chunk)
            passes += 1
        still = []
        for path in pending:
            path.rounds = round_index + 1
            path.bound = max(float(tolerance) * abs(path.h[UNIT] - path.h[0]), float(absolute_tolerance))
            errors = path.panel_errors()
            path.error = float(errors.sum())
            path.converged = abs(path.error) <= path.bound
            if path.converged:
                continue
            order = [i for i in np.argsort(-np.abs(errors)) if path.panels[i][1] - path.panels[i][0] >= 8][:split]
            if not order:
                continue
            halves = []
            for i, (left, right) in enumerate(path.panels):
                middle = (left + right) // 2
                halves += [(left, middle), (middle, right)] if i in order else [(left, right)]
            path.panels = halves
            still.append(path)
        pending = still
        if not pending:
            break
    seconds = time.perf_counter() - began
    return {
        "seconds": seconds,
        "evaluations": evaluations,
        "passes": passes,
        "rows_per_round": rows_per_round,
        "paths": paths,
    }


def prototype_rows(paths: list[Path]) -> list[tuple]:
    """One row (length, ids, baseline ids, alpha) per node the prototype evaluated, for its own ceiling."""
    return [
        (len(path.job.ids), path.job.ids, path.job.baseline_ids, node / UNIT)
        for path in paths
        for node in sorted(path.h)
    ]
