"""The rules about an upload's ingestion status that plans, runs and model registration share."""

from audits.choices import IngestStatus
from audits.exceptions import ApplicationError
from audits.models import Dataset, ModelArtifact


def dataset_require_ready(dataset: Dataset, field: str = "dataset") -> None:
    """ApplicationError (400) unless `dataset` has been validated (a large upload is checked by a worker first)."""
    if dataset.status == IngestStatus.VALIDATING:
        raise ApplicationError(
            f"Dataset '{dataset.name}' v{dataset.version} is still being validated; audit it once it is ready.",
            field=field,
        )
    if dataset.status != IngestStatus.READY:
        raise ApplicationError(
            f"Dataset '{dataset.name}' v{dataset.version} was refused ({dataset.status_reason}); it cannot be audited.",
            field=field,
        )


def model_require_ready(model: ModelArtifact, field: str = "model") -> None:
    """ApplicationError (400) unless `model` has passed its smoke test (a large upload is tested by a worker)."""
    if model.status == IngestStatus.VALIDATING:
        raise ApplicationError(
            f"Model '{model.name}' v{model.version} is still being loaded and tested; audit it once it is ready.",
            field=field,
        )
    if model.status != IngestStatus.READY:
        raise ApplicationError(
            f"Model '{model.name}' v{model.version} was refused ({model.status_reason}); it cannot be audited.",
            field=field,
        )
