"""The report's continuous-score and ranking sections (optional: present only when the plan asks for them), the
plan options that shaped them, and which count-table metrics are not computable without a binary decision."""

from explainers.metrics import METRIC_DEFINITIONS
from explainers.pipeline.finish import EngineOutput
from explainers.pipeline.spec import OUTCOME_CONTINUOUS, EngineInput

NO_DECISION_REASON = (
    "This audit has no binary decision (continuous scores or ranks only): the disparate impact, parity "
    "and error-rate metrics all need a favourable decision, so none is computed."
)
CONTINUOUS_OUTCOME_REASON = (
    "The outcome is continuous: metrics that need a favourable outcome (true and false positive rates, predictive "
    "values) are not computable; the group errors of the continuous section take their place."
)


def score_rank_sections(*, plan, spec: EngineInput, output: EngineOutput, document: dict) -> dict:
    """Keys to add to the report document: `continuous`, `ranking`, `not_computable` when they apply. Also records
    outcome_type and the rank options in document["plan"] (a dataset plan's options, always)."""
    if spec.model_only:
        return {}
    document["plan"].update(
        {
            "outcome_type": plan.outcome_type,
            "rank_column": plan.rank_column,
            "rank_query_column": plan.rank_query_column,
            "top_k": plan.top_k,
        }
    )
    sections = {}
    if output.continuous is not None:
        sections["continuous"] = output.continuous
    if output.ranking is not None:
        sections["ranking"] = output.ranking
    if spec.without_decisions:
        sections["not_computable"] = {"metrics": list(plan.metrics), "reason": NO_DECISION_REASON}
    elif spec.outcome_type == OUTCOME_CONTINUOUS:
        needing = [m for m in plan.metrics if METRIC_DEFINITIONS[m].requires_outcome]
        sections["not_computable"] = {"metrics": needing, "reason": CONTINUOUS_OUTCOME_REASON}
    return sections
