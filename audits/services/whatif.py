"""What-if playground of a registered model: one input's score, decision, attributions and counterfactual variants.

The computation runs on the worker queue (audits.tasks.what_if_compute_task, short time limits) and its numbers are
cached by (model sha256, input hash) in the predictions cache. A request waits briefly for them; the page polls, the
API answers 202 until they are there. A what-if stores nothing of its input but hashes (its trail event); the input
and result are kept only when a user saves them as evidence on a report (WhatIfEvidence).
"""

import logging
import time
from dataclasses import dataclass, field

from django.conf import settings
from django.core.cache import caches
from django.db import transaction

from audits.canonical import canonical_dumps, sha256_hex
from audits.choices import GPU_MODEL_KINDS, EventAction, ModelKind
from audits.constants import WHATIF_CACHE_SECONDS, WHATIF_MAX_TEXT, WHATIF_TIME_LIMIT, WHATIF_WAIT_SECONDS
from audits.exceptions import ApplicationError
from audits.execution.whatif import TABULAR, TEXT, assemble, compute, reference_frame
from audits.models import AuditReport, Dataset, ModelArtifact, WhatIfEvidence

from .events import event_record
from .lexicons import lexicon_resolve
from .workspaces import ROW_LEVEL_ROLES, workspace_require_role

logger = logging.getLogger(__name__)

CACHE_ALIAS = "predictions"
DEFAULT_LEXICON = "gender"


def what_if_kind(model: ModelArtifact) -> str | None:
    """ "text" or "tabular" for a model the playground can run, None otherwise."""
    if model.kind in (ModelKind.HF_CLASSIFIER, ModelKind.BUILTIN_TEXT):
        return TEXT
    if model.kind == ModelKind.SKOPS_PIPELINE:
        return TEXT if (model.config or {}).get("text_column") else TABULAR
    return None


@dataclass(frozen=True)
class WhatIfRequest:
    """One checked what-if input of a model; ``input_sha256`` names it in the cache and the trail."""

    model: ModelArtifact
    data: dict
    lexicon: dict | None = None
    dataset: Dataset | None = None
    groups: list = field(default_factory=list)

    @property
    def input_sha256(self) -> str:
        lexicon = {k: v for k, v in (self.lexicon or {}).items() if k != "content"}
        dataset = self.dataset.sha256 if self.dataset else None
        return sha256_hex(canonical_dumps({"input": self.data, "lexicon": lexicon, "dataset": dataset}))

    @property
    def cache_key(self) -> str:
        return f"whatif:{self.model.sha256[:40]}:{self.input_sha256}"

    def job(self) -> dict:
        model = self.model
        path = model.file.path if model.kind == ModelKind.SKOPS_PIPELINE else model.path
        return {
            "kind": model.kind,
            "path": path,
            "sha256": model.sha256,
            "favourable": model.decision_favourable[0] if model.decision_favourable else "",
            "text_column": (model.config or {}).get("text_column") or "text",
            "input": self.data,
            "lexicon": self.lexicon,
            "parquet_path": self.dataset.file.path if self.dataset else "",
            "groups": list(self.groups),
            "seed": 0,
            "cache_key": self.cache_key,
        }


def _dataset_for(model: ModelArtifact, dataset: Dataset | None) -> Dataset:
    features = (model.config or {}).get("feature_columns") or []
    if dataset is None:
        smoke = (model.config or {}).get("smoke_dataset")
        candidates = Dataset.objects.filter(workspace=model.workspace).order_by("-created_at")
        dataset = candidates.filter(pk=smoke).first() if smoke else None
        dataset = dataset or next((d for d in candidates if _has(d, features)), None)
        if dataset is None:
            raise ApplicationError("No dataset of this workspace holds the model's columns.", field="dataset")
    if dataset.workspace_id != model.workspace_id:
        raise ApplicationError("The dataset belongs to another workspace than the model.", field="dataset")
    if not _has(dataset, features):
        raise ApplicationError(f"Dataset '{dataset.name}' lacks columns the model reads.", field="dataset")
    return dataset


def _has(dataset: Dataset, columns: list[str]) -> bool:
    names = {c["name"] for c in dataset.schema}
    return all(c in names for c in columns)


def what_if_dataset_row(*, dataset: Dataset, columns: list[str], row: int) -> dict:
    """The values of `columns` in row `row` of `dataset` (the page fills its form with them). Reads only."""
    present = {c["name"] for c in dataset.schema}
    return _dataset_row(dataset, [c for c in columns if c in present], row)


