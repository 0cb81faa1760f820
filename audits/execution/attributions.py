"""The attribution stage: explain the findings of the probes (design.md section 6), after the probes ran.

Text probes: the pairs that matter (flipped first, then the largest |delta|, up to the plan's budget) are
taken from the probe's own per-pair table (the same sample, scores and decisions), so only the attributions
cost compute. Transformers classifiers get Integrated Gradients; models that
only expose scores (skops text pipelines, built-in classifiers) get word occlusion, or SHAP's text explainer with
probe_settings.attribution_black_box = "shap". Tabular probes get SHAP.
"""

from dataclasses import asdict

import numpy as np
import pandas as pd

from explainers.pipeline.spec import EngineInput

from .model_runner import spec_runner
from .probes import resolve_lexicon, sample_frame


def _text_pairs(table) -> list[dict]:
    """The cross-group substitutions the text probe scored (its per-pair table; controls left out)."""
    if table is None:
        return []
    columns = ["source_group", "target_group", "text", "counterfactual", "score", "counterfactual_score"]
    columns += ["decision", "counterfactual_decision"]
    return table.loc[table["set"] == "pair", columns].to_dict("records")


def _explain_text(spec: EngineInput, runner, table, lexicon, options: dict, progress) -> dict:
    # explainers.attributions loads torch and shap: only when a run explains a finding
    from explainers.attributions import explain_text_pairs, occlusion_pairs, select_pairs, shap_text_pairs

    chosen = select_pairs(_text_pairs(table), options["attribution_budget"])
    # Rendered pairs show the texts: only when the plan keeps example pairs at all (design.md section 8).
    n_render = options["attribution_rendered_pairs"] if options["include_examples"] else 0
    if hasattr(runner, "model") and hasattr(runner, "tokenizer"):
        result = explain_text_pairs(
            runner,
            chosen,
            lexicon=lexicon,
            tolerance=options["attribution_tolerance"],
            seed=spec.seed,
            progress=progress,
            n_render=n_render,
        )
    else:

        def score_texts(texts):
            return np.asarray(runner.predict(pd.DataFrame({spec.text_column: list(texts)}))[1])

        method = shap_text_pairs if options.get("attribution_black_box") == "shap" else occlusion_pairs
        result = method(
            score_texts,
            chosen,
            lexicon=lexicon,
            seed=spec.seed,
            progress=progress,
            n_render=n_render,
        )
    return asdict(result)


def run_attributions(
    spec: EngineInput, probe_summaries: list[dict], options: dict, tables: dict, progress=None
) -> list[dict]:
    """JSON-ready attribution summaries, one per explained probe finding; `tables` are the probes' per-pair
    tables by artifact name (ArtifactWriter.frames)."""
    wanted = [p for p in probe_summaries if p["probe"] in ("text_counterfactual", "tabular_counterfactual")]
    if not wanted:
        return []
    runner = spec_runner(spec)
    attributes = [a for a in spec.attributes if not a.intersectional]
    frame = None
    if any(p["probe"] == "tabular_counterfactual" for p in wanted):
        columns = list(dict.fromkeys([*runner.feature_columns, *(a.columns[0] for a in attributes)]))
        frame = sample_frame(spec, columns, options)
    budget = options["attribution_budget"]
    out = []
    text_entries = iter(spec.lexicons or [{"name": n, "source": "builtin"} for n in options["lexicons"]])
    for index, probe in enumerate(wanted):
        step = None
        if progress:

            def step(fraction, stage, index=index):
                progress((index + max(0.0, min(1.0, fraction))) / len(wanted), f"attributions: {stage}")

        if probe["probe"] == "text_counterfactual":
            entry = next(text_entries)
            table = tables.get(f"text_counterfactual-{entry['name']}")
            summary = _explain_text(spec, runner, table, resolve_lexicon(entry), options, step)
            out.append({"probe": "text_counterfactual", "attribute": probe["attribute"], **summary})
        else:
            from explainers.attributions.tabular import explain_tabular  # loads shap and torch

            column = next(a.columns[0] for a in attributes if a.name == probe["attribute"])
            # SHAP aggregates per group: attribution_rows_per_pair x budget sampled rows explain a finding.
            rows = min(options["max_rows"], options["attribution_rows_per_pair"] * budget)
            result = explain_tabular(runner, frame, protected=column, max_rows=rows, seed=spec.seed, progress=step)
            out.append({"probe": "tabular_counterfactual", "attribute": probe["attribute"], **asdict(result)})
    return out
