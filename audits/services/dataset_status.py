"""The one rule about a dataset's ingestion status that plans, runs and model registration share."""

from audits.choices import IngestStatus
from audits.exceptions import ApplicationError
from audits.models import Dataset


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
