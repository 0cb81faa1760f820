"""Plan options of continuous-score and ranking audits (explainers.pipeline.continuous), checked for a dataset."""

from audits.choices import ModelKind, OutcomeType
from audits.exceptions import ApplicationError
from audits.models import Dataset, ModelArtifact
from explainers.metrics.continuous import CONTINUOUS_METRICS
from explainers.metrics.ranking import DEFAULT_TOP_K, RANKING_METRICS

# Band ids a plan may set besides the count-table metrics of design.md section 4.
SCORE_AND_RANK_METRIC_IDS = (*CONTINUOUS_METRICS, *RANKING_METRICS)
TOP_K_RANGE = (1, 100_000)


def _dataset_outcome_type(dataset: Dataset) -> str:
    return (dataset.profile.get("outcome") or {}).get("type", OutcomeType.BINARY)


def _numeric(dataset: Dataset, column: str) -> bool:
    dtype = next((c["dtype"] for c in dataset.schema if c["name"] == column), "")
    return dtype.startswith(("int", "uint", "float", "Int", "UInt", "Float"))


def plan_score_rank_options(
    *,
    dataset: Dataset,
    model: ModelArtifact,
    outcome_type: str = "",
    rank_column: str = "",
    rank_query_column: str = "",
    top_k: int = DEFAULT_TOP_K,
) -> dict:
    """The plan's outcome_type, rank_column, rank_query_column and top_k, resolved and checked.

    An empty `outcome_type` takes the dataset's: continuous when its outcome column holds numbers, or when it has
    a score but no decisions; else binary. A rank column defaults to the one declared with the dataset.
    Raises ApplicationError naming the option at fault.
    """
    declared = _dataset_outcome_type(dataset)
    no_decisions = model.kind == ModelKind.DATASET_DECISIONS and not model.decision_column
    if not outcome_type:
        outcome_type = declared
        if no_decisions and dataset.score_column and not rank_column:
            outcome_type = OutcomeType.CONTINUOUS
    if outcome_type not in OutcomeType.values:
        raise ApplicationError(f"outcome_type must be one of {', '.join(OutcomeType.values)}.", field="outcome_type")
    if outcome_type == OutcomeType.CONTINUOUS and not dataset.score_column:
        raise ApplicationError(
            "A continuous audit needs the dataset's score column (declare it when uploading).", field="outcome_type"
        )
    if outcome_type == OutcomeType.BINARY and declared == OutcomeType.CONTINUOUS:
        raise ApplicationError(
            f"The outcome column '{dataset.outcome_column}' holds continuous values: use outcome_type continuous.",
            field="outcome_type",
        )
    rank_column = (rank_column or (dataset.profile.get("rank") or {}).get("column", "")).strip()
    rank_query_column = rank_query_column.strip()
    columns = {c["name"] for c in dataset.schema}
    for field, column in (("rank_column", rank_column), ("rank_query_column", rank_query_column)):
        if column and column not in columns:
            raise ApplicationError(f"Column '{column}' is not in dataset '{dataset.name}'.", field=field)
    if rank_column and not _numeric(dataset, rank_column):
        raise ApplicationError(
            f"Rank column '{rank_column}' must hold positions 1, 2, ... (1 = top).", field="rank_column"
        )
    if rank_query_column and not rank_column:
        raise ApplicationError("A query column needs the rank column it groups.", field="rank_query_column")
    low, high = TOP_K_RANGE
    if not isinstance(top_k, int) or isinstance(top_k, bool) or not low <= top_k <= high:
        raise ApplicationError(f"top_k must be a whole number between {low} and {high}.", field="top_k")
    if no_decisions and outcome_type != OutcomeType.CONTINUOUS and not rank_column:
        raise ApplicationError(
            "This model has no decisions: audit its scores (outcome_type continuous) or a rank column.",
            field="outcome_type",
        )
    return {
        "outcome_type": outcome_type,
        "rank_column": rank_column,
        "rank_query_column": rank_query_column,
        "top_k": top_k,
    }
