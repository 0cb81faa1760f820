"""The worker's half of a deferred model registration (issue 14): load and smoke-test a `validating` upload.

register_folder records an uploaded transformers folder above AUDIT_INGEST_INLINE_MAX_BYTES as `validating` once its
content checks pass (no pickle, safetensors headers, weights that fit the config), so the web request never loads
it. model_register_complete, run by model_register_complete_task, loads it in a child process capped at
AUDIT_MODEL_LOAD_MAX_ADDRESS_BYTES and predicts a little: the record becomes `ready` (labels, smoke result, event
model.registered, re-audits) or `refused` (the reason on the record, the folder removed, event model.refused).
"""

import logging
from datetime import timedelta
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from audits.choices import EventAction, IngestStatus
from audits.exceptions import ApplicationError
from audits.ingestion.model_folders import remove_tree
from audits.models import Dataset, ModelArtifact

from ..events import event_record
from ._folders import _load_and_smoke, model_registered_record

logger = logging.getLogger(__name__)


def model_register_complete(*, model_id: int) -> ModelArtifact | None:
    """Load and smoke-test deferred model `model_id`; None when it is no longer `validating` (a redelivered
    message does nothing twice). Side effects: see the module. A model that fails is refused, not raised."""
    model = ModelArtifact.objects.select_related("workspace", "created_by").filter(pk=model_id).first()
    if model is None or model.status != IngestStatus.VALIDATING:
        return None
    request = model.ingest_request or {}
    dataset = Dataset.objects.filter(pk=request.get("dataset")).first() if request.get("dataset") else None
    try:
        labels, smoke, _ = _load_and_smoke(
            model.kind, Path(model.path), model.sha256, request.get("favourable", ""),
            request.get("text_column", "text"), dataset,
        )  # fmt: skip
    except ApplicationError as exc:
        return _refuse(model.pk, exc.message)
    with transaction.atomic():
        locked = ModelArtifact.objects.select_for_update(no_key=True).select_related("workspace").get(pk=model.pk)
        if locked.status != IngestStatus.VALIDATING:
            return None
        config = dict(locked.config)
        config.update(labels=list(labels or config.get("labels") or []), smoke=smoke)
        locked.config, locked.status, locked.ingest_request = config, IngestStatus.READY, {}
        locked.save(update_fields=["config", "status", "ingest_request"])
        model_registered_record(model=locked, actor=model.created_by, request_id=request.get("request_id", ""))
    logger.info("model %s tested by the worker: ready", locked.pk)
    return locked


@transaction.atomic
def _refuse(model_id: int, reason: str) -> ModelArtifact | None:
    model = ModelArtifact.objects.select_for_update(no_key=True).select_related("workspace").get(pk=model_id)
    if model.status != IngestStatus.VALIDATING:
        return None
    request_id = (model.ingest_request or {}).get("request_id", "")
    folder = model.path
    model.status, model.status_reason, model.path, model.ingest_request = IngestStatus.REFUSED, reason, "", {}
    model.save(update_fields=["status", "status_reason", "path", "ingest_request"])
    event_record(
        action=EventAction.MODEL_REFUSED,
        obj=model,
        actor=model.created_by,
        workspace=model.workspace,
        request_id=request_id,
        after={"name": model.name, "version": model.version, "sha256": model.sha256, "reason": reason},
    )
    if folder and not ModelArtifact.objects.filter(path=folder).exists():  # the same folder may back another record
        transaction.on_commit(lambda: remove_tree(Path(folder)))
    logger.info("model %s refused by the worker", model.pk)
    return model


def model_register_sweep(*, older_than: timedelta) -> list[int]:
    """Ids of models `validating` for longer than `older_than` (their message was lost), for the sweeper to resend."""
    cutoff = timezone.now() - older_than
    return list(
        ModelArtifact.objects.filter(status=IngestStatus.VALIDATING, created_at__lt=cutoff).values_list("pk", flat=True)
    )
