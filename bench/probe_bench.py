"""Text-probe throughput benchmark: our runner and probe against a per-example pipeline loop and the raw forward.

Run from the repository root::

    .venv/bin/python bench/probe_bench.py                   # 5,000 pairs, about 2.5 minutes on 2 quiet CPU cores
    .venv/bin/python bench/probe_bench.py --pairs 1000      # smoke run
    .venv/bin/python bench/probe_bench.py --quiet-wait 120 --paired 16   # on a shared, busy machine
    .venv/bin/python bench/probe_bench.py --device cuda     # on a GPU machine (bf16 autocast, as the runner does)
    .venv/bin/python bench/probe_bench.py --report bench/results/probe_bench.json   # reprint a results file

On the MiniLM sentiment classifier (var/models/minilm-sentiment, built there first when missing) and seeded
templated sentences with gendered words (bench/probebench/data.py: N originals, about 10 % repeats, each with its
counterfactual under the gender lexicon, so N pairs = 2N texts), in one process, same device and torch threads,
after a warm-up of every path; (a), (c) and (b) run in --repeats rounds (default 2, order reversed every other
round) and the fastest round of each is kept:

(a) ceiling    raw batched forward over the unique texts in first-seen order (tokenizer with padding=True +
               model(**enc) under inference_mode, batch --batch-size, softmax): no sorting, no dedup, no cache;
(b) pipeline   transformers.pipeline("text-classification") called once per text, on a seeded sample;
(c) ours cold  TextClassifierRunner.score_texts on all 2N texts, fresh MemoryPredictionCache;
(d) ours warm  the same call again: a re-audit of the same pairs, every input a cache hit;
(e) probe      text_counterfactual_probe(runner, originals, lexicon="gender") with a fresh cache: every ordered
               group pair and the within-group controls, B bootstrap replicates and tests included;
(f) agreement  P(positive) of ours against the ceiling (unique texts) and against the pipeline (the sample);
--paired N     ceiling, ours and the loop interleaved over N blocks of the unique texts, for a busy machine.

Every timed step records the CPUs other processes used while it ran (/proc/stat): on a shared machine torch's
spinning OpenMP threads make a contended step several times slower, so a ratio is judged only from quiet steps
(or quiet interleaved blocks, --paired) and is marked NOISY otherwise. Results go to bench/results/probe_bench.json.

It is a benchmark, not a test: targets are marked PASS/MISS (or NOISY) and never fail the run; exceptions do.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

BENCH_DIR = Path(__file__).resolve().parent
if str(BENCH_DIR) not in sys.path:  # run by path this is already there; imported from elsewhere it may not be
    sys.path.insert(0, str(BENCH_DIR))

from metricsbench.system import cpu_model, peak_rss_bytes  # noqa: E402
from probebench import DEFAULT_MODEL_DIR, RESULTS_DIR  # noqa: E402 - also puts the repository root on sys.path
from probebench.data import make_pairs  # noqa: E402
from probebench.measure import (  # noqa: E402
    Ceiling,
    PerExample,
    agreement,
    bench_ceiling,
    bench_ours,
    bench_paired,
    bench_pipeline,
    bench_probe,
    load_runner,
)
from probebench.model import model_folder  # noqa: E402
from probebench.report import print_report, summarise_targets, write_results  # noqa: E402
from probebench.system import contention, wait_for_quiet  # noqa: E402


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pairs", type=int, default=5000, help="originals, each with one counterfactual")
    parser.add_argument("--pipeline-sample", type=int, default=600, help="texts the per-example loop runs (0: skip)")
    parser.add_argument("--batch-size", type=int, default=64, help="batch of the ceiling and of our runner")
    parser.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    parser.add_argument("--n-boot", type=int, default=1000, help="bootstrap replicates of the probe")
    parser.add_argument(
        "--repeats", type=int, default=2, help="rounds of (a), (c), (b), alternated; the fastest of each is kept"
    )
    parser.add_argument("--threads", type=int, default=0, help="torch threads (default: the runner's choice)")
    parser.add_argument(
        "--paired", type=int, default=0, help="also interleave ceiling, ours and the loop over N blocks (0: skip)"
    )
    parser.add_argument(
        "--quiet-wait",
        type=float,
        default=0,
        help="before each timed step, wait up to S seconds for other processes to leave the CPUs (shared machines)",
    )
    parser.add_argument("--no-probe", action="store_true", help="skip (e) probe end-to-end")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--model", type=Path, default=DEFAULT_MODEL_DIR, help="classifier folder (built if empty)")
    parser.add_argument("--json", type=Path, default=RESULTS_DIR / "probe_bench.json", help="results file")
    parser.add_argument("--report", type=Path, default=None, help="reprint a results JSON file and exit")
    return parser.parse_args(argv)


def _public(block: dict | None) -> dict | None:
    return None if block is None else {k: v for k, v in block.items() if not k.startswith("_")}


def _meta(args, runner, folder: Path, model_note: str, busy: dict) -> dict:
    import torch
    import transformers

    device = str(runner.device)
    if runner.device.type == "cuda":
        device += f" ({torch.cuda.get_device_name(runner.device)})"
    return {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "cpu": cpu_model(),
        "cpus": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "machine": f"{platform.machine()}, {platform.platform()}",
        "python": platform.python_version(),
        "torch": torch.__version__,
        "transformers": transformers.__version__,
        "device": device,
        "threads": torch.get_num_threads(),
        "model": str(folder),
        "model_note": model_note,
        "model_sha256": runner.model_key,
        "batch_size": args.batch_size,
        "args": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
        "busy": busy,
        "env": {name: os.environ.get(name) for name in ("OMP_NUM_THREADS", "OMP_WAIT_POLICY", "GOMP_SPINCOUNT")},
    }


def _data(args, pairs) -> dict:
    return {
        "pairs": args.pairs,
        "texts": len(pairs.texts),
        "unique_texts": len(pairs.unique_texts),
        "distinct_originals": pairs.distinct_originals,
        "tokens_min": int(pairs.token_lengths.min()),
        "tokens_max": int(pairs.token_lengths.max()),
        "tokens_mean": float(pairs.token_lengths.mean()),
    }


def _agreement(texts, unique, cold: dict, ceiling: dict, pipe: dict | None, sample: list[str]) -> dict:
    """Largest |P(positive)| difference of ours against the ceiling (unique texts) and the pipeline (its sample)."""
    ours_by_text = dict(zip(texts, cold["_scores"], strict=True))
    out = {
        "ceiling_n": len(unique),
        "ceiling_max_abs_diff": agreement(np.array([ours_by_text[t] for t in unique]), ceiling["_scores"]),
        "pipeline_n": len(sample),
    }
    if pipe:
        out["pipeline_max_abs_diff"] = agreement(np.array([ours_by_text[t] for t in sample]), pipe["_scores"])
    return out


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.report:
        print_report(json.loads(args.report.read_text()))
        return 0

    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # the model is a local folder; never reach for the Hub
    import torch

    started = time.perf_counter()
    busy: dict = {}  # step -> CPUs this process and the rest of the machine used while it ran
    folder, model_note = model_folder(args.model)
    runner = load_runner(folder, device=args.device, batch_size=args.batch_size)  # sizes torch's thread pool
    if args.threads:
        torch.set_num_threads(args.threads)
    pairs = make_pairs(args.pairs, runner.tokenizer, seed=args.seed)
    texts, unique = pairs.texts, pairs.unique_texts
    ceiling = Ceiling(folder, runner.device, args.batch_size, runner.favourable_index)

    warm_up = make_pairs(64, runner.tokenizer, seed=args.seed + 1000).texts
    ceiling.scores(warm_up)
    runner.score_texts(warm_up)

    results = {"meta": _meta(args, runner, folder, model_note, busy), "data": _data(args, pairs)}
    waits: dict = {}
    results["meta"]["quiet_waits"] = waits

    def settle(step: str) -> None:
        if args.quiet_wait:
            waited, others = wait_for_quiet(args.quiet_wait)
            entry = waits.setdefault(step, {"waited_s": 0.0, "times": 0})
            entry["waited_s"] += waited
            entry["times"] += 1
            entry["others_before"] = others

    print(f"model: {model_note}; {len(texts):,} texts, {len(unique):,} unique; measuring ...", flush=True)

    # (a), (c) and (b), alternated when repeated (order reversed every other round) so that all three see the same
    # machine; the fastest round of each is kept. (b) runs a seeded sample of all texts, duplicates included, as a
    # loop over rows meets them.
    loop, sample = None, []
    if args.pipeline_sample:
        loop = PerExample(folder, runner.device, runner.favourable_class)
        picks = np.random.default_rng(args.seed).choice(
            len(texts), min(args.pipeline_sample, len(texts)), replace=False
        )
        sample = [texts[i] for i in picks]
        loop.scores(sample[:5])  # warm-up
    rounds: dict[str, list[dict]] = {"ceiling": [], "ours cold": [], "pipeline": []}

    def run(path: str, repeat: int) -> None:
        if path == "pipeline" and loop is None:
            return
        if path == "ours cold":
            runner.cache = type(runner.cache)()  # fresh cache: every round starts cold
        settle(f"{path} {repeat}")
        step = f"{path} {repeat}"
        with contention(busy, step):
            if path == "ceiling":
                rounds[path].append(bench_ceiling(ceiling, unique))
            elif path == "ours cold":
                rounds[path].append(bench_ours(runner, texts, len(pairs.originals)))
            else:
                rounds[path].append(bench_pipeline(loop, sample))
        rounds[path][-1]["step"] = step
        rounds[path][-1]["others_cpus"] = busy[step]["other_cpus"]

    for repeat in range(1, max(args.repeats, 1) + 1):
        for path in list(rounds)[:: 1 if repeat % 2 else -1]:
            run(path, repeat)
    best = {}
    for path, blocks in rounds.items():
        if blocks:
            best[path] = min(blocks, key=lambda block: block["seconds"])
            best[path]["all_seconds"] = [block["seconds"] for block in blocks]
    best_ceiling, cold, pipe = best["ceiling"], best["ours cold"], best.get("pipeline")

    # (d) re-audit on the warm cache of the last cold run.
    with contention(busy, "ours warm"):
        warm = bench_ours(runner, texts, len(pairs.originals))

    # (e) probe end-to-end, fresh cache.
    probe = None
    if not args.no_probe:
        runner.cache = type(runner.cache)()
        settle("probe")
        with contention(busy, "probe"):
            probe = bench_probe(runner, pairs.originals, args.n_boot, args.seed)
        probe["others_cpus"] = busy["probe"]["other_cpus"]

    paired = None
    if args.paired:
        paired = bench_paired(
            ceiling, runner, loop, unique, args.paired, args.pipeline_sample, lambda: settle("paired block")
        )

    # (f) agreement.
    results["agreement"] = _agreement(texts, unique, cold, best_ceiling, pipe, sample)

    results.update(
        ceiling=_public(best_ceiling),
        pipeline=_public(pipe),
        cold=_public(cold),
        warm=_public(warm),
        probe=probe,
        paired=paired,
    )
    results["targets"] = summarise_targets(results)
    results["meta"]["peak_rss_bytes"] = peak_rss_bytes()
    results["meta"]["wall_s"] = time.perf_counter() - started
    print()
    print_report(results)
    write_results(results, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
