"""Load a registered model in a worker, once per process, checking the file is the one registered."""

import hashlib
from functools import lru_cache

from audits.ingestion.artifacts import load_skops_model
from explainers.runners.tabular import TabularRunner


@lru_cache(maxsize=4)
def tabular_runner(path: str, sha256: str, favourable: str) -> TabularRunner:
    """The model at `path` as a TabularRunner; refuses a file whose sha256 differs from the registered one."""
    with open(path, "rb") as handle:
        data = handle.read()
    actual = hashlib.sha256(data).hexdigest()
    if actual != sha256:
        raise ValueError(f"The stored model file changed since registration (sha256 {actual[:12]} != {sha256[:12]}).")
    return TabularRunner(load_skops_model(data).model, favourable_class=favourable)


def spec_runner(spec) -> TabularRunner:
    """The runner of the model an EngineInput names (cached per process)."""
    return tabular_runner(spec.model_path, spec.model_sha256, spec.model_favourable)