def _dataset_row(dataset: Dataset, columns: list[str], row: int) -> dict:
    if not 0 <= int(row) < dataset.n_rows:
        raise ApplicationError(
            f"Row {row} is not a row of dataset '{dataset.name}' (0..{dataset.n_rows - 1}).", field="row"
        )
    frame = reference_frame(dataset.file.path, columns)
    if int(row) >= len(frame):
        raise ApplicationError(f"Pick one of the first {len(frame)} rows.", field="row")
    values = frame.iloc[int(row)].to_dict()
    return {k: (v.item() if hasattr(v, "item") else v) for k, v in values.items()}


def what_if_prepare(
    *,
    user,
    model: ModelArtifact,
    text: str = "",
    lexicon: str = "",
    dataset: Dataset | None = None,
    row: int | None = None,
    values: dict | None = None,
    attribute: str = "",
) -> WhatIfRequest:
    """Check one what-if input: a text (or a dataset row's text) with a lexicon, or a tabular row (a dataset row,
    edited by ``values``) with the protected attribute whose groups the variants take.

    Raises ApplicationError (PermissionDeniedError for viewers: auditors, reviewers and admins run what-ifs) naming
    the field at fault. Writes nothing.
    """
    workspace_require_role(user=user, workspace=model.workspace, roles=ROW_LEVEL_ROLES)
    kind = what_if_kind(model)
    if kind is None:
        raise ApplicationError(f"A {model.get_kind_display()} has no what-if: it makes no decisions.", field="model")
    if kind == TEXT:
        if not (text or "").strip() and dataset is not None and row is not None:
            column = dataset.text_column or (model.config or {}).get("text_column") or "text"
            if not _has(dataset, [column]):
                raise ApplicationError(f"Dataset '{dataset.name}' has no text column.", field="dataset")
            text = str(_dataset_row(dataset, [column], row)[column])
        text = (text or "").strip()
        if not text:
            raise ApplicationError("Enter a text (or pick a dataset row).", field="text")
        if len(text) > WHATIF_MAX_TEXT:
            raise ApplicationError(f"The text is longer than {WHATIF_MAX_TEXT} characters.", field="text")
        try:
            entry = lexicon_resolve(workspace=model.workspace, name=lexicon or DEFAULT_LEXICON)
        except ApplicationError as exc:
            raise ApplicationError(exc.message, field="lexicon") from exc
        return WhatIfRequest(model=model, data={"kind": TEXT, "text": text, "lexicon": entry["name"]}, lexicon=entry)
    dataset = _dataset_for(model, dataset)
    attributes = list(dataset.protected_attributes.all())
    chosen = next((a for a in attributes if attribute in (a.name, a.column)), None) if attribute else None
    if attribute and chosen is None:
        names = ", ".join(a.name for a in attributes)
        raise ApplicationError(
            f"No protected attribute '{attribute}' in '{dataset.name}' ({names}).", field="attribute"
        )
    chosen = chosen or (attributes[0] if attributes else None)
    if chosen is None:
        raise ApplicationError(f"Dataset '{dataset.name}' declares no protected attribute.", field="attribute")
    features = list((model.config or {}).get("feature_columns") or [])
    columns = list(dict.fromkeys([*features, chosen.column]))
    base = _dataset_row(dataset, columns, row or 0) if values is None or row is not None else {}
    merged = {**base, **{k: v for k, v in (values or {}).items()}}
    unknown = sorted(set(merged) - set(columns))
    missing = [c for c in columns if c not in merged]
    if unknown or missing:
        raise ApplicationError(
            f"Values must name the model's columns: missing {missing}, unknown {unknown}.", field="values"
        )
    _check_values(dataset, merged)
    data = {"kind": TABULAR, "values": merged, "attribute": chosen.column}
    return WhatIfRequest(model=model, data=data, dataset=dataset, groups=list(chosen.groups))


def _check_values(dataset: Dataset, values: dict) -> None:
    """Numbers where the dataset holds numbers (the worker casts each value to its column's dtype)."""
    dtypes = {name: info.get("dtype", "") for name, info in (dataset.profile.get("columns") or {}).items()}
    for column, value in values.items():
        if dtypes.get(column, "").startswith(("int", "float", "Int", "Float")) and value not in (None, ""):
            try:
                float(value)
            except (TypeError, ValueError) as exc:
                raise ApplicationError(f"Column '{column}' holds numbers, not '{value}'.", field="values") from exc


def what_if_cached(*, request: WhatIfRequest) -> dict | None:
    """The shown result of ``request`` when the worker has computed it, else None.

    Raises ApplicationError with the worker's message when the computation failed.
    """
    stored = caches[CACHE_ALIAS].get(request.cache_key)
    if stored is None:
        return None
    if "error" in stored:
        raise ApplicationError(f"The what-if failed: {stored['error']}", field="input")
    return assemble(stored, request.data, request.lexicon)


