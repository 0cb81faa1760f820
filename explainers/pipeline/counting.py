"""Count one chunk of Parquet row groups: a pure function of (spec, row groups), JSON in and out."""

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from explainers.estimated.soft import SoftPatterns
from explainers.metrics import CountTable, count_table
from explainers.metrics.scores import ScoreHistogram, score_histogram

from .columns import favourable_mask, group_codes
from .estimation import count_estimated
from .spec import INTERSECTION_SEPARATOR, MISSING_AS_GROUP, MISSING_GROUP_LABEL, AttributeSpec, EngineInput

SCORE_BINS = 1000


class DecisionRunner(Protocol):
    """The model of a spec with a model_path, as the caller loaded it (e.g. explainers.runners.TabularRunner)."""

    feature_columns: Sequence[str]

    def predict(self, frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        """(favourable decision, P(favourable)) per row."""


def slice_key(attribute: str, decision_class: str) -> str:
    return f"{attribute}\x1f{decision_class}"


@dataclass
class ChunkCounts:
    """Everything the metrics need from a chunk of rows; merges by addition."""

    tables: dict[str, CountTable]
    histograms: dict[str, ScoreHistogram] = field(default_factory=dict)
    rows: int = 0
    dropped: int = 0
    missing: dict[str, int] = field(default_factory=dict)
    # A seeded row sample for the threshold what-if (fairlearn needs rows, not counts).
    sample: dict[str, list] = field(default_factory=dict)
    # Estimated attributes: probability patterns per slice key (explainers.estimated.soft), merged by addition.
    soft: dict[str, SoftPatterns] = field(default_factory=dict)

    def merge(self, other: "ChunkCounts") -> "ChunkCounts":
        tables = dict(self.tables)
        for key, table in other.tables.items():
            tables[key] = tables[key].merge(table) if key in tables else table
        histograms = dict(self.histograms)
        for key, hist in other.histograms.items():
            histograms[key] = histograms[key].merge(hist) if key in histograms else hist
        sample = {
            k: list(self.sample.get(k, [])) + list(other.sample.get(k, [])) for k in {*self.sample, *other.sample}
        }
        soft = dict(self.soft)
        for key, patterns in other.soft.items():
            soft[key] = soft[key].merge(patterns) if key in soft else patterns
        return ChunkCounts(
            tables=tables,
            histograms=histograms,
            rows=self.rows + other.rows,
            dropped=self.dropped + other.dropped,
            missing={k: self.missing.get(k, 0) + other.missing.get(k, 0) for k in {*self.missing, *other.missing}},
            sample=sample,
            soft=soft,
        )

    def to_dict(self) -> dict:
        return {
            "tables": {k: t.to_dict() for k, t in self.tables.items()},
            "histograms": {k: h.to_dict() for k, h in self.histograms.items()},
            "rows": self.rows,
            "dropped": self.dropped,
            "missing": self.missing,
            "sample": self.sample,
            "soft": {k: p.to_dict() for k, p in self.soft.items()},
        }

    @classmethod
    def from_dict(cls, data: dict) -> "ChunkCounts":
        return cls(
            tables={k: CountTable.from_dict(t) for k, t in data["tables"].items()},
            histograms={k: ScoreHistogram.from_dict(h) for k, h in data["histograms"].items()},
            rows=data["rows"],
            dropped=data["dropped"],
            missing=data["missing"],
            sample=data["sample"],
            soft={k: SoftPatterns.from_dict(p) for k, p in data.get("soft", {}).items()},
        )


def merge_chunks(chunks: list[ChunkCounts]) -> ChunkCounts:
    merged = chunks[0]
    for chunk in chunks[1:]:
        merged = merged.merge(chunk)
    return merged


def row_group_chunks(parquet_path: str, *, chunk_row_groups: int = 1) -> list[list[int]]:
    """Row-group indices split into chunks of `chunk_row_groups` (at least one chunk, even when empty)."""
    count = pq.ParquetFile(parquet_path).metadata.num_row_groups
    chunks = [list(range(i, min(i + chunk_row_groups, count))) for i in range(0, count, chunk_row_groups)]
    return chunks or [[]]


def attribute_group_codes(frame: pd.DataFrame, attribute: AttributeSpec, cache: dict) -> tuple[np.ndarray, list[str]]:
    """Codes (-1 = missing in any column) and labels; intersections combine the codes, not the strings.

    `cache` keeps each column's codes for the chunk: a column is factorized once, however many
    attributes and intersections use it.
    """

    def column_codes(column: str) -> tuple[np.ndarray, list[str]]:
        if column not in cache:
            cache[column] = group_codes(frame[column])
        return cache[column]

    codes, labels = column_codes(attribute.columns[0])
    for column in attribute.columns[1:]:
        more_codes, more_labels = column_codes(column)
        width = len(more_labels)
        combined = np.where((codes < 0) | (more_codes < 0), -1, codes * width + more_codes)
        # Keep only combinations that occur, renumbered in O(N) (no sort over the rows).
        present = np.flatnonzero(np.bincount(combined[combined >= 0], minlength=len(labels) * width))
        renumber = np.full(len(labels) * width + 1, -1, dtype=np.int64)
        renumber[present] = np.arange(len(present))
        codes = renumber[combined]  # combined == -1 reads the last slot, which stays -1
        labels = [f"{labels[c // width]}{INTERSECTION_SEPARATOR}{more_labels[c % width]}" for c in present]
    return codes, labels


def score_normalisation(spec: EngineInput) -> str:
    """How raw scores map onto [0, 1] with 1 the most favourable (recorded in the report)."""
    lo, hi = spec.score_range or (0.0, 1.0)
    if spec.score_higher_is_favourable and 0.0 <= lo and hi <= 1.0:
        return "none (scores already lie in [0, 1], higher is favourable)"
    if spec.score_higher_is_favourable:
        return f"(score - {lo:g}) / ({hi:g} - {lo:g})"
    return f"({hi:g} - score) / ({hi:g} - {lo:g}) (lower raw scores are favourable)"


def normalised_scores(spec: EngineInput, column: pd.Series) -> np.ndarray:
    scores = pd.to_numeric(column, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    lo, hi = spec.score_range or (0.0, 1.0)
    if spec.score_higher_is_favourable and 0.0 <= lo and hi <= 1.0:
        return scores
    span = (hi - lo) or 1.0
    scaled = (scores - lo) / span if spec.score_higher_is_favourable else (hi - scores) / span
    return np.clip(scaled, 0.0, 1.0)


def _columns(spec: EngineInput, runner: DecisionRunner | None) -> list[str]:
    wanted = [spec.outcome_column, spec.score_column]
    if runner is not None:
        wanted += list(runner.feature_columns)
    else:
        wanted.append(spec.decision_column)
    wanted += [c for a in spec.attributes for c in a.columns]
    wanted += [c for a in spec.estimated for c in a.columns]
    return list(dict.fromkeys(c for c in wanted if c))


def _decisions(
    spec: EngineInput, frame: pd.DataFrame, runner: DecisionRunner | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """(favourable decision, rows with a decision, model scores or None) for the chunk."""
    if runner is not None:
        decisions, scores = runner.predict(frame)
        return decisions.astype(bool), np.ones(len(frame), dtype=bool), scores
    decision = frame[spec.decision_column]
    return favourable_mask(decision, spec.decision_favourable), decision.notna().to_numpy(copy=True), None


def count_row_groups(spec: EngineInput, row_groups: list[int], *, runner: DecisionRunner | None = None) -> ChunkCounts:
    """Read `row_groups` of the dataset and count them. Pure: the same input gives the same counts.

    A spec with a model_path needs `runner`, the loaded model that makes the decisions (the caller loads it
    and checks it is the registered one); otherwise the decisions are read from spec.decision_column.
    """
    if spec.model_path and runner is None:
        raise ValueError("This audit's decisions come from a model: pass its loaded runner to count the rows.")
    runner = runner if spec.model_path else None
    parquet = pq.ParquetFile(spec.parquet_path)
    frame = parquet.read_row_groups(row_groups, columns=_columns(spec, runner)).to_pandas() if row_groups else None
    if frame is None or frame.empty:
        return ChunkCounts(tables={}, missing={a.name: 0 for a in [*spec.attributes, *spec.estimated]})
    yhat_main, keep, model_scores = _decisions(spec, frame, runner)
    outcome = frame[spec.outcome_column] if spec.outcome_column else None
    if outcome is not None:
        keep &= outcome.notna().to_numpy()
    scores = None
    if spec.score_column:
        scores = normalised_scores(spec, frame[spec.score_column])
        keep &= ~np.isnan(scores)
    elif model_scores is not None:
        scores = model_scores  # the model's P(favourable) is already a [0, 1] score
    masks = {"": (yhat_main, None if outcome is None else favourable_mask(outcome, spec.outcome_favourable))}
    for cls in spec.decision_classes:
        y = favourable_mask(outcome, [cls]) if outcome is not None and cls in spec.outcome_classes else None
        masks[cls] = (favourable_mask(frame[spec.decision_column], [cls]), y)
    counts = ChunkCounts(tables={}, rows=len(frame), dropped=int((~keep).sum()))
    labels_by_attribute = {}
    column_cache: dict = {}
    for attribute in spec.attributes:
        codes, labels = attribute_group_codes(frame, attribute, column_cache)
        missing = codes < 0
        if spec.missing_policy == MISSING_AS_GROUP:
            codes = np.where(missing, len(labels), codes)
            labels, rows = [*labels, MISSING_GROUP_LABEL], keep
            counts.missing[attribute.name] = 0
        else:
            rows = keep & ~missing
            counts.missing[attribute.name] = int((keep & missing).sum())
        # A categorical over the codes: count_table factorizes it without touching a string per row.
        group_array = pd.Categorical.from_codes(np.where(rows, codes, 0) if labels else codes, categories=labels)
        labels_by_attribute[attribute.name] = (group_array, rows)
        for cls, (yhat, y) in masks.items():
            counts.tables[slice_key(attribute.name, cls)] = count_table(
                group_array[rows], yhat[rows], None if y is None else y[rows]
            )
        if scores is not None and masks[""][1] is not None:
            counts.histograms[attribute.name] = score_histogram(
                group_array[rows], scores[rows], masks[""][1][rows], n_bins=SCORE_BINS
            )
    estimates: dict = {}
    for estimated in spec.estimated:
        counts.missing[estimated.name] = 0  # missing proxies fall back to priors: no row is left out
        for cls, (yhat, y) in masks.items():
            counts.soft[slice_key(estimated.name, cls)] = count_estimated(estimated, frame, keep, yhat, y, estimates)
    if scores is not None and masks[""][1] is not None:
        total = parquet.metadata.num_rows
        counts.sample = _whatif_sample(spec, row_groups, total, keep, scores, masks[""][1], labels_by_attribute)
    return counts


def _whatif_sample(spec, row_groups, total, keep, scores, outcome, labels_by_attribute) -> dict[str, list]:
    """A seeded Bernoulli sample of rows (about whatif_max_rows in all) for the threshold what-if."""
    rate = min(1.0, spec.whatif_max_rows / max(total, 1))
    rng = np.random.default_rng([spec.seed, *row_groups])
    chosen = keep & (rng.random(len(keep)) < rate)
    for _, rows in labels_by_attribute.values():
        chosen &= rows  # rows usable for every attribute, so one sample serves them all
    sample = {"score": scores[chosen].tolist(), "outcome": outcome[chosen].astype(bool).tolist()}
    for name, (groups, _) in labels_by_attribute.items():
        sample[f"group:{name}"] = [str(g) for g in np.asarray(groups[chosen], dtype=object)]
    return sample
