"""Simulations of the verdict rules (design.md §4 "Verdicts hold as a family"; explainers.metrics.family).

Prints, for seeded simulated audits with known true values:

1. with every true value on or inside its band edge (DI 0.8 and SPD -0.1 exactly on the edge for two groups in
   three, inside for the rest; with all six metrics, EOD -0.1, EOR 0.8 and equalized odds 0.1 on the edge too),
   the share of audits with ANY false `fail` under per_comparison, familywise and fdr (target: familywise <= 5%);
2. with planted violations (DI 0.6, SPD -0.2), the power: the share of planted comparisons judged `fail`;
3. the coverage of equalized odds' percentile interval near the band edge, and of the interval derived from the
   simultaneous intervals of its TPR and FPR components (what every rule now decides with).

Usage::

    .venv/bin/python bench/familywise_sim.py            # about 7 minutes on a 2-core machine
    .venv/bin/python bench/familywise_sim.py --quick    # about 1 minute

Results are also written to bench/results/familywise_sim.json (git-ignored).
"""

import argparse
import json
import math
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from explainers.metrics.definitions import METRIC_DEFINITIONS  # noqa: E402
from explainers.metrics.family import ERROR_CONTROLS  # noqa: E402
from explainers.metrics.family_simulation import (  # noqa: E402
    edge_population,
    equalized_odds_coverage,
    equalized_odds_population,
    simulate_false_fails,
)

SR_METRICS = ("disparate_impact", "statistical_parity_difference")


def _se(share: float, repetitions: int) -> float:
    return math.sqrt(max(share * (1 - share), 1e-12) / repetitions)


def _false_fail_rows(args) -> list[dict]:
    rows = []
    settings = [(50, SR_METRICS), (100, SR_METRICS), (50, tuple(METRIC_DEFINITIONS))]
    for groups, metrics in settings:
        started = time.perf_counter()
        figures = simulate_false_fails(
            edge_population(groups=groups, n_group=400), metrics=metrics, repetitions=args.repetitions,
            n_boot=args.n_boot, seed=args.seed,
        )  # fmt: skip
        rows.append(
            {
                "groups": groups,
                "metrics": len(metrics),
                "comparisons": groups * len(metrics),
                "repetitions": figures.repetitions,
                "any_false_fail": figures.any_false_fail,
                "false_fails_per_audit": figures.false_fails_per_audit,
                "seconds": round(time.perf_counter() - started, 1),
            }
        )
        _print_false_fails(rows[-1])
    return rows


def _print_false_fails(row: dict) -> None:
    print(
        f"\n{row['groups']} groups x {row['metrics']} metrics = {row['comparisons']} comparisons, all true values on "
        f"or inside the band edge; {row['repetitions']} audits ({row['seconds']} s)"
    )
    print(f"  {'rule':<16}{'audits with any false fail':>30}{'false fails per audit':>24}")
    for rule in ERROR_CONTROLS:
        share = row["any_false_fail"][rule]
        mark = ("PASS" if share <= 0.05 else "MISS") if rule == "familywise" else ""
        print(
            f"  {rule:<16}{share:>20.3f} ± {_se(share, row['repetitions']):.3f}"
            f"{row['false_fails_per_audit'][rule]:>24.3f}  {mark}"
        )


def _power_rows(args) -> list[dict]:
    rows = []
    for planted in (5, 10):
        figures = simulate_false_fails(
            edge_population(groups=50, n_group=400, planted=planted), repetitions=max(args.repetitions // 2, 20),
            n_boot=args.n_boot, seed=args.seed + planted,
        )  # fmt: skip
        rows.append({"planted": planted, "power": figures.power, "any_false_fail": figures.any_false_fail})
        print(f"\n50 groups, {planted} planted violations (DI 0.6, SPD -0.2; n = 400 per group, reference 2000)")
        print(f"  {'rule':<16}{'power (planted judged fail)':>30}{'audits with any false fail':>30}")
        for rule in ERROR_CONTROLS:
            print(f"  {rule:<16}{figures.power[rule]:>30.3f}{figures.any_false_fail[rule]:>30.3f}")
    return rows


def _coverage_rows(args) -> list[dict]:
    rows = []
    print("\nEqualized odds = max(|dTPR|, |dFPR|) on the band edge 0.1: coverage of the true value (nominal 0.95)")
    print(f"  {'dTPR':>6}{'dFPR':>6}{'n per group':>13}{'percentile':>13}{'from TPR/FPR':>15}")
    for tpr_gap, fpr_gap in ((0.1, 0.1), (0.1, 0.08), (0.1, 0.05), (0.1, 0.0)):
        for n in (300, 1500):
            coverage = equalized_odds_coverage(
                equalized_odds_population(tpr_gap, fpr_gap, n_group=n, n_reference=n),
                repetitions=args.coverage_repetitions, n_boot=args.n_boot, seed=args.seed,
            )  # fmt: skip
            rows.append({"tpr_gap": tpr_gap, "fpr_gap": fpr_gap, "n": n, **coverage})
            print(f"  {tpr_gap:>6.2f}{fpr_gap:>6.2f}{n:>13}{coverage['percentile']:>13.3f}{coverage['derived']:>15.3f}")
    print(f"  (Monte Carlo standard error about {_se(0.95, args.coverage_repetitions):.3f})")
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer repetitions (about a minute)")
    parser.add_argument("--repetitions", type=int, default=None, help="audits per false-fail setting (default 400)")
    parser.add_argument("--coverage-repetitions", type=int, default=None, help="audits per coverage cell (1000)")
    parser.add_argument("--n-boot", type=int, default=500)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    args.repetitions = args.repetitions or (100 if args.quick else 400)
    args.coverage_repetitions = args.coverage_repetitions or (300 if args.quick else 1000)

    started = time.perf_counter()
    results = {
        "settings": vars(args),
        "false_fails": _false_fail_rows(args),
        "power": _power_rows(args),
        "equalized_odds_coverage": _coverage_rows(args),
    }
    results["seconds"] = round(time.perf_counter() - started, 1)
    out = ROOT / "bench" / "results" / "familywise_sim.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2))
    print(f"\nTotal {results['seconds']} s; written to {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