@transaction.atomic
def _record(*, user, request: WhatIfRequest, request_id: str) -> None:
    data = request.data
    event_record(
        action=EventAction.MODEL_WHAT_IF,
        obj=request.model,
        actor=user,
        workspace=request.model.workspace,
        request_id=request_id,
        after={
            "kind": data["kind"],
            "input_sha256": request.input_sha256,
            "model_sha256": request.model.sha256,
            **({"lexicon": data["lexicon"]} if data["kind"] == TEXT else {"attribute": data["attribute"]}),
            **({"dataset": request.dataset.pk} if request.dataset else {}),
        },
    )


def what_if_run(
    *, user, request: WhatIfRequest, request_id: str = "", record: bool = True, wait: float = WHATIF_WAIT_SECONDS
) -> dict | None:
    """Ask for the what-if of ``request``: from the cache, or computed by a worker (enqueued once per input while
    one is pending); waits up to ``wait`` seconds and returns the result, or None while it is still computed.

    ``record``: write event model.what_if (hashes only, never the input); False for the page's polls of the same
    input. Raises ApplicationError when the worker failed or the broker refused the task.
    """
    if record:
        _record(user=user, request=request, request_id=request_id)
    result = what_if_cached(request=request)
    if result is not None:
        return result
    _enqueue(request)
    deadline = time.monotonic() + max(0.0, wait)
    while True:
        result = what_if_cached(request=request)
        if result is not None or time.monotonic() >= deadline:
            return result
        time.sleep(0.2)


def _enqueue(request: WhatIfRequest) -> None:
    from audits.tasks import what_if_compute_task  # tasks import services; import late to avoid a cycle

    cache = caches[CACHE_ALIAS]
    pending = f"{request.cache_key}:pending"
    if not cache.add(pending, 1, timeout=WHATIF_TIME_LIMIT + 30):
        return  # already computing
    try:
        what_if_compute_task.apply_async(
            args=[request.job()], queue=settings.AUDIT_GPU_QUEUE if request.model.kind in GPU_MODEL_KINDS else None
        )
    except Exception as exc:  # noqa: BLE001 - any broker failure (kombu, redis, socket)
        cache.delete(pending)
        logger.warning("what-if not enqueued: %s", exc)
        raise ApplicationError("The worker queue is not reachable; try again shortly.", field="input") from exc


def what_if_compute(*, job: dict) -> str:
    """Compute one what-if in a worker and cache its numbers (or its error, for a minute) under the job's key.
    Returns "ok" or "error". Writes nothing to the database."""
    cache = caches[CACHE_ALIAS]
    try:
        numbers = compute(job)
    except Exception as exc:  # the message goes to the user's page; the worker stays healthy
        logger.warning("what-if failed: %s", type(exc).__name__)
        cache.set(job["cache_key"], {"error": str(exc)[:500] or type(exc).__name__}, timeout=60)
        outcome = "error"
    else:
        cache.set(job["cache_key"], numbers, timeout=WHATIF_CACHE_SECONDS)
        outcome = "ok"
    cache.delete(f"{job['cache_key']}:pending")
    return outcome


@transaction.atomic
def what_if_evidence_save(
    *, user, request: WhatIfRequest, report: AuditReport, note: str = "", request_id: str = ""
) -> WhatIfEvidence:
    """Keep a computed what-if (input and result) as evidence on ``report``, a report of the model's workspace.

    Writes event report.what_if_evidence_saved. Raises ApplicationError when the report is of another workspace or
    the result is not (any more) in the cache; PermissionDeniedError for viewers.
    """
    model = request.model
    workspace_require_role(user=user, workspace=model.workspace, roles=ROW_LEVEL_ROLES)
    if report.workspace_id != model.workspace_id:
        raise ApplicationError("The report belongs to another workspace than the model.", field="report")
    result = what_if_cached(request=request)
    if result is None:
        raise ApplicationError("This what-if has no result yet (or it expired): run it, then save it.", field="report")
    evidence = WhatIfEvidence.objects.create(
        workspace=model.workspace,
        report=report,
        model=model,
        kind=request.data["kind"],
        input_sha256=request.input_sha256,
        content={
            "schema": "whatif.v1",
            "model": {"id": model.pk, "name": model.name, "version": model.version, "sha256": model.sha256},
            "input": request.data,
            "dataset": {"id": request.dataset.pk, "sha256": request.dataset.sha256} if request.dataset else None,
            "result": result,
        },
        note=(note or "")[:500],
        created_by=user,
    )
    event_record(
        action=EventAction.WHAT_IF_EVIDENCE_SAVED,
        obj=report,
        actor=user,
        workspace=model.workspace,
        request_id=request_id,
        after={"evidence": evidence.pk, "model": model.pk, "input_sha256": request.input_sha256},
    )
    return evidence
