"""Seeded simulations of the verdict rules (explainers.metrics.family), shared by the tests and bench/.

Each simulated audit draws a fresh count table from known per-group rates, runs the same path as a real audit
(:func:`audit_attribute_with_replicates`, the tests and Holm's adjustment, :func:`control_family`) and scores
the verdicts against the known true values. Nothing here is used by an audit itself.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from explainers.metrics.audit import MetricConfig, audit_attribute_with_replicates
from explainers.metrics.counts import CountTable
from explainers.metrics.definitions import metric_values
from explainers.metrics.family import ERROR_CONTROLS, FDR, PER_COMPARISON, FamilySlice, control_family
from explainers.metrics.significance import by_adjust, holm_adjust
from explainers.metrics.verdicts import Verdict


@dataclass(frozen=True)
class Population:
    """Known rates per group (index 0 is the reference): share with y = fav, TPR and FPR, and group sizes."""

    base_rate: np.ndarray
    tpr: np.ndarray
    fpr: np.ndarray
    sizes: np.ndarray

    @property
    def groups(self) -> tuple[str, ...]:
        return tuple(f"g{index:03d}" for index in range(len(self.sizes)))  # g000 (the reference) sorts first

    def probabilities(self) -> np.ndarray:
        """``P(y, yhat | g)`` of shape ``(G, 2, 2)`` indexed ``[g, y, yhat]``."""
        cells = np.empty((len(self.sizes), 2, 2))
        cells[:, 1, 1], cells[:, 1, 0] = self.base_rate * self.tpr, self.base_rate * (1 - self.tpr)
        cells[:, 0, 1], cells[:, 0, 0] = (1 - self.base_rate) * self.fpr, (1 - self.base_rate) * (1 - self.fpr)
        return cells

    def true_values(self, metric: str) -> np.ndarray:
        """The population value of ``metric`` for every group against the reference (index 0)."""
        return metric_values(metric, self.probabilities(), 0)

    def draw(self, rng: np.random.Generator) -> CountTable:
        probabilities = self.probabilities().reshape(len(self.sizes), 4)
        cells = np.stack([rng.multinomial(n, p) for n, p in zip(self.sizes, probabilities, strict=True)])
        return CountTable(groups=self.groups, cells=cells.reshape(-1, 2, 2), has_outcome=True)


def edge_population(groups: int = 60, n_group: int = 400, n_reference: int = 2000, planted: int = 0) -> Population:
    """``groups`` compared groups whose selection rate puts DI and SPD on or inside the band edge.

    Reference: SR 0.5. Every other group: SR 0.4 (DI = 0.8 and SPD = -0.1, exactly on the band edge) or, one in
    three, 0.45 (inside). The first ``planted`` groups violate the band: SR 0.3 (DI 0.6, SPD -0.2). Decisions are
    independent of the outcome (TPR = FPR = SR), base rate 0.5.
    """
    rate = np.where(np.arange(groups) % 3 == 2, 0.45, 0.40)
    rate[:planted] = 0.30
    selection = np.concatenate([[0.5], rate])
    sizes = np.concatenate([[n_reference], np.full(groups, n_group)])
    return Population(base_rate=np.full(groups + 1, 0.5), tpr=selection, fpr=selection, sizes=sizes)


@dataclass(frozen=True)
class SimulationFigures:
    """Per rule: the share of audits with any false fail, the share of planted violations found (fail), and the
    share of comparisons judged pass or fail (claims) when the true values are all on or inside the band."""

    repetitions: int
    any_false_fail: dict[str, float]
    power: dict[str, float | None]
    false_fails_per_audit: dict[str, float]


def audit_once(table: CountTable, config: MetricConfig, rules: tuple[str, ...]) -> dict[str, tuple]:
    """One audited slice, its verdicts revised under each rule as a real audit (pipeline/finish.py) would be:
    the same bootstrap tables for every rule."""
    result, replicates = audit_attribute_with_replicates(table, "g", config)
    raw = [r.p_value for r in result.results]
    revised = {}
    for rule in rules:
        adjusted = {PER_COMPARISON: raw, FDR: by_adjust(raw)}.get(rule) or holm_adjust(raw)
        piece = FamilySlice(result=result, cells=np.asarray(table.cells), replicates=replicates, p_adjusted=adjusted)
        (revised[rule],), _ = control_family([piece], rule=rule, alpha=config.alpha)
    return {rule: attribute.results for rule, attribute in revised.items()}


def simulate_false_fails(
    population: Population,
    *,
    metrics: tuple[str, ...] = ("disparate_impact", "statistical_parity_difference"),
    repetitions: int = 200,
    n_boot: int = 400,
    seed: int = 0,
    rules: tuple[str, ...] = ERROR_CONTROLS,
) -> SimulationFigures:
    """Audit ``repetitions`` fresh samples of ``population`` under each rule (same samples and replicates).

    A false fail is a `fail` where the true value lies inside the band or on its edge; power is the share of
    comparisons whose true value lies outside the band that are judged `fail`.
    """
    truths = {m: population.true_values(m) for m in metrics}
    rng = np.random.default_rng(seed)
    any_false = dict.fromkeys(rules, 0)
    false_total = dict.fromkeys(rules, 0)
    found = dict.fromkeys(rules, 0)
    violations = 0
    for repetition in range(repetitions):
        table = population.draw(rng)
        config = MetricConfig(reference_group=population.groups[0], metrics=metrics, n_boot=n_boot, seed=repetition)
        audited = audit_once(table, config, rules)
        for rule in rules:
            false_fails = 0
            for result in audited[rule]:
                truth = truths[result.metric][population.groups.index(result.group)]
                inside = bool(result.band_low - 1e-12 <= truth <= result.band_high + 1e-12)
                if result.verdict == Verdict.FAIL:
                    false_fails += inside
                    found[rule] += not inside
                if rule == rules[0]:
                    violations += not inside
            any_false[rule] += false_fails > 0
            false_total[rule] += false_fails
    return SimulationFigures(
        repetitions=repetitions,
        any_false_fail={rule: any_false[rule] / repetitions for rule in rules},
        power={rule: found[rule] / violations if violations else None for rule in rules},
        false_fails_per_audit={rule: false_total[rule] / repetitions for rule in rules},
    )


def equalized_odds_population(
    tpr_gap: float = 0.1, fpr_gap: float = 0.1, n_group: int = 600, n_reference: int = 600
) -> Population:
    """Two groups whose equalized odds difference is ``max(tpr_gap, fpr_gap)``: the reference has TPR 0.7 and
    FPR 0.3, the other group TPR 0.7 - tpr_gap and FPR 0.3 - fpr_gap; base rate 0.5 in both."""
    return Population(
        base_rate=np.array([0.5, 0.5]),
        tpr=np.array([0.7, 0.7 - tpr_gap]),
        fpr=np.array([0.3, 0.3 - fpr_gap]),
        sizes=np.array([n_reference, n_group]),
    )


def equalized_odds_coverage(
    population: Population, *, repetitions: int = 400, n_boot: int = 400, seed: int = 0, alpha: float = 0.05
) -> dict[str, float]:
    """Coverage of the true equalized odds difference by its percentile interval and by the interval derived from
    its TPR and FPR components (what every rule decides with), over ``repetitions`` seeded audits."""
    truth = float(population.true_values("equalized_odds_difference")[1])
    rng = np.random.default_rng(seed)
    percentile = derived = 0
    for repetition in range(repetitions):
        table = population.draw(rng)
        config = MetricConfig(
            reference_group=population.groups[0],
            metrics=("equalized_odds_difference",),
            n_boot=n_boot,
            seed=repetition,
            alpha=alpha,
            min_group_size=1,
            min_denominator=1,
        )
        (result,) = audit_once(table, config, (PER_COMPARISON,))[PER_COMPARISON]
        percentile += bool(result.ci_low <= truth <= result.ci_high)
        derived += bool(result.adjusted_ci_low <= truth <= result.adjusted_ci_high)
    return {"truth": truth, "percentile": percentile / repetitions, "derived": derived / repetitions}
