"""Counterfactual probes of a model, run after the group metrics (design.md section 5).

Dataset probes (tabular, text) read the audit's data; model probes (CrowS-Pairs, BBQ, WEAT, discrim-eval)
run on benchmarks that ship in installed packages and need no dataset.
"""

from dataclasses import asdict

import pandas as pd
import pyarrow.parquet as pq

from explainers.audit_settings import ProbeSettings
from explainers.lexicons import lexicon_from_dict, load_lexicon
from explainers.pipeline.spec import EngineInput
from explainers.probes.tabular import tabular_counterfactual_probe
from explainers.probes.text import text_counterfactual_probe

from .model_runner import spec_runner
from .probes_models import run_model_probes

DATASET_PROBES = ("tabular_counterfactual", "text_counterfactual")
MODEL_PROBES = ("crows_pairs", "bbq", "weat", "discrim_eval")
PROBES = DATASET_PROBES + MODEL_PROBES


def sample_frame(spec: EngineInput, columns: list[str], options: dict) -> pd.DataFrame:
    """Rows from the first row groups, enough for the probe's own seeded sample (bounded memory):
    sample_read_factor x max_rows of them (ProbeSettings)."""
    parquet = pq.ParquetFile(spec.parquet_path)
    pieces, rows = [], 0
    for index in range(parquet.metadata.num_row_groups):
        pieces.append(parquet.read_row_group(index, columns=columns).to_pandas())
        rows += len(pieces[-1])
        if rows >= options["sample_read_factor"] * options["max_rows"]:
            break
    return pd.concat(pieces, ignore_index=True) if pieces else pd.DataFrame(columns=columns)


def run_probes(spec: EngineInput, probes: list[str], settings: dict, progress=None, artifacts=None) -> list[dict]:
    """Run each requested probe; JSON-ready summaries for the report.

    With an ArtifactWriter, per-pair results are kept for the attribution stage and, when it has a folder,
    written as Parquet artifacts of the run and named in the summaries.
    """
    if not probes:
        return []
    options = ProbeSettings.from_dict(settings).to_dict()
    options["artifacts"] = artifacts
    runner = spec_runner(spec)
    summaries = []
    if any(p in DATASET_PROBES for p in probes):
        attributes = [a for a in spec.attributes if not a.intersectional]
        columns = list(dict.fromkeys([*runner.feature_columns, *(a.columns[0] for a in attributes)]))
        frame = sample_frame(spec, columns, options)
        if "tabular_counterfactual" in probes:
            summaries += _tabular(spec, runner, frame, attributes, options, progress)
        if "text_counterfactual" in probes:
            summaries += _text(spec, runner, frame, options, progress)
    if any(p in MODEL_PROBES for p in probes):
        summaries += run_model_probes(spec, runner, [p for p in probes if p in MODEL_PROBES], options, progress)
    return summaries


def _tabular(spec, runner, frame, attributes, options, progress) -> list[dict]:
    summaries = []
    writer = options["artifacts"]
    for index, attribute in enumerate(attributes):
        name = f"tabular_counterfactual-{attribute.name}"
        result = tabular_counterfactual_probe(
            runner,
            frame,
            column=attribute.columns[0],
            attribute=attribute.name,
            max_rows=options["max_rows"],
            n_boot=min(spec.n_boot, options["max_n_boot"]),
            seed=spec.seed,
            alpha=spec.alpha,
            threshold=options["threshold"],
            n_examples=options["n_examples"],
            include_examples=options["include_examples"],
            pairs_sink=writer.sink(name) if writer else None,
        )
        summaries.append(
            {"probe": "tabular_counterfactual", **asdict(result), "artifact": writer.record(name) if writer else None}
        )
        if progress:
            progress(0.9 + 0.05 * (index + 1) / len(attributes), f"counterfactual probe on {attribute.name}")
    return summaries


def resolve_lexicon(entry: dict):
    if entry.get("source") == "workspace":
        return lexicon_from_dict(entry["content"], origin=f"workspace lexicon {entry['name']}")
    return load_lexicon(entry["name"])


def _text(spec, runner, frame, options, progress) -> list[dict]:
    entries = spec.lexicons or [{"name": name, "source": "builtin"} for name in options["lexicons"]]
    summaries = []
    for index, entry in enumerate(entries):
        lexicon = resolve_lexicon(entry)
        name = f"text_counterfactual-{entry['name']}"
        writer = options["artifacts"]
        result = text_counterfactual_probe(
            runner,
            frame,
            column=spec.text_column,
            lexicon=lexicon,
            max_rows=min(options["max_rows"], options["max_text_rows"]),
            n_boot=min(spec.n_boot, options["max_n_boot"]),
            seed=spec.seed,
            alpha=spec.alpha,
            threshold=options["threshold"],
            n_examples=options["n_examples"],
            include_examples=options["include_examples"],
            pairs_sink=writer.sink(name) if writer else None,
        )
        summary = {"probe": "text_counterfactual", "attribute": f"lexicon:{entry['name']}", **asdict(result)}
        summary["artifact"] = writer.record(name) if writer else None
        summary["lexicon_source"] = {"origin": entry.get("source", "builtin"), "licence": lexicon.licence}
        summaries.append(summary)
        if progress:
            progress(0.95 + 0.04 * (index + 1) / len(entries), f"text probe with lexicon {entry['name']}")
    return summaries
