"""Scoring rates of an audited score column: the share of each group scoring above the sample's median.

NYC DCWP rules (6 RCNY § 5-300, § 5-301(c)): for a tool that scores, calculate the median score of the full
sample, then each category's scoring rate = the share of its individuals whose score is above that median. The
median needs every score, so it cannot come from the merged count tables or the binned histogram: two passes read
only the score, decision/outcome and protected columns, one row group at a time. The first keeps the scores
(8 bytes a row), the second counts, per group, the rows above the median; everything else stays bounded by a row
group. Rows are the audit's rows (a decision, an outcome when one is declared, and a score), as in counting.
"""

from collections import defaultdict

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from .counting import attribute_group_codes
from .spec import MISSING_AS_GROUP, MISSING_GROUP_LABEL, EngineInput

DEFINITION = (
    "scoring rate = share of the group's individuals whose score is above the median score of the full sample "
    "(every scored row, unknown categories included); 6 RCNY § 5-300 and § 5-301(c)"
)


def _columns(spec: EngineInput) -> list[str]:
    wanted = [spec.score_column, spec.outcome_column]
    if not spec.model_path:
        wanted.append(spec.decision_column)
    wanted += [c for a in spec.attributes for c in a.columns]
    return list(dict.fromkeys(c for c in wanted if c))


def _scores_and_keep(spec: EngineInput, frame) -> tuple[np.ndarray, np.ndarray]:
    """Raw scores and the rows the audit keeps (the same rule as counting.count_row_groups)."""
    scores = pd.to_numeric(frame[spec.score_column], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    keep = ~np.isnan(scores)
    if not spec.model_path and spec.decision_column:
        keep &= frame[spec.decision_column].notna().to_numpy()
    if spec.outcome_column:
        keep &= frame[spec.outcome_column].notna().to_numpy()
    return scores, keep


def score_rates(spec: EngineInput) -> dict | None:
    """Median of the audited score column and, per attribute and group, rows and rows scoring above the median.

    "Above" means more favourable: greater than the median when higher scores are favourable, smaller when lower
    ones are (the raw score, before any normalisation, so clipping cannot create ties). None when the plan has no
    score column. JSON-ready: {"definition", "score_column", "higher_is_favourable", "median", "rows",
    "by_attribute": {name: {"groups": [{"group", "n", "n_above_median"}], "unknown": rows without a category}}}.
    """
    if not spec.score_column or spec.model_only:
        return None
    parquet = pq.ParquetFile(spec.parquet_path)
    columns = _columns(spec)
    kept = []
    for index in range(parquet.metadata.num_row_groups):
        frame = parquet.read_row_group(index, columns=columns).to_pandas()
        scores, keep = _scores_and_keep(spec, frame)
        kept.append(scores[keep])
    all_scores = np.concatenate(kept) if kept else np.empty(0)
    if all_scores.size == 0:
        return None
    median, rows = float(np.median(all_scores)), int(all_scores.size)
    del kept, all_scores
    totals = {a.name: defaultdict(lambda: [0, 0]) for a in spec.attributes}
    unknown = dict.fromkeys(totals, 0)
    for index in range(parquet.metadata.num_row_groups):
        frame = parquet.read_row_group(index, columns=columns).to_pandas()
        scores, keep = _scores_and_keep(spec, frame)
        above = scores > median if spec.score_higher_is_favourable else scores < median
        cache: dict = {}
        for attribute in spec.attributes:
            codes, labels = attribute_group_codes(frame, attribute, cache)
            missing = keep & (codes < 0)
            if spec.missing_policy == MISSING_AS_GROUP:
                labels = [*labels, MISSING_GROUP_LABEL]
                codes = np.where(codes < 0, len(labels) - 1, codes)
            else:
                unknown[attribute.name] += int(missing.sum())
            counted = keep & (codes >= 0)
            n = np.bincount(codes[counted], minlength=len(labels))
            k = np.bincount(codes[counted & above], minlength=len(labels))
            for code, label in enumerate(labels):
                if n[code]:
                    totals[attribute.name][label][0] += int(n[code])
                    totals[attribute.name][label][1] += int(k[code])
    return {
        "definition": DEFINITION,
        "score_column": spec.score_column,
        "higher_is_favourable": spec.score_higher_is_favourable,
        "median": median,
        "rows": rows,
        "by_attribute": {
            name: {
                "groups": [{"group": g, "n": nk[0], "n_above_median": nk[1]} for g, nk in sorted(groups.items())],
                "unknown": unknown[name],
            }
            for name, groups in totals.items()
        },
    }
