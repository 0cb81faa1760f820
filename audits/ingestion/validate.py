"""Checks that a parsed table can be audited as declared; every error names the column and the fix."""

import difflib
from dataclasses import dataclass, field

import pandas as pd

from audits.constants import MAX_GROUPS_PER_ATTRIBUTE
from explainers.pipeline.columns import favourable_mask, group_labels, normalise_values

from .reader import IngestionError


@dataclass
class AuditColumns:
    decision_column: str = ""
    decision_favourable: list[str] = field(default_factory=list)
    outcome_column: str = ""
    outcome_favourable: list[str] = field(default_factory=list)
    # (column, declared reference group or "")
    protected: list[tuple[str, str]] = field(default_factory=list)
    text_column: str = ""
    score_column: str = ""
    # "continuous": the outcome column holds numbers (no favourable value); rank columns are checked when named.
    outcome_type: str = "binary"
    rank_column: str = ""
    rank_query_column: str = ""
    # Columns that estimate an attribute never recorded (surname, ZIP, first name for BISG / BIFSG).
    proxy_columns: list[str] = field(default_factory=list)


def _require_column(frame: pd.DataFrame, column: str, field_name: str) -> pd.Series:
    if column in frame.columns:
        return frame[column]
    close = difflib.get_close_matches(column, [str(c) for c in frame.columns], n=3, cutoff=0.5)
    hint = (
        f" Did you mean: {', '.join(close)}?" if close else f" Columns are: {', '.join(map(str, frame.columns[:30]))}."
    )
    raise IngestionError(f"Column '{column}' is not in the file.{hint}", field=field_name)


def _describe_values(series: pd.Series, limit: int = 8) -> str:
    values = series.dropna().astype(str).value_counts().index[:limit].tolist()
    return ", ".join(values) if values else "(no values)"


def _check_binary_column(frame, column, favourable, field_name, what) -> dict:
    series = _require_column(frame, column, field_name)
    values = normalise_values(favourable)
    if not values:
        raise IngestionError(f"Give the favourable value(s) of the {what} column '{column}'.", field=field_name)
    mask = favourable_mask(series, values)
    present = series.notna()
    n_fav = int(mask.sum())
    if n_fav == 0:
        raise IngestionError(
            f"The {what} column '{column}' has no row equal to the favourable value {values} "
            f"(values seen: {_describe_values(series)}). Check the favourable value.",
            field=field_name,
        )
    return {
        "column": column,
        "favourable": values,
        "favourable_rows": n_fav,
        "unfavourable_rows": int((present & ~mask).sum()),
        "missing_rows": int((~present).sum()),
    }


def _check_numeric_column(frame, column, field_name, what) -> dict:
    series = _require_column(frame, column, field_name)
    if not pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series) or series.notna().sum() == 0:
        raise IngestionError(
            f"The {what} column '{column}' must hold numbers for a continuous audit; values seen: "
            f"{_describe_values(series)}.",
            field=field_name,
        )
    return {
        "column": column,
        "type": "continuous",
        "min": float(series.min()),
        "max": float(series.max()),
        "missing_rows": int(series.isna().sum()),
    }


def validate_audit_columns(frame: pd.DataFrame, columns: AuditColumns) -> dict:
    """Validate the declared roles of columns; return a profile (counts only, no row values).

    Raises IngestionError naming the column at fault.
    """
    profile: dict = {"rows": int(len(frame)), "columns": {}, "protected": {}}
    if not (columns.decision_column or columns.outcome_column or columns.text_column or columns.score_column
            or columns.rank_column):  # fmt: skip
        # A text column alone is enough: a text classifier registered later makes the decisions.
        raise IngestionError(
            "Name the decision column (the model's decisions), an outcome column, a score or rank column, or the text "
            "column a model reads.",
            field="decision_column",
        )
    if columns.decision_column:
        profile["decision"] = _check_binary_column(
            frame, columns.decision_column, columns.decision_favourable, "decision_column", "decision"
        )
    if columns.outcome_column and columns.outcome_type == "continuous":
        profile["outcome"] = _check_numeric_column(frame, columns.outcome_column, "outcome_column", "outcome")
    elif columns.outcome_column:
        profile["outcome"] = _check_binary_column(
            frame, columns.outcome_column, columns.outcome_favourable, "outcome_column", "outcome"
        )
    for column in columns.proxy_columns:
        _require_column(frame, column, "proxy_columns")
    if not columns.protected and not columns.proxy_columns:
        raise IngestionError(
            "Name at least one protected column (for example race or sex), or the proxy columns (surname, ZIP) "
            "that estimate one.",
            field="protected",
        )
    for column, reference in columns.protected:
        series = _require_column(frame, column, "protected")
        labels = group_labels(series)
        counts = labels.value_counts(dropna=True)
        if counts.empty:
            raise IngestionError(f"Protected column '{column}' is empty: every row is missing.", field="protected")
        if len(counts) < 2:
            raise IngestionError(
                f"Protected column '{column}' has a single group ('{counts.index[0]}'): there is nothing to compare.",
                field="protected",
            )
        if len(counts) > MAX_GROUPS_PER_ATTRIBUTE:
            raise IngestionError(
                f"Protected column '{column}' has {len(counts)} distinct values, more than {MAX_GROUPS_PER_ATTRIBUTE}: "
                "it does not look like a group column. Bucket it first (e.g. age bands).",
                field="protected",
            )
        groups = sorted(str(g) for g in counts.index)
        if reference and reference not in groups:
            raise IngestionError(
                f"Reference group '{reference}' is not a value of '{column}'. Groups are: {', '.join(groups)}.",
                field="reference",
            )
        profile["protected"][column] = {
            "groups": groups,
            "group_sizes": {str(g): int(n) for g, n in counts.items()},
            "missing_rows": int(labels.isna().sum()),
            "reference_group": reference,
        }
    if columns.text_column:
        _require_column(frame, columns.text_column, "text_column")
    if columns.score_column:
        scores = _require_column(frame, columns.score_column, "score_column")
        if not pd.api.types.is_numeric_dtype(scores) or scores.notna().sum() == 0:
            raise IngestionError(
                f"Score column '{columns.score_column}' must hold numbers (e.g. the probability of the favourable "
                f"decision); values seen: {_describe_values(scores)}.",
                field="score_column",
            )
        profile["score"] = {
            "column": columns.score_column,
            "min": float(scores.min()),
            "max": float(scores.max()),
            "missing_rows": int(scores.isna().sum()),
        }
    if columns.rank_column:
        profile["rank"] = _check_numeric_column(frame, columns.rank_column, "rank_column", "rank")
        if profile["rank"]["min"] < 1:
            raise IngestionError(
                f"Rank column '{columns.rank_column}' must hold positions 1, 2, ... (1 = top); its smallest value is "
                f"{profile['rank']['min']:g}.",
                field="rank_column",
            )
    if columns.rank_query_column:
        _require_column(frame, columns.rank_query_column, "rank_query_column")
    for name in frame.columns:
        series = frame[name]
        profile["columns"][str(name)] = {"dtype": str(series.dtype), "missing": int(series.isna().sum())}
    return profile
