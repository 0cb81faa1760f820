"""Printing of the results, the issue's targets (PASS/MISS), the diagnosis of a miss, and the results JSON."""

from __future__ import annotations

import json
from pathlib import Path

from attributionbench import REPO_ROOT

TARGET_RATIO = 3.0  # our explanations/s over Captum-default's, at least, at the same completeness bound
TARGET_EFFICIENCY = 0.70  # ceiling time / our IG passes' time, at least
CONTENDED_CPUS = 0.5  # other processes' CPU use during a step above which the step is marked contended


def _pct(value) -> str:
    return "-" if value is None else f"{100 * value:.2f}%"


def _num(value, fmt: str) -> str:
    return "-" if value is None else format(value, fmt)


def _row(name, seconds, sets, evaluations, errors, reference_rate=None) -> str:
    rate = sets / seconds if seconds else None
    ratio = None if rate is None or reference_rate is None else rate / reference_rate
    per_set = evaluations / sets if sets else None
    ms = 1e3 * seconds / evaluations if evaluations else None
    within = "-"
    if errors and errors.get("n_sets"):
        within = f"{errors['within_bound']}/{errors['n_sets']}"
    return (
        f"{name:<34}{seconds:>9.2f}{_num(rate, '.2f'):>9}{_num(ratio, '.2f'):>8}x{evaluations:>9,}"
        f"{_num(per_set, '.1f'):>8}"
        f"{_num(ms, '.2f'):>9}{within:>9}{_pct((errors or {}).get('mean_rel_error')):>10}"
        f"{_pct((errors or {}).get('max_rel_error')):>10}"
    )


