"""What the engine is asked to compute, in a JSON-ready form that travels inside Celery messages."""

from dataclasses import asdict, dataclass, field

INTERSECTION_SEPARATOR = " × "

# Values of EngineInput.missing_policy (the app's MissingPolicy choices use the same strings).
MISSING_DROP_ROWS = "drop_rows"  # rows with a missing audited value are left out, and counted
MISSING_AS_GROUP = "as_group"  # a missing protected value becomes its own group, MISSING_GROUP_LABEL
MISSING_GROUP_LABEL = "(missing)"

# Values of EngineInput.outcome_type (the app's OutcomeType choices use the same strings).
OUTCOME_BINARY = "binary"
OUTCOME_CONTINUOUS = "continuous"


@dataclass
class AttributeSpec:
    """One audited attribute: a single protected column, or several (their intersection)."""

    name: str
    columns: list[str]
    reference_group: str = ""

    @property
    def intersectional(self) -> bool:
        return len(self.columns) > 1


@dataclass
class EstimatedSpec:
    """An attribute that was never recorded, estimated from proxies (BISG / BIFSG, explainers.estimated).

    Its groups are the estimate's (RACE_LABELS); rows with missing proxies fall back to priors, never drop.
    """

    name: str
    estimate: str  # "race": the only estimate there is
    surname_column: str
    zip_column: str = ""
    first_name_column: str = ""
    reference_group: str = ""

    @property
    def columns(self) -> list[str]:
        return [c for c in (self.surname_column, self.zip_column, self.first_name_column) if c]


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
    # The error rate verdicts hold at over the audit (explainers.metrics.family); messages of older plans lack it.
    verdict_error_control: str = "familywise"
    # One-vs-rest classes of a multiclass decision (empty: binary audit only). A class is used as the
    # favourable outcome too when the outcome column holds the same labels (outcome_classes).
    decision_classes: list[str] = field(default_factory=list)
    outcome_classes: list[str] = field(default_factory=list)
    score_column: str = ""
    score_higher_is_favourable: bool = True
    score_range: tuple[float, float] | None = None
    whatif_max_rows: int = 50_000
    # A model that makes the decisions (skops pipeline): decision_column is then unused.
    model_path: str = ""
    model_sha256: str = ""
    model_favourable: str = ""
    model_kind: str = ""
    text_column: str = ""
    # Lexicons of the text probe, resolved by the service: {"name", "source": builtin|workspace, "content"?}.
    lexicons: list[dict] = field(default_factory=list)
    # Continuous scores and outcomes, rankings (explainers.pipeline.continuous). outcome_type "continuous" audits
    # score_column as a continuous score, against continuous_outcome_column when one is given (outcome_column is
    # then empty: the binary metrics have no labels). A plan without a decision column audits only these.
    outcome_type: str = OUTCOME_BINARY
    continuous_outcome_column: str = ""
    rank_column: str = ""
    rank_query_column: str = ""
    top_k: int = 10
    # Attributes estimated from proxies (audited on probability-weighted count tables), beside `attributes`.
    estimated: list[EstimatedSpec] = field(default_factory=list)

    @property
    def model_only(self) -> bool:
        """A plan without a dataset: only probes of the model on built-in benchmarks, no group metrics."""
        return not self.parquet_path

    @property
    def without_decisions(self) -> bool:
        """A dataset plan with no binary decision (scores or ranks only): the count-table metrics are not
        computable; the continuous and ranking sections are the audit."""
        return bool(self.parquet_path) and not self.decision_column and not self.model_path

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "EngineInput":
        data = dict(data)
        data["attributes"] = [AttributeSpec(**a) for a in data["attributes"]]
        data["estimated"] = [EstimatedSpec(**a) for a in data.get("estimated", [])]
        if data.get("score_range") is not None:
            data["score_range"] = tuple(data["score_range"])
        return cls(**data)

    def slices(self) -> list[str]:
        """Decision classes audited: "" is the declared favourable set, then each one-vs-rest class."""
        return ["", *self.decision_classes]
