"""The optional global-explanation and explanation-quality stages of a run (issue 16 §2, §3), after attributions.

Both read a seeded sample of the audit's dataset (the same bounded read as the probes) and the registered model.
Transformers text classifiers get activation clusters and attention summaries, and the stability of integrated
gradients and word occlusion with their consistency; score-only text models get occlusion's stability; tabular
models get SHAP importance per group, partial dependence, and the stability and consistency of their SHAP values.
Each stage states its cost: seconds, examples, and seconds per 1,000 examples.
"""

import time

import numpy as np

from explainers.pipeline.spec import EngineInput

from .model_runner import spec_runner
from .probes import resolve_lexicon, sample_frame

# Rows explained with SHAP per attribute, and background rows: a model-agnostic (permutation) explainer costs about
# 10 x (2 x features + 1) x background model rows per explained row.
SHAP_ROWS, SHAP_BACKGROUND = 100, 20
LEXICON_NOTE = "Lexicon groups: a text holding terms of one group of the lexicon belongs to it; of several, (mixed)."


def _is_text(spec: EngineInput, runner) -> bool:
    if not spec.text_column:
        return False
    return getattr(runner, "text_column", None) == spec.text_column or list(runner.feature_columns or []) == [
        spec.text_column
    ]


def _frame(spec: EngineInput, runner, rows: int, seed: int):
    attributes = [a for a in spec.attributes if not a.intersectional]
    columns = list(dict.fromkeys([*runner.feature_columns, *(a.columns[0] for a in attributes)]))
    frame = sample_frame(spec, columns, {"sample_read_factor": 1, "max_rows": rows})
    if len(frame) > rows:
        frame = frame.sample(n=rows, random_state=seed).sort_index()
    return frame.reset_index(drop=True), attributes


def _lexicons(spec: EngineInput, options: dict) -> list:
    entries = spec.lexicons or [{"name": n, "source": "builtin"} for n in options["lexicons"]]
    return [resolve_lexicon(entry) for entry in entries]


def _per_1000(seconds: float, examples: int) -> float | None:
    return round(1000 * seconds / examples, 4) if examples else None


def run_global_explanations(spec: EngineInput, options: dict, progress=None) -> dict:
    """The report's global_explanations section (JSON-ready)."""
    started = time.perf_counter()
    runner = spec_runner(spec)
    frame, attributes = _frame(spec, runner, options["global_max_rows"], spec.seed)
    settings = {key: options[key] for key in ("global_max_rows", "global_layer", "attention_examples")}
    section = {"settings": settings, "text": None, "tabular": [], "notes": []}
    if progress:
        progress(0.0, "global explanations")
    if _is_text(spec, runner):
        if hasattr(runner, "model") and hasattr(runner, "tokenizer"):
            from explainers.global_.text import text_global  # loads torch and scikit-learn's clustering

            groups = {a.name: frame[a.columns[0]].astype("string").fillna("").tolist() for a in attributes}
            section["text"] = text_global(
                runner, frame[spec.text_column].tolist(), groups, lexicons=_lexicons(spec, options),
                layer=options["global_layer"], seed=spec.seed, alpha=spec.alpha,
                n_attention=options["attention_examples"],
            )  # fmt: skip
            section["notes"].append(LEXICON_NOTE)
        else:
            section["notes"].append(
                "Activation clusters and attention need a transformers model; this text model exposes only scores."
            )
    else:
        from explainers.global_.tabular import tabular_global  # loads shap

        for index, attribute in enumerate(attributes):
            section["tabular"].append(
                {
                    "attribute": attribute.name,
                    **tabular_global(
                        runner,
                        frame,
                        protected=attribute.columns[0],
                        max_rows=min(len(frame), SHAP_ROWS),
                        background_rows=SHAP_BACKGROUND,
                        seed=spec.seed,
                    ),
                }
            )
            if progress:
                progress((index + 1) / len(attributes), f"global explanations of {attribute.name}")
    seconds = time.perf_counter() - started
    section["cost"] = {
        "seconds": round(seconds, 4),
        "examples": len(frame),
        "seconds_per_1000": _per_1000(seconds, len(frame)),
    }
    return section


def run_explanation_quality(spec: EngineInput, options: dict, progress=None) -> dict:
    """The report's explanation_quality section (JSON-ready)."""
    started = time.perf_counter()
    runner = spec_runner(spec)
    n = options["quality_examples"]
    frame, _ = _frame(spec, runner, max(n, 50), spec.seed + 1)
    section = {"settings": {"quality_examples": n}, "text": None, "tabular": None}
    if progress:
        progress(0.0, "explanation quality")
    if _is_text(spec, runner):
        from explainers.attributions.quality_text import text_quality  # loads torch

        texts = [t for t in frame[spec.text_column].tolist() if isinstance(t, str) and t.strip()][:n]
        section["text"] = text_quality(runner, texts, text_column=spec.text_column)
        examples = section["text"]["cost"]["examples"]
    else:
        from explainers.attributions.quality_tabular import tabular_quality  # loads shap

        section["tabular"] = tabular_quality(runner, frame, max_rows=n, background_rows=SHAP_BACKGROUND, seed=spec.seed)
        examples = section["tabular"]["cost"]["rows"]
    seconds = time.perf_counter() - started
    section["cost"] = {
        "seconds": round(seconds, 4),
        "examples": examples,
        "seconds_per_1000": _per_1000(seconds, examples),
    }
    flags = []
    for entry in (section["text"] or {}).get("stability", []):
        if entry["stable"] is False:
            flags.append(entry["method"])
    if section["tabular"] and section["tabular"]["stability"]["stable"] is False:
        flags.append(section["tabular"]["stability"]["method"])
    section["unstable_methods"] = flags
    return section


def _json_ready(value):
    """Tuples to lists and numpy scalars to Python numbers, recursively (the report is canonical JSON)."""
    if isinstance(value, dict):
        return {str(k): _json_ready(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_ready(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, float) and not np.isfinite(value):
        return None
    return value


def run_stages(spec: EngineInput, options: dict, timings: dict, progress=None) -> tuple[dict | None, dict | None]:
    """Both stages as the plan asks (None for a stage not asked), their seconds recorded in ``timings``."""
    found, quality = None, None
    if options.get("global_explanations"):
        started = time.perf_counter()
        found = _json_ready(run_global_explanations(spec, options, progress))
        timings["global_explanations_seconds"] = round(time.perf_counter() - started, 4)
    if options.get("explanation_quality"):
        started = time.perf_counter()
        quality = _json_ready(run_explanation_quality(spec, options, progress))
        timings["explanation_quality_seconds"] = round(time.perf_counter() - started, 4)
    return found, quality