def print_report(results: dict) -> None:
    meta, c, o = results["meta"], results["captum"], results["ours"]
    print(
        f"\n== Integrated gradients on {meta['model']}: {meta['pairs']} pairs -> {meta['n_sets']} attribution sets "
        f"({meta['n_neutral']} neutral baseline, {meta['n_counterfactual']} counterfactual baseline) =="
    )
    print(
        f"{meta['device']}, {meta['threads']} torch threads; tolerance {meta['tolerance']:g} "
        f"(absolute floor {meta['absolute_tolerance']:g}); at most {meta['max_steps']} nodes per set, internal batch "
        f"{meta['internal_batch_size']}; every path best of {meta['repeats']} alternating rounds (Captum: its sets "
        "split over the rounds, best round's rate)"
    )
    header = (
        f"{'path':<34}{'seconds':>9}{'sets/s':>9}{'vs (a)':>9}{'grad ev':>9}{'ev/set':>8}{'ms/ev':>9}"
        f"{'in bound':>9}{'mean rel':>10}{'max rel':>10}"
    )
    print(header)
    print("-" * len(header))
    ref = c["sets_per_s"]
    print(
        _row("(a) Captum LIG default, per set", c["seconds"], c["n_sets"], c["gradient_evaluations"], c["errors"], ref)
    )
    print(_row("(b) ours: explain_text_pairs", o["seconds"], o["n_sets"], o["gradient_evaluations"], o["errors"], ref))
    print(
        _row("    of which IG passes (integrate)", o["integrate_s"], o["n_sets"], o["gradient_evaluations"], None, ref)
    )
    ce = results["ceiling"]
    print(_row("(c) ceiling: (b)'s passes, batched", ce["seconds"], o["n_sets"], ce["evaluations"], None, ref))
    f = results.get("faithfulness")
    if f:
        print(
            _row("(b') ours with faithfulness (AOPC)", f["seconds"], o["n_sets"], o["gradient_evaluations"], None, ref)
        )
    print(
        "sets/s = attribution sets (explanations) per second; vs (a) = sets/s over Captum's; ev/set = forward+backward"
        " evaluations\nper set; in bound = |completeness error| <= max(tolerance * |f(x) - f(b)|, floor); rel = |error|"
        f" / |f(x) - f(b)| over the\n{c['errors'].get('n_relative')} sets with |f(x) - f(b)| >= {meta['min_delta']:g}."
        " Besides its 50 gradient evaluations Captum runs 4 forward passes per set\n(layer outputs at both ends,"
        " convergence delta); the stage takes f at the path ends from its own nodes at alpha 0 and 1."
    )

    print("\n== Our stage ==")
    print(
        f"phases of the best run: IG {o['integrate_s']:.2f} s, the rest "
        f"(words, spans, records) {o['other_s']:.2f} s; all runs {', '.join(f'{s:.2f}' for s in o['seconds_all'])} s"
    )
    print(
        f"ratio to Captum paired per round: {', '.join(f'{r:.2f}x' for r in o['ratio_per_round'])}; Captum's rounds "
        + ", ".join(f"{r['sets']} sets in {r['seconds']:.2f} s" for r in c["rounds"])
    )
    s = o["summary"]
    print(
        f"rounds per set: {_hist(s['rounds'])}; converged {s['converged']}/{s['n_sets']} (completeness and token "
        f"bounds; max token error / bound {_num(s['max_token_error_over_bound'], '.2f')})"
    )
    for baseline, b in s["by_baseline"].items():
        if b["n_sets"]:
            print(
                f"  {baseline:<15} {b['n_sets']:>4} sets, {b['nodes']:>6,} path nodes ({b['nodes'] / b['n_sets']:.1f} "
                f"per set, median {b['median_nodes']:g}, max {b['max_nodes']})"
            )
    print(
        f"{s['nodes']:,} path nodes in all, {s['gradient_evaluations']:,} gradient evaluations: "
        f"{s['nodes'] - s['gradient_evaluations']:,} path ends shared between sets of a pair ran once"
    )
    print(
        f"completeness error: ours mean |err| {s['mean_abs_error']:.2e}, max {s['max_abs_error']:.2e}, max err/bound "
        f"{s['max_error_over_bound']:.2f}; Captum mean |err| {c['errors']['mean_abs_error']:.2e}, max "
        f"{c['errors']['max_abs_error']:.2e}, max err/bound {c['errors']['max_error_over_bound']:.2f} "
        f"(Captum's own delta differs from ours by <= {c['errors']['max_abs_own_delta_minus_error']:.1e})"
    )
    e = results["efficiency"]
    print(
        f"efficiency vs ceiling: IG passes {e['passes']:.2f} (paired per round: "
        f"{', '.join(f'{v:.2f}' for v in e['passes_per_round'])}), whole stage {e['stage']:.2f}; Captum per set runs "
        f"at {e['captum_vs_ceiling_per_eval']:.2f} of the ceiling's rate per evaluation"
    )
    a = results["agreement"]
    print("\n== Word weights against Captum's (50 steps) ==")
    for name, block in a.items():
        if block.get("n_sets"):
            print(
                f"{name:<10} {block['n_sets']} sets: sum|w - w_captum| / sum|w_captum| median "
                f"{_pct(block['median_rel_l1'])}, max {_pct(block['max_rel_l1'])}; same top word "
                f"{block['top_word_agreement']:.0%}"
            )
    r = results.get("reference")
    if r:
        print(
            f"\n== Word weights against a {r['steps']}-step reference (its completeness error <= "
            f"{r['max_abs_completeness_error']:.1e}) =="
        )
        for name in ("captum", "ours"):
            block = r.get(name) or {}
            if block.get("n_sets"):
                print(
                    f"{name:<10} {block['n_sets']} sets: sum|w - w_ref| / sum|w_ref| median "
                    f"{_pct(block['median_rel_l1'])}, p90 {_pct(block['p90_rel_l1'])}, max {_pct(block['max_rel_l1'])}"
                    f"; same top word {block['top_word_agreement']:.0%}; every word within the set's bound "
                    f"{block['words_in_bound']:.0%}"
                )
    q = results.get("oracle")
    if q:
        print(
            f"\n== Oracle: the smallest Gauss-Legendre n per set, known ahead (splines through {q['points']} alphas; "
            f"reference error <= {q['max_reference_error_over_bound']:.3f} of the bound) =="
        )
        for name, label in (("completeness", "completeness in bound"), ("words", "and every word in bound")):
            b = q[name]
            print(
                f"{label:<26} {b['mean']:.1f} evaluations per set (neutral {_num(b['neutral_mean'], '.1f')}, "
                f"counterfactual {_num(b['counterfactual_mean'], '.1f')}, max {b['max']}): at most "
                f"{b['work_ratio_vs_captum']:.2f}x less work than Captum's 50"
            )
        if q.get("rules"):
            print("Other rules on the same integrands (nodes per set, path ends counted in every set):")
            for r in q["rules"]:
                print(
                    f"  {r['rule']:<46} {r['nodes']:5.1f} (neutral {_num(r['neutral'], '.1f')}, counterfactual "
                    f"{_num(r['counterfactual'], '.1f')}); completeness in bound {r['completeness_in_bound']:.0%}, "
                    f"every word {r['words_in_bound']:.0%}"
                )
    print("\n== Machine ==")
    print(f"load average before {meta['load_before']}, after {meta['load_after']} ({meta['cpus']} CPUs)")
    contended = 0
    for step in results["contention"]:
        others = step["other_cpus"]
        busy = others is not None and others > CONTENDED_CPUS
        contended += busy
        print(
            f"  {step['step']:<22}{step['wall_s']:>9.2f} s  own CPUs {step['own_cpus']:.2f}  others "
            f"{'-' if others is None else f'{others:.2f}'}{'  (contended)' if busy else ''}"
        )
    if contended:
        print(
            f"{contended} step(s) ran while other processes used over {CONTENDED_CPUS:g} CPU: with 2 torch threads "
            "a pass can take several times longer then; compare rounds, or rerun with --threads 1 on a busy machine."
        )
    print_targets(results["targets"])
    if results.get("diagnosis"):
        print("\n== Why ==")
        for line in results["diagnosis"]:
            print(f"- {line}")


