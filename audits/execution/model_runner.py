"""Load a registered model in a worker, once per process, checking it is the one registered."""

import hashlib
from functools import lru_cache

from audits.choices import ModelKind
from audits.ingestion.artifacts import load_skops_model
from explainers.builtin.profanity import ProfanityRunner
from explainers.runners.tabular import TabularRunner, reads_documents

from .prediction_cache import DjangoPredictionCache


def _changed(actual: str, registered: str) -> ValueError:
    return ValueError(f"The stored model changed since registration (sha256 {actual[:12]} != {registered[:12]}).")


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
