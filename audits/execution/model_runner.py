"""Load a registered model in a worker, once per process, checking it is the one registered.

A transformers folder is loaded in the worker only after the same capped child load as at registration
(explainers.runners.isolated, AUDIT_MODEL_LOAD_MAX_ADDRESS_BYTES) has succeeded in this process: a folder registered
before that check existed, or one that needs more memory now, exhausts a child, never the worker.
"""

import hashlib
from functools import lru_cache

from django.conf import settings

from audits.choices import ModelKind
from audits.ingestion.artifacts import load_skops_model
from explainers.builtin.profanity import ProfanityRunner
from explainers.runners.isolated import IsolatedLoadError, smoke_in_child
from explainers.runners.tabular import TabularRunner, reads_documents

from .prediction_cache import DjangoPredictionCache

_ROLES = {ModelKind.HF_CLASSIFIER: "classifier", ModelKind.HF_ENCODER: "encoder", ModelKind.HF_CAUSAL_LM: "causal_lm"}
# What the preflight predicts on: it checks that the folder loads and answers within the limit, not what it answers.
PREFLIGHT_TEXTS = ("The staff were helpful and the room was clean.", "I would not go back there.")


class ModelLoadRefused(ValueError):
    """The worker refused to load a model in its own process; ``message`` is the reason shown to the analyst."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def _changed(actual: str, registered: str) -> ValueError:
    return ValueError(f"The stored model changed since registration (sha256 {actual[:12]} != {registered[:12]}).")


@lru_cache(maxsize=64)
def load_preflight(kind: str, path: str, sha256: str, favourable: str = "") -> None:
    """Load the transformers folder at `path` and predict on PREFLIGHT_TEXTS in a child process capped as at
    registration (AUDIT_MODEL_LOAD_MAX_ADDRESS_BYTES of address space, AUDIT_MODEL_LOAD_TIMEOUT_S).

    Spawns one child process; a success is remembered for this process (a worker checks a model once), a failure
    is not. Raises ModelLoadRefused naming the limit when the child fails, ValueError when the folder's manifest
    sha256 is not the registered one.
    """
    limit, timeout = settings.AUDIT_MODEL_LOAD_MAX_ADDRESS_BYTES, settings.AUDIT_MODEL_LOAD_TIMEOUT_S
    try:
        done = smoke_in_child(
            role=_ROLES[kind], path=path, favourable=favourable, text_column="text", texts=list(PREFLIGHT_TEXTS),
            max_address_bytes=limit, timeout_s=timeout, limit_name="AUDIT_MODEL_LOAD_MAX_ADDRESS_BYTES",
        )  # fmt: skip
    except IsolatedLoadError as exc:
        reason = " ".join(exc.message.split()).rstrip(".")  # one paragraph: the run page shows the first one
        raise ModelLoadRefused(
            f"The worker did not load the model: its test load in a separate process (limited to "
            f"{limit / 2**30:.1f} GiB of address space by AUDIT_MODEL_LOAD_MAX_ADDRESS_BYTES and to {timeout} s "
            f"by AUDIT_MODEL_LOAD_TIMEOUT_S) failed: {reason}."
        ) from exc
    if done.sha256 != sha256:
        raise _changed(done.sha256, sha256)


@lru_cache(maxsize=4)
def tabular_runner(path: str, sha256: str, favourable: str, text_column: str = "") -> TabularRunner:
    """The model at `path` as a TabularRunner; refuses a file whose sha256 differs from the registered one.

    A model fitted on raw documents (a bare TF-IDF pipeline) is handed the strings of `text_column`.
    """
    with open(path, "rb") as handle:
        data = handle.read()
    actual = hashlib.sha256(data).hexdigest()
    if actual != sha256:
        raise _changed(actual, sha256)
    model = load_skops_model(data).model
    reads = text_column if reads_documents(model) else None
    return TabularRunner(model, favourable_class=favourable, text_column=reads)


@lru_cache(maxsize=4)
def model_runner(kind: str, path: str, sha256: str, favourable: str = "", text_column: str = "text"):
    """A runner for any registered model kind (cached per process: a worker loads a model once)."""
    if kind == ModelKind.SKOPS_PIPELINE:
        return tabular_runner(path, sha256, favourable, text_column)
    cache = DjangoPredictionCache()
    if kind == ModelKind.BUILTIN_TEXT:
        runner = ProfanityRunner(text_column=text_column, favourable=favourable or "not_offensive")
        if runner.model_key != sha256:
            raise _changed(runner.model_key, sha256)
        return runner
    if kind in _ROLES and settings.AUDIT_WORKER_LOAD_PREFLIGHT:
        load_preflight(kind, path, sha256, favourable)  # raises before this process commits any of the model's memory
    runner = _hf_runner(kind, path, favourable, text_column, cache, sha256)
    # The runner re-inspected the folder (content checks, manifest sha256) before loading it: a folder edited
    # on disk after registration is refused here instead of being audited under the old fingerprint.
    if runner.directory.sha256 != sha256:
        raise _changed(runner.directory.sha256, sha256)
    return runner


def _hf_runner(kind: str, path: str, favourable: str, text_column: str, cache, sha256: str):
    # torch and transformers load only when a transformers model runs (never in the web process).
    if kind == ModelKind.HF_CLASSIFIER:
        from explainers.runners.hf_text import TextClassifierRunner

        return TextClassifierRunner(
            path, favourable_class=favourable, text_column=text_column, cache=cache, model_key=sha256
        )
    if kind == ModelKind.HF_ENCODER:
        from explainers.runners.hf_text import EncoderRunner

        return EncoderRunner(path, cache=cache, model_key=sha256)
    if kind == ModelKind.HF_CAUSAL_LM:
        from explainers.runners.hf_lm import CausalLMRunner

        return CausalLMRunner(path, cache=cache, model_key=sha256)
    raise ValueError(f"Model kind '{kind}' cannot be run.")


def spec_runner(spec):
    """The runner of the model an EngineInput names (cached per process)."""
    return model_runner(spec.model_kind, spec.model_path, spec.model_sha256, spec.model_favourable, spec.text_column)