def _hist(counts: dict) -> str:
    return ", ".join(f"{k}: {v}" for k, v in counts.items()) or "-"


def summarise_targets(results: dict) -> list[dict]:
    c, o, e = results["captum"], results["ours"], results["efficiency"]
    ratio = o["sets_per_s"] / c["sets_per_s"]
    all_in = o["errors"]["within_bound"] == o["errors"]["n_sets"]
    return [
        {
            "target": f">= {TARGET_RATIO:g}x Captum-default explanations/s at the same completeness bound",
            "value": ratio,
            "ok": bool(ratio >= TARGET_RATIO and all_in),
            "detail": f"{ratio:.2f}x; ours {o['errors']['within_bound']}/{o['errors']['n_sets']} in bound, Captum "
            f"{c['errors']['within_bound']}/{c['errors']['n_sets']}",
        },
        {
            "target": f"our IG passes at >= {TARGET_EFFICIENCY:.0%} of the ceiling",
            "value": e["passes"],
            "ok": bool(e["passes"] >= TARGET_EFFICIENCY),
            "detail": f"{e['passes']:.2f} (whole stage {e['stage']:.2f})",
        },
    ]


def print_targets(targets: list[dict]) -> None:
    print("\n== Targets ==")
    for t in targets:
        print(f"[{'PASS' if t['ok'] else 'MISS'}] {t['target']:<70} {t['detail']}")


def diagnose(results: dict) -> list[str]:
    """Why a target was missed, in numbers from this run."""
    c, o, ce, e = results["captum"], results["ours"], results["ceiling"], results["efficiency"]
    s, lines = o["summary"], []
    captum_ms = 1e3 * c["seconds"] / c["gradient_evaluations"]
    ceiling_ms = 1e3 * ce["seconds"] / ce["evaluations"]
    work = c["gradient_evaluations"] / o["gradient_evaluations"]
    speed = captum_ms / (1e3 * o["seconds"] / o["gradient_evaluations"])
    lines.append(
        f"throughput ratio {o['sets_per_s'] / c['sets_per_s']:.2f}x = work ratio {work:.2f}x (Captum's 50 evaluations "
        f"per set over our {s['mean_evaluations_per_set']:.1f}) x speed per evaluation {speed:.2f}x (Captum "
        f"{captum_ms:.2f} ms, ceiling {ceiling_ms:.2f} ms, our whole stage "
        f"{1e3 * o['seconds'] / o['gradient_evaluations']:.2f} ms per evaluation)"
    )
    neutral, cf = s["by_baseline"]["neutral"], s["by_baseline"]["counterfactual"]
    if neutral["n_sets"]:
        lines.append(
            f"neutral-baseline sets need {neutral['nodes'] / neutral['n_sets']:.1f} nodes each (counterfactual "
            f"{cf['nodes'] / max(cf['n_sets'], 1):.1f}): the path from all-pad to x rises and falls, with steep "
            "stretches, so every token's error within 1% of |f(x) - f(b)| takes many nodes there"
        )
    q = results.get("oracle")
    if q:
        lines.append(
            f"even knowing each set's best Gauss-Legendre step count ahead, every word within the bound takes "
            f"{q['words']['mean']:.1f} evaluations per set ({q['words']['work_ratio_vs_captum']:.2f}x less than "
            f"Captum's 50; {q['completeness']['mean']:.1f} for completeness alone)"
        )
    if e["passes"] < TARGET_EFFICIENCY:
        lines.append(
            f"IG passes at {e['passes']:.2f} of the ceiling: {max(s['rounds'])} rounds against the ceiling's full "
            "batches (each round ends in a partial batch, and the units are assessed between rounds), padding to "
            "the longest row of a batch, and contention from other processes (see Machine)"
        )
    return lines


def write_results(results: dict, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=2, default=float) + "\n")
    try:
        shown = path.resolve().relative_to(REPO_ROOT)
    except ValueError:
        shown = path
    print(f"\nresults written to {shown} ({results['meta']['wall_s']:.0f} s in all)")
