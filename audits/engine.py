"""Turn a stored dataset into group-metric results: stream Parquet row groups, count, then compute.

Count first (design.md section 9): one pass over the rows builds a count table per attribute; the
tables of each batch merge by addition, so memory is bounded by the batch, not the file.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pyarrow.parquet as pq

from audits.choices import MissingPolicy
from audits.constants import MISSING_GROUP_LABEL
from audits.ingestion.columns import favourable_mask, group_labels
from explainers.metrics import AttributeResult, CountTable, MetricConfig, audit_attribute, count_table

BATCH_ROWS = 500_000


@dataclass
class AttributeSpec:
    name: str
    column: str
    reference_group: str = ""


@dataclass
class EngineInput:
    parquet_path: str
    decision_column: str
    decision_favourable: list[str]
    outcome_column: str
    outcome_favourable: list[str]
    attributes: list[AttributeSpec]
    missing_policy: str
    metrics: list[str]
    n_boot: int
    seed: int
    alpha: float
    min_group_size: int
    min_denominator: int
    bands: dict = field(default_factory=dict)


@dataclass
class EngineOutput:
    attributes: list[AttributeResult]
    rows_total: int
    rows_missing_decision_or_outcome: int
    rows_missing_attribute: dict[str, int]


def _batch_tables(batch, spec: EngineInput, missing_counts: dict[str, int]) -> tuple[dict[str, CountTable], int]:
    frame = batch.to_pandas()
    decision = frame[spec.decision_column]
    keep = decision.notna().to_numpy(copy=True)
    outcome_mask = None
    if spec.outcome_column:
        keep = keep & frame[spec.outcome_column].notna().to_numpy()
        outcome_mask = favourable_mask(frame[spec.outcome_column], spec.outcome_favourable)
    decision_mask = favourable_mask(decision, spec.decision_favourable)
    dropped = int((~keep).sum())
    tables = {}
    for attribute in spec.attributes:
        labels = group_labels(frame[attribute.column])
        missing = labels.isna().to_numpy()
        if spec.missing_policy == MissingPolicy.GROUP:
            labels = labels.fillna(MISSING_GROUP_LABEL)
            rows = keep
        else:
            missing_counts[attribute.name] += int((missing & keep).sum())
            rows = keep & ~missing
        tables[attribute.name] = count_table(
            labels.to_numpy(dtype=object)[rows],
            decision_mask[rows],
            None if outcome_mask is None else outcome_mask[rows],
        )
    return tables, dropped


def compute_group_metrics(spec: EngineInput, progress: Callable[[float, str], None] | None = None) -> EngineOutput:
    """Stream the Parquet file once, then compute every attribute's metrics with bootstrap intervals."""
    parquet = pq.ParquetFile(spec.parquet_path)
    columns = [spec.decision_column] + ([spec.outcome_column] if spec.outcome_column else [])
    columns += [a.column for a in spec.attributes if a.column not in columns]
    total_rows = parquet.metadata.num_rows
    merged: dict[str, CountTable] = {}
    missing_counts = {a.name: 0 for a in spec.attributes}
    dropped = seen = 0
    for batch in parquet.iter_batches(batch_size=BATCH_ROWS, columns=columns):
        tables, batch_dropped = _batch_tables(batch, spec, missing_counts)
        dropped += batch_dropped
        for name, table in tables.items():
            merged[name] = merged[name].merge(table) if name in merged else table
        seen += batch.num_rows
        if progress:
            progress(0.6 * seen / max(total_rows, 1), "counting")
    results = []
    for index, attribute in enumerate(spec.attributes):
        table = merged.get(attribute.name)
        if table is None or len(table.groups) == 0:
            raise ValueError(f"No rows left to audit for '{attribute.name}' after dropping missing values.")
        config = MetricConfig(
            reference_group=attribute.reference_group or None,
            metrics=tuple(spec.metrics),
            bands={k: tuple(v) for k, v in spec.bands.items()} or None,
            n_boot=spec.n_boot,
            seed=_attribute_seed(spec.seed, index),
            alpha=spec.alpha,
            min_group_size=spec.min_group_size,
            min_denominator=spec.min_denominator,
        )
        results.append(audit_attribute(table, attribute=attribute.name, config=config))
        if progress:
            progress(0.6 + 0.35 * (index + 1) / len(spec.attributes), f"metrics for {attribute.name}")
    return EngineOutput(
        attributes=results,
        rows_total=total_rows,
        rows_missing_decision_or_outcome=dropped,
        rows_missing_attribute=missing_counts,
    )


def _attribute_seed(seed: int, index: int) -> int:
    """One independent, reproducible stream per attribute, derived from the plan's seed."""
    return int(np.random.SeedSequence([seed, index]).generate_state(1)[0])
