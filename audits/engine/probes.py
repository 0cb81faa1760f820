"""Counterfactual probes of a model, run after the group metrics (design.md section 5)."""

from dataclasses import asdict

import pandas as pd
import pyarrow.parquet as pq

from .spec import EngineInput

PROBES = ("tabular_counterfactual", "text_counterfactual")
DEFAULT_PROBE_SETTINGS = {
    "max_rows": 20_000,
    "threshold": 0.05,
    "n_examples": 5,
    "include_examples": True,
    "lexicons": ["gender"],
}


def _sample_frame(spec: EngineInput, columns: list[str], max_rows: int) -> pd.DataFrame:
    """Rows from the first row groups, enough for the probe's own seeded sample (bounded memory)."""
    parquet = pq.ParquetFile(spec.parquet_path)
    pieces, rows = [], 0
    for index in range(parquet.metadata.num_row_groups):
        pieces.append(parquet.read_row_group(index, columns=columns).to_pandas())
        rows += len(pieces[-1])
        if rows >= 5 * max_rows:
            break
    return pd.concat(pieces, ignore_index=True) if pieces else pd.DataFrame(columns=columns)


def run_probes(spec: EngineInput, probes: list[str], settings: dict, progress=None) -> list[dict]:
    """Run each requested probe; JSON-ready summaries for the report."""
    if not probes:
        return []
    from .model_runner import spec_runner

    options = {**DEFAULT_PROBE_SETTINGS, **(settings or {})}
    runner = spec_runner(spec)
    attributes = [a for a in spec.attributes if not a.intersectional]
    columns = list(dict.fromkeys([*runner.feature_columns, *(a.columns[0] for a in attributes)]))
    frame = _sample_frame(spec, columns, options["max_rows"])
    summaries = []
    if "tabular_counterfactual" in probes:
        summaries += _tabular(spec, runner, frame, attributes, options, progress)
    if "text_counterfactual" in probes:
        summaries += _text(spec, runner, frame, options, progress)
    return summaries


def _tabular(spec, runner, frame, attributes, options, progress) -> list[dict]:
    from explainers.probes.tabular import tabular_counterfactual_probe

    summaries = []
    for index, attribute in enumerate(attributes):
        result = tabular_counterfactual_probe(
            runner,
            frame,
            column=attribute.columns[0],
            attribute=attribute.name,
            max_rows=options["max_rows"],
            n_boot=min(spec.n_boot, 2000),
            seed=spec.seed,
            alpha=spec.alpha,
            threshold=options["threshold"],
            n_examples=options["n_examples"],
            include_examples=options["include_examples"],
        )
        summaries.append({"probe": "tabular_counterfactual", **asdict(result)})
        if progress:
            progress(0.9 + 0.05 * (index + 1) / len(attributes), f"counterfactual probe on {attribute.name}")
    return summaries


def _text(spec, runner, frame, options, progress) -> list[dict]:
    from explainers.lexicons import load_lexicon
    from explainers.probes.text import text_counterfactual_probe

    summaries = []
    for index, name in enumerate(options["lexicons"]):
        result = text_counterfactual_probe(
            runner,
            frame,
            column=spec.text_column,
            lexicon=load_lexicon(name),
            max_rows=min(options["max_rows"], 5000),
            n_boot=min(spec.n_boot, 2000),
            seed=spec.seed,
            alpha=spec.alpha,
            threshold=options["threshold"],
            n_examples=options["n_examples"],
            include_examples=options["include_examples"],
        )
        summaries.append({"probe": "text_counterfactual", "attribute": f"lexicon:{name}", **asdict(result)})
        if progress:
            progress(0.95 + 0.04 * (index + 1) / len(options["lexicons"]), f"text probe with lexicon {name}")
    return summaries
