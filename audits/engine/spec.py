"""What the engine is asked to compute, in a JSON-ready form that travels inside Celery messages."""

from collections.abc import Callable
from dataclasses import asdict, dataclass, field

INTERSECTION_SEPARATOR = " × "


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

    @property
    def model_only(self) -> bool:
        """A plan without a dataset: only probes of the model on built-in benchmarks, no group metrics."""
        return not self.parquet_path

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "EngineInput":
        data = dict(data)
        data["attributes"] = [AttributeSpec(**a) for a in data["attributes"]]
        if data.get("score_range") is not None:
            data["score_range"] = tuple(data["score_range"])
        return cls(**data)

    def slices(self) -> list[str]:
        """Decision classes audited: "" is the declared favourable set, then each one-vs-rest class."""
        return ["", *self.decision_classes]


def count_chunks(spec: EngineInput, chunks: list[list[int]], progress: Callable[[float, str], None] | None = None):
    """Count chunks of row groups one after another in this process and merge them."""
    from .counting import count_row_groups

    merged = None
    for index, row_groups in enumerate(chunks):
        counts = count_row_groups(spec, row_groups)
        merged = counts if merged is None else merged.merge(counts)
        if progress:
            progress(0.6 * (index + 1) / len(chunks), "counting")
    return merged


def compute_group_metrics(spec: EngineInput, progress: Callable[[float, str], None] | None = None):
    """Count every row group in this process, then compute (the in-process path of the chord)."""
    from .counting import row_group_chunks
    from .finish import finish

    counts = count_chunks(spec, row_group_chunks(spec.parquet_path, chunk_row_groups=1), progress)
    return finish(spec, counts, progress=progress)
