"""Integrated-gradients benchmark: our attribution stage against Captum per example and against the ceiling.

Run from the repository root::

    .venv/bin/python bench/attribution_bench.py                  # 40 pairs -> about 120 sets, a few minutes
    .venv/bin/python bench/attribution_bench.py --pairs 12 --repeats 1 --no-faithfulness   # smoke run
    .venv/bin/python bench/attribution_bench.py --threads 1      # on a busy 2-core machine (see Machine)
    .venv/bin/python bench/attribution_bench.py --reference-steps 256   # + word weights against 256-node IG
    .venv/bin/python bench/attribution_bench.py --device cuda    # on a GPU machine

On the MiniLM sentiment classifier (var/models/minilm-sentiment) and forty sentences written for this benchmark,
each with female words and its counterfactual under the gender lexicon (bench/attributionbench/data.py). An
explanation is one attribution set, the same for every path (the stage's own job builder): x and x' each against
the neutral baseline, and x' against x where both tokenize to the same length. In one process, same device and
torch threads, after a warm-up of every path, alternating the paths over --repeats rounds:

(a) captum     LayerIntegratedGradients(f, model.get_input_embeddings()).attribute per set with its defaults
               (n_steps=50, Gauss-Legendre, all steps in one batch) and return_convergence_delta=True; the sets
               are split over the rounds, so the reference sees the same machine as the others;
(b) ours       explain_text_pairs(runner, pairs, tolerance=0.01, internal_batch_size=64, n_render=0,
               faithfulness=False): nested adaptive Simpson nodes per set, batched across sets, until both the
               completeness error and the estimated token errors are within bound; fresh prediction cache each run,
               best of the rounds; its IG time is measured inside the same run; (b') once more with faithfulness=True;
(c) ceiling    the forward+backward evaluations (b) performed (the nodes it chose), as full length-sorted batches of
               interpolated embeddings through the model with one autograd.grad each, back to back, best of rounds.

Optional, untimed: --reference-steps N compares every path's word weights with N-node Gauss-Legendre IG (256 is
far past what any set needs): completeness bounds only their sum, this shows the words. --profile writes a
cProfile of the stage. --oracle POINTS finds, per set, the smallest Gauss-Legendre step count that would have
been in bound (attributionbench/oracle.py): a floor under any Gauss-Legendre schedule's cost; on the same
integrands it replays the stage's rule and Clenshaw-Curtis (attributionbench/rules.py). --report FILE reprints a
results file.

f is P(positive); every completeness error is sum(attr) - (f(input) - f(baseline)) with f at both ends from one
batched forward pass, bound max(tolerance * |f(input) - f(baseline)|, 1e-4), for Captum's sets as for ours.
It is a benchmark, not a test: targets are marked PASS/MISS and never fail the run; exceptions do.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import importlib.metadata
import io
import json
import os
import platform
import pstats
import sys
import time
from pathlib import Path

import numpy as np

BENCH_DIR = Path(__file__).resolve().parent
if str(BENCH_DIR) not in sys.path:  # run by path this is already there; imported from elsewhere it may not be
    sys.path.insert(0, str(BENCH_DIR))

from attributionbench import DEFAULT_MODEL_DIR, RESULTS_DIR  # noqa: E402 - also puts the repository root on sys.path
from attributionbench.data import make_pairs  # noqa: E402
from attributionbench.measure import (  # noqa: E402
    CaptumDefault,
    Ceiling,
    StageOptions,
    agreement,
    build_sets,
    captum_errors,
    load_runner,
    our_sets,
    ours_summary,
    reference_attributions,
    run_ours,
    stage_rows,
)
from attributionbench.report import diagnose, print_report, summarise_targets, write_results  # noqa: E402
from attributionbench.system import contention, load_average, source_fingerprint  # noqa: E402
from metricsbench.system import cpu_model, peak_rss_bytes  # noqa: E402


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pairs", type=int, default=40, help="pairs (x, x'); each gives 2 or 3 attribution sets")
    parser.add_argument("--repeats", type=int, default=2, help="rounds alternating the paths (ours, ceiling: best)")
    parser.add_argument("--threads", type=int, default=0, help="torch threads (default: the runner's choice)")
    parser.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    parser.add_argument("--tolerance", type=float, default=0.01, help="completeness bound, relative")
    parser.add_argument("--absolute-tolerance", type=float, default=1e-4, help="floor of the bound")
    parser.add_argument("--token-tolerance", type=float, default=None, help="token error bound (default: tolerance)")
    parser.add_argument("--max-steps", type=int, default=257, help="path nodes per set at most (the stage's)")
    parser.add_argument("--internal-batch-size", type=int, default=64, help="sequences per pass (stage, ceiling)")
    parser.add_argument("--budget", type=int, default=None, help="pairs the stage explains (default: all)")
    parser.add_argument("--min-delta", type=float, default=0.01, help="|f(x) - f(b)| below which no relative error")
    parser.add_argument("--no-faithfulness", action="store_true", help="skip (b') the stage with AOPC")
    parser.add_argument(
        "--reference-steps", type=int, default=0, help="also compare word weights with N-node IG (0: skip; 256 ok)"
    )
    parser.add_argument(
        "--oracle", type=int, default=0, metavar="POINTS", help="also the Gauss-Legendre oracle (257 ok)"
    )
    parser.add_argument("--profile", action="store_true", help="also write a cProfile of the stage to bench/results/")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--model", type=Path, default=DEFAULT_MODEL_DIR, help="classifier folder")
    parser.add_argument("--json", type=Path, default=RESULTS_DIR / "attribution_bench.json", help="results file")
    parser.add_argument("--report", type=Path, default=None, help="reprint a results JSON file and exit")
    args = parser.parse_args(argv)
    if args.pairs < 1 or args.repeats < 1:
        parser.error("--pairs and --repeats must be at least 1")
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.report:
        print_report(json.loads(args.report.read_text()))
        return 0

    import torch

    from explainers.lexicons import load_lexicon

    started = time.perf_counter()
    load_before = load_average()
    runner = load_runner(args.model, args.device, args.threads)
    lexicon = load_lexicon("gender")
    pairs = make_pairs(runner, args.pairs, args.seed)
    options = StageOptions(
        tolerance=args.tolerance,
        absolute_tolerance=args.absolute_tolerance,
        token_tolerance=args.token_tolerance,
        max_steps=args.max_steps,
        internal_batch_size=args.internal_batch_size,
        seed=args.seed,
        budget=args.budget,
        min_delta=args.min_delta,
    )
    sets = build_sets(runner, pairs, lexicon, args.tolerance, args.absolute_tolerance, args.budget)
    jobs, n_sets = sets.jobs, len(sets.jobs)
    n_counterfactual = sum(job.baseline == "counterfactual" for job in jobs)
    meta = {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, {platform.platform()}",
        "cpu": cpu_model(),
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "torch": torch.__version__,
        "transformers": importlib.metadata.version("transformers"),
        "captum": importlib.metadata.version("captum"),
        "device": str(runner.device),
        "threads": torch.get_num_threads(),
        "model": str(Path(args.model).name),
        "pairs": len(sets.chosen),
        "n_sets": n_sets,
        "n_neutral": n_sets - n_counterfactual,
        "n_counterfactual": n_counterfactual,
        "tolerance": args.tolerance,
        "absolute_tolerance": args.absolute_tolerance,
        "token_tolerance": args.token_tolerance,
        "max_steps": args.max_steps,
        "internal_batch_size": args.internal_batch_size,
        "min_delta": args.min_delta,
        "repeats": args.repeats,
        "load_before": load_before,
        "args": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
        **source_fingerprint(),
    }
    print(
        f"attribution_bench: {meta['cpu']}, {meta['cpus']} CPUs, load average {load_before}; torch {torch.__version__}"
        f" ({meta['device']}, {meta['threads']} threads), transformers {meta['transformers']}, captum {meta['captum']}"
    )
    print(f"{meta['pairs']} pairs -> {n_sets} attribution sets; warming up every path ...", flush=True)

    captum = CaptumDefault(runner)
    run_ours(runner, pairs[:2], lexicon, options)
    captum.run(jobs[:2])

    record: list[dict] = []
    ours_runs, ceiling_s = [], []
    captum_out, captum_rounds = {}, []
    ceiling = None
    slices = [list(range(r, n_sets, args.repeats)) for r in range(args.repeats)]
    for round_index in range(args.repeats):
        label = f"round {round_index + 1}/{args.repeats}"
        print(f"{label}: ours ...", end="", flush=True)
        with contention(record, f"(b) ours {round_index + 1}"):
            ours_runs.append(run_ours(runner, pairs, lexicon, options))
        if ceiling is None:
            ceiling = Ceiling(runner, stage_rows(ours_runs[0]["jobs"], runner.pad_id), args.internal_batch_size)
            ceiling.run(limit=2)
        print(" ceiling ...", end="", flush=True)
        with contention(record, f"(c) ceiling {round_index + 1}"):
            ceiling_s.append(ceiling.run())
        print(f" Captum on {len(slices[round_index])} sets ...", end="", flush=True)
        with contention(record, f"(a) captum {round_index + 1}"):
            seconds, out = captum.run([jobs[i] for i in slices[round_index]])
        captum_rounds.append((len(slices[round_index]), seconds))
        captum_out.update(zip(slices[round_index], out, strict=True))
        print(" done", flush=True)

    faith = None
    if not args.no_faithfulness:
        print("ours with faithfulness ...", flush=True)
        with contention(record, "(b') ours + AOPC"):
            faith = run_ours(runner, pairs, lexicon, options, faithfulness=True)
    reference = None
    if args.reference_steps:
        print(f"reference attributions at {args.reference_steps} steps (untimed) ...", flush=True)
        reference = reference_attributions(runner, jobs, args.reference_steps, args.internal_batch_size)
    oracle_block = None
    if args.oracle:
        from attributionbench.oracle import oracle, token_integrands
        from attributionbench.rules import replay

        print(f"oracle: every token's integrand at {args.oracle} alphas per set (untimed) ...", flush=True)
        integrands = token_integrands(runner, jobs, args.oracle, args.internal_batch_size)
        oracle_block = oracle(sets, integrands)
        oracle_block["rules"] = replay(sets, integrands)
    if args.profile:
        profile_stage(runner, pairs, lexicon, options, RESULTS_DIR / "attribution_profile.txt")

    results = assemble(meta, sets, ours_runs, ceiling, ceiling_s, captum_out, captum_rounds)
    results["contention"] = record
    if oracle_block is not None:
        results["oracle"] = oracle_block
    if reference is not None:
        add_reference(results, sets, reference, captum_out, ours_runs, args.reference_steps)
    if faith is not None:
        results["faithfulness"] = {
            "seconds": faith["seconds"],
            "sets_per_s": n_sets / faith["seconds"],
            "forward_evaluations": int(faith["result"].cost.forward_evaluations),
        }
    results["meta"]["load_after"] = load_average()
    results["targets"] = summarise_targets(results)
    results["diagnosis"] = diagnose(results) if not all(t["ok"] for t in results["targets"]) else []
    results["meta"]["peak_rss_bytes"] = peak_rss_bytes()
    results["meta"]["wall_s"] = time.perf_counter() - started
    print_report(results)
    write_results(results, args.json)
    return 0


def assemble(meta, sets, ours_runs, ceiling, ceiling_s, captum_out, captum_rounds) -> dict:
    """Best round of every path (Captum: the round whose slice of sets ran at the highest rate), and the rest."""
    jobs, n_sets, min_delta = sets.jobs, len(sets.jobs), meta["min_delta"]
    evaluations = {run["result"].cost.gradient_evaluations for run in ours_runs}
    if len(evaluations) != 1:  # the stage is deterministic; a difference would make the ceiling wrong
        raise RuntimeError(f"the stage's gradient evaluations differ between rounds: {sorted(evaluations)}")
    best = min(ours_runs, key=lambda run: run["seconds"])
    summary = ours_summary(best["result"], min_delta)
    captum_rates = [count / seconds for count, seconds in captum_rounds]
    captum = {
        "seconds": n_sets / max(captum_rates),  # all sets at the best round's rate
        "seconds_all_sets": sum(seconds for _, seconds in captum_rounds),
        "rounds": [{"sets": count, "seconds": seconds} for count, seconds in captum_rounds],
        "n_sets": n_sets,
        "sets_per_s": max(captum_rates),
        "gradient_evaluations": 50 * n_sets,
        "forward_evaluations": 4 * n_sets,
        "errors": captum_errors(jobs, captum_out, min_delta),
    }
    ours = {
        "seconds": best["seconds"],
        "seconds_all": [run["seconds"] for run in ours_runs],
        "integrate_s": best["integrate_s"],
        "other_s": best["other_s"],
        "n_sets": n_sets,
        "sets_per_s": n_sets / best["seconds"],
        "gradient_evaluations": summary["gradient_evaluations"],
        "errors": {k: summary[k] for k in ("n_sets", "within_bound", "n_relative", "mean_rel_error", "max_rel_error")},
        "summary": summary,
    }
    ceiling_best = min(ceiling_s)
    ours["ratio_per_round"] = [
        (n_sets / run["seconds"]) / rate for run, rate in zip(ours_runs, captum_rates, strict=True)
    ]
    results = {
        "meta": meta,
        "captum": captum,
        "ours": ours,
        "ceiling": {
            "seconds": ceiling_best,
            "seconds_all": ceiling_s,
            "evaluations": ceiling.evaluations,
            "batches": len(ceiling.batches),
            "padded_tokens": ceiling.padded_tokens,
        },
        "efficiency": {
            "passes": ceiling_best / best["integrate_s"],
            "passes_per_round": [c / run["integrate_s"] for c, run in zip(ceiling_s, ours_runs, strict=True)],
            "stage": ceiling_best / best["seconds"],
            "captum_vs_ceiling_per_eval": (ceiling_best / ceiling.evaluations) / (captum["seconds"] / (50 * n_sets)),
        },
    }
    index = {key: i for i, key in enumerate(sets.keys)}
    captum_words = {i: sets.word_weights(i, tokens) for i, (tokens, _) in captum_out.items()}
    ours_words = {index[key]: np.asarray(s.weights) for key, s in our_sets(best["result"]).items()}
    bounds = {i: job.bound for i, job in enumerate(jobs)}
    results["agreement"] = {"ours": agreement(captum_words, ours_words, bounds)}
    return results


def add_reference(results, sets, reference, captum_out, ours_runs, steps) -> None:
    """Word weights of both paths against the N-node reference, and the reference's own completeness error."""
    jobs = sets.jobs
    bounds = {i: job.bound for i, job in enumerate(jobs)}
    reference_words = {i: sets.word_weights(i, tokens) for i, tokens in reference.items()}
    errors = np.array([tokens.sum() - (jobs[i].output - jobs[i].baseline_output) for i, tokens in reference.items()])
    block = {"steps": steps, "max_abs_completeness_error": float(np.abs(errors).max())}
    captum_words = {i: sets.word_weights(i, t) for i, (t, _) in captum_out.items()}
    block["captum"] = agreement(reference_words, captum_words, bounds)
    index = {key: i for i, key in enumerate(sets.keys)}
    best = min(ours_runs, key=lambda run: run["seconds"])
    ours_words = {index[key]: np.asarray(s.weights) for key, s in our_sets(best["result"]).items()}
    block["ours"] = agreement(reference_words, ours_words, bounds)
    results["reference"] = block


def profile_stage(runner, pairs, lexicon, options, path: Path) -> None:
    profiler = cProfile.Profile()
    profiler.enable()
    run_ours(runner, pairs, lexicon, options)
    profiler.disable()
    buffer = io.StringIO()
    pstats.Stats(profiler, stream=buffer).sort_stats("cumulative").print_stats(40)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(buffer.getvalue())
    print(f"profile of one stage run written to {path}")


if __name__ == "__main__":
    sys.exit(main())
