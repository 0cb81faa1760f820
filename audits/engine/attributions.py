"""The attribution stage: explain the findings of the probes (design.md section 6), after the probes ran.

Text probes: the pairs that matter (flipped first, then the largest |delta|, up to the plan's budget) are
rebuilt from the same sample and lexicons; their scores come from the prediction cache the probe filled,
so only the attributions cost compute. Transformers classifiers get Integrated Gradients; models that
only expose scores (skops text pipelines, built-in classifiers) get word occlusion. Tabular probes get SHAP.
"""

from dataclasses import asdict

import numpy as np
import pandas as pd

from .spec import EngineInput

# A tabular finding is explained on TABULAR_ROWS_PER_BUDGET x budget sampled rows (SHAP aggregates per group).
TABULAR_ROWS_PER_BUDGET = 10


def _text_pairs(runner, frame, column: str, lexicon, max_rows: int, seed: int) -> list[dict]:
    from explainers.lexicons import counterfactuals

    texts = frame[column].dropna().astype(str)
    if len(texts) > max_rows:
        texts = texts.sample(n=max_rows, random_state=seed)
    originals, swapped, directions = [], [], []
    for source in lexicon.groups:
        for target in lexicon.groups:
            if source == target:
                continue
            for text in texts:
                counterfactual = counterfactuals(text, lexicon, source, target)
                if counterfactual is not None:
                    originals.append(text)
                    swapped.append(counterfactual)
                    directions.append((source, target))
    if not originals:
        return []
    decisions, scores = runner.predict(pd.DataFrame({column: originals + swapped}))
    n = len(originals)
    return [
        {
            "source_group": directions[i][0],
            "target_group": directions[i][1],
            "text": originals[i],
            "counterfactual": swapped[i],
            "score": float(scores[i]),
            "counterfactual_score": float(scores[n + i]),
            "decision": bool(decisions[i]),
            "counterfactual_decision": bool(decisions[n + i]),
        }
        for i in range(n)
    ]


def _explain_text(spec: EngineInput, runner, frame, lexicon, options: dict, progress) -> dict:
    from explainers.attributions import explain_text_pairs, occlusion_pairs, select_pairs

    pairs = _text_pairs(runner, frame, spec.text_column, lexicon, min(options["max_rows"], 5000), spec.seed)
    chosen = select_pairs(pairs, options["attribution_budget"])
    if hasattr(runner, "model") and hasattr(runner, "tokenizer"):
        result = explain_text_pairs(
            runner,
            chosen,
            lexicon=lexicon,
            tolerance=options["attribution_tolerance"],
            seed=spec.seed,
            progress=progress,
            n_render=3 if options["include_examples"] else 0,
        )
    else:

        def score_texts(texts):
            return np.asarray(runner.predict(pd.DataFrame({spec.text_column: list(texts)}))[1])

        result = occlusion_pairs(score_texts, chosen, lexicon=lexicon, seed=spec.seed)
    return asdict(result)


def run_attributions(spec: EngineInput, probe_summaries: list[dict], options: dict, progress=None) -> list[dict]:
    """JSON-ready attribution summaries, one per explained probe finding."""
    from .model_runner import spec_runner
    from .probes import _lexicon, _sample_frame

    wanted = [p for p in probe_summaries if p["probe"] in ("text_counterfactual", "tabular_counterfactual")]
    if not wanted:
        return []
    runner = spec_runner(spec)
    attributes = [a for a in spec.attributes if not a.intersectional]
    columns = list(dict.fromkeys([*runner.feature_columns, *(a.columns[0] for a in attributes)]))
    frame = _sample_frame(spec, columns, options["max_rows"])
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
            summary = _explain_text(spec, runner, frame, _lexicon(entry), options, step)
            out.append({"probe": "text_counterfactual", "attribute": probe["attribute"], **summary})
        else:
            from explainers.attributions.tabular import explain_tabular

            column = next(a.columns[0] for a in attributes if a.name == probe["attribute"])
            rows = min(options["max_rows"], TABULAR_ROWS_PER_BUDGET * budget)
            result = explain_tabular(runner, frame, protected=column, max_rows=rows, seed=spec.seed, progress=step)
            out.append({"probe": "tabular_counterfactual", "attribute": probe["attribute"], **asdict(result)})
    return out
