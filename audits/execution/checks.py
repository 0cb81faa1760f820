"""User-stated checks of a plan, judged after the probes (explainers.metrics.checks): rate checks on the
attributes' count tables, swap checks on the model's scores of a seeded sample of the dataset's rows before and
after the swap (the same rows the probes read, design.md section 5)."""

from dataclasses import asdict

import numpy as np
import pandas as pd

from explainers.audit_settings import ProbeSettings
from explainers.lexicons import substitute
from explainers.metrics.checks import ParsedCheck, evaluate_rate_check, evaluate_swap_check
from explainers.pipeline.finish import EngineOutput
from explainers.pipeline.spec import EngineInput
from explainers.probes.counterfactual import group_values, stream_rng

from .model_runner import spec_runner
from .probes import sample_frame

CHECK_STREAM = 0x63686B  # "chk": each check's bootstrap and row sample stream, derived from the plan's seed
METHOD = (
    "Each check is reduced to a margin D >= 0 when it holds; pass when the whole percentile bootstrap interval of D "
    "(1 - alpha) is >= 0, fail when it is wholly < 0, inconclusive otherwise; rate checks bootstrap the attribute's "
    "count table, swap checks the paired deltas of a seeded row sample; p = Phi(D / bootstrap se) tests H0 'the "
    "check holds' against 'it is violated'"
)


def _seed(spec: EngineInput, index: int) -> int:
    return int(np.random.SeedSequence([spec.seed, CHECK_STREAM, index]).generate_state(1)[0])


def _sample(positions: np.ndarray, limit: int, seed: int) -> np.ndarray:
    if positions.size <= limit:
        return positions
    return np.sort(stream_rng(seed, 0).choice(positions, size=int(limit), replace=False))


def _text_deltas(spec, runner, check: ParsedCheck, options: dict, seed: int) -> np.ndarray:
    frame = sample_frame(spec, [spec.text_column], options)
    texts = frame[spec.text_column]
    mapping = {check.source: check.target}
    hits = np.flatnonzero([isinstance(t, str) and substitute(t, mapping)[1] > 0 for t in texts])
    rows = _sample(hits, min(options["max_rows"], options["max_text_rows"]), seed)
    if rows.size == 0:
        return np.empty(0)
    original = [texts.iloc[i] for i in rows]
    swapped = [substitute(t, mapping)[0] for t in original]
    _, scores = runner.predict(pd.DataFrame({spec.text_column: original + swapped}, dtype=object))
    return scores[rows.size :] - scores[: rows.size]


def _column_deltas(spec, runner, check: ParsedCheck, options: dict, seed: int) -> np.ndarray:
    column = check.attribute
    features = list(runner.feature_columns or [])
    frame = sample_frame(spec, list(dict.fromkeys([*features, column])), options)
    hits = np.flatnonzero((frame[column].astype(str) == check.source).to_numpy())
    rows = _sample(hits, options["max_rows"], seed)
    if rows.size == 0:
        return np.empty(0)
    original = frame.iloc[rows].reset_index(drop=True)
    swapped = original.copy()
    (value,) = group_values(frame[column], (check.target,))
    swapped[column] = pd.Series([value] * len(swapped), dtype=object).astype(frame[column].dtype)
    _, scores = runner.predict(pd.concat([original, swapped], ignore_index=True))
    return scores[rows.size :] - scores[: rows.size]


def run_checks(spec: EngineInput, checks: list[dict], output: EngineOutput, probe_settings: dict) -> list[dict]:
    """JSON-ready results of the plan's checks, in the plan's order."""
    options = ProbeSettings.from_dict(probe_settings or {}).to_dict()
    results = []
    runner = None
    for index, stored in enumerate(checks):
        check = ParsedCheck.from_dict(stored["parsed"])
        seed = _seed(spec, index)
        n_boot = spec.n_boot
        if check.kind == "rate":
            result = evaluate_rate_check(
                check, output.tables[check.left.attribute], n_boot=n_boot, seed=seed, alpha=spec.alpha,
                min_group_size=spec.min_group_size, min_denominator=spec.min_denominator,
            )  # fmt: skip
        else:
            runner = runner or spec_runner(spec)
            deltas = (_column_deltas if check.attribute else _text_deltas)(spec, runner, check, options, seed)
            n_boot = min(spec.n_boot, options["max_n_boot"])
            result = evaluate_swap_check(
                check, deltas, n_boot=n_boot, seed=seed, alpha=spec.alpha, min_rows=spec.min_denominator
            )
        results.append({"index": index, **asdict(result), "n_boot": n_boot, "seed": seed, "alpha": spec.alpha})
    return results
