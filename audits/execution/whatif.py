"""The what-if of one input, computed in a worker: the model loaded and checked as in audits, the variants and
attributions of explainers (design.md sections 5, 6).

What is cached (by model sha256 and input hash) holds numbers only; the words, rewritten texts and feature values
are put back from the request's own input when the result is shown (``assemble``), so the cache never holds what
a user typed.
"""

from dataclasses import asdict

import pandas as pd
import pyarrow.parquet as pq

from explainers.probes.whatif import tabular_what_if, text_variants, text_what_if, text_words

from .model_runner import model_runner
from .probes import resolve_lexicon

TEXT, TABULAR = "text", "tabular"
# Rows of the dataset read for the tabular what-if: the column dtypes, the group values and SHAP's background.
REFERENCE_ROWS = 5_000


def reference_frame(parquet_path: str, columns: list[str]) -> pd.DataFrame:
    """The first rows of a dataset (whole row groups, at least REFERENCE_ROWS when there are that many)."""
    parquet = pq.ParquetFile(parquet_path)
    pieces, rows = [], 0
    for index in range(parquet.metadata.num_row_groups):
        pieces.append(parquet.read_row_group(index, columns=columns).to_pandas())
        rows += len(pieces[-1])
        if rows >= REFERENCE_ROWS:
            break
    return pd.concat(pieces, ignore_index=True) if pieces else pd.DataFrame(columns=columns)


def typed_row(values: dict, reference: pd.DataFrame) -> pd.DataFrame:
    """One row with each value in the dtype of its column in ``reference`` (ValueError naming a bad value)."""
    row = {}
    for column, value in values.items():
        dtype = reference[column].dtype
        try:
            row[column] = pd.Series([value], dtype=object).astype(dtype)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"'{value}' is not a value of column '{column}' ({dtype})") from exc
        if row[column].isna().iloc[0] and value not in (None, ""):
            raise ValueError(f"'{value}' is not a value of column '{column}' ({dtype})")
    return pd.DataFrame(row)


def compute(job: dict) -> dict:
    """The what-if numbers of one prepared input (``audits.services.whatif.WhatIfRequest.job``).

    Raises ValueError (or the model's own errors) on an input the model cannot take.
    """
    # torch and shap load only when a what-if runs (never in the web process).
    from explainers.attributions.whatif import tabular_attribution, text_attribution

    runner = model_runner(job["kind"], job["path"], job["sha256"], job["favourable"], job["text_column"])
    data = job["input"]
    if data["kind"] == TEXT:
        lexicon = resolve_lexicon(job["lexicon"])
        result = text_what_if(runner, data["text"], column=job["text_column"], lexicon=lexicon)
        first = result.variants[0].text if result.variants else None
        attribution = text_attribution(
            runner, data["text"], column=job["text_column"], lexicon=lexicon, counterfactual=first
        )
        numbers = asdict(result)
        for variant in numbers["variants"]:
            variant.pop("text")
        explained = asdict(attribution)
        explained.pop("names")  # the words: put back from the input
        return {**numbers, "attribution": explained}
    column = data["attribute"]
    features = list(runner.feature_columns or data["values"])
    reference = reference_frame(job["parquet_path"], list(dict.fromkeys([*features, column])))
    row = typed_row(data["values"], reference)
    result = tabular_what_if(runner, row, column=column, original=reference[column], groups=job["groups"] or None)
    attribution = tabular_attribution(runner, row, reference, protected=column, seed=job["seed"])
    numbers = asdict(result)
    for variant in numbers["variants"]:
        variant.pop("text")
    return {**numbers, "attribution": asdict(attribution)}


def assemble(numbers: dict, data: dict, lexicon_entry: dict | None) -> dict:
    """The shown result: the cached numbers with the input's words, rewritten texts or feature values."""
    result = {**numbers, "variants": [dict(v) for v in numbers["variants"]]}
    result["attribution"] = dict(numbers["attribution"])
    if data["kind"] == TEXT:
        rewrites = {(s, t): new for s, t, new, _ in text_variants(data["text"], resolve_lexicon(lexicon_entry))}
        for variant in result["variants"]:
            variant["text"] = rewrites.get((variant["source_group"], variant["target_group"]))
        words = text_words(data["text"])
        result["attribution"]["names"] = list(words)
        result["attribution"]["values"] = None
    else:
        for variant in result["variants"]:
            variant["text"] = None
        names = result["attribution"]["names"]
        result["attribution"]["values"] = [data["values"].get(name) for name in names]
    return result
