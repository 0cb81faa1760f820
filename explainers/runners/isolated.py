"""Load and smoke-test a transformers folder in a child process under an address-space limit (RLIMIT_AS).

A model folder is untrusted input: its config.json decides how much memory the loader commits. The content checks
(hf_files, hf_common.check_weights_fit_config) refuse what they can see before loading; this module is the second
line: the load and a small prediction run in a fresh interpreter whose address space is capped, so a folder that
gets past the checks can only exhaust the child, never the calling (web) process. torch and transformers are
imported only in the child.

Parent: ``smoke_in_child(...)`` returns ``IsolatedSmoke`` or raises ``IsolatedLoadError`` naming the fault.
Child: ``python -m explainers.runners.isolated`` reads one JSON request on stdin and writes one result line.
"""

from __future__ import annotations

import json
import math
import os
import resource
import subprocess
import sys
from dataclasses import dataclass

import pandas as pd

from explainers.runners.hf_files import ModelFileError

RESULT_MARKER = "ISOLATED-RESULT "
SMOKE_ROWS = 20
# Thread pools and malloc arenas reserve address space per thread; one of each keeps the limit about the weights.
_CHILD_ENV = {"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "MALLOC_ARENA_MAX": "2", "TOKENIZERS_PARALLELISM": "0"}


class IsolatedLoadError(Exception):
    """The model could not be loaded or used in the child; ``field`` is the input at fault (file or favourable)."""

    def __init__(self, message: str, *, field: str = "file"):
        super().__init__(message)
        self.message = message
        self.field = field


@dataclass(frozen=True)
class IsolatedSmoke:
    """What the child learnt: the folder's manifest sha256, its labels (classifiers) and the smoke result."""

    sha256: str
    labels: tuple[str, ...]
    smoke: dict


def smoke_in_child(
    *,
    role: str,
    path: str,
    favourable: str = "",
    text_column: str = "text",
    texts: list | None = None,
    max_address_bytes: int,
    timeout_s: float,
    limit_name: str = "the address-space limit",
) -> IsolatedSmoke:
    """Load the folder at `path` as `role` (classifier, encoder, causal_lm) in a child process limited to
    `max_address_bytes` of address space and predict on `texts`; raise IsolatedLoadError on any failure.

    `limit_name` is how a refusal names the limit (e.g. the setting that holds it)."""
    request = {
        "role": role,
        "path": str(path),
        "favourable": favourable,
        "text_column": text_column,
        "texts": list(texts or []),
        "max_address_bytes": int(max_address_bytes),
        "limit_name": limit_name,
    }
    try:
        done = subprocess.run(
            [sys.executable, "-m", "explainers.runners.isolated"],
            input=json.dumps(request),
            capture_output=True,
            text=True,
            timeout=timeout_s,
            env={**os.environ, **_CHILD_ENV},
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise IsolatedLoadError(f"loading and testing the model took longer than {timeout_s:.0f} s") from exc
    result = _result_line(done.stdout)
    if result is None:
        raise IsolatedLoadError(
            f"the model could not be loaded within {max_address_bytes / 2**30:.1f} GiB of memory ({limit_name}); "
            f"the loading process ended with code {done.returncode}"
        )
    if not result["ok"]:
        raise IsolatedLoadError(result["error"], field=result.get("field", "file"))
    return IsolatedSmoke(sha256=result["sha256"], labels=tuple(result["labels"]), smoke=result["smoke"])


def _result_line(stdout: str) -> dict | None:
    for line in reversed(stdout.splitlines()):
        if line.startswith(RESULT_MARKER):
            return json.loads(line[len(RESULT_MARKER) :])
    return None


def _limit_address_space(max_bytes: int) -> None:
    resource.setrlimit(resource.RLIMIT_AS, (max_bytes, max_bytes))


def _load_and_smoke(request: dict) -> dict:
    role, path, texts = request["role"], request["path"], request["texts"] or ["hello", "a short sentence"]
    if role == "classifier":
        from explainers.runners.hf_text import TextClassifierRunner

        runner = TextClassifierRunner(
            path, favourable_class=request["favourable"], text_column=request["text_column"], device="cpu"
        )
        smoke = runner.smoke(pd.DataFrame({request["text_column"]: texts}), n=SMOKE_ROWS)
        return {"sha256": runner.directory.sha256, "labels": list(runner.labels), "smoke": smoke}
    if role == "causal_lm":
        from explainers.runners.hf_lm import CausalLMRunner

        runner = CausalLMRunner(path, device="cpu")
        logprobs = runner.sequence_logprob(texts)
        if not all(math.isfinite(v) for v in logprobs):
            raise ValueError("the model gave non-finite log-probabilities")
        smoke = {"rows": len(texts), "mean_logprob": float(sum(logprobs) / len(logprobs))}
        return {"sha256": runner.directory.sha256, "labels": [], "smoke": smoke}
    if role == "encoder":
        from explainers.runners.hf_text import EncoderRunner

        runner = EncoderRunner(path, device="cpu")
        vectors = runner.embed(texts)
        smoke = {"rows": len(texts), "dimension": int(vectors.shape[1])}
        return {"sha256": runner.directory.sha256, "labels": [], "smoke": smoke}
    raise ValueError(f"unknown model role '{role}'")


# How running out of address space shows besides MemoryError: a shared library or weight file that cannot be mapped,
# an allocator that gives up.
_MEMORY_FAULTS = ("Cannot allocate memory", "failed to map segment", "bad_alloc", "can't allocate memory")


def _memory_fault(error: BaseException) -> bool:
    return isinstance(error, MemoryError) or any(text in str(error) for text in _MEMORY_FAULTS)


def _child_main() -> int:
    request = json.loads(sys.stdin.read())
    _limit_address_space(request["max_address_bytes"])
    limit = f"{request['max_address_bytes'] / 2**30:.1f} GiB"
    memory = {"ok": False, "error": f"the model needs more than {limit} of memory to load ({request['limit_name']})"}
    try:
        result = {"ok": True, **_load_and_smoke(request)}
    except ModelFileError as exc:
        result = memory if _memory_fault(exc) else {"ok": False, "error": f"The model could not be loaded: {exc}"}
    except ValueError as exc:
        field = "favourable" if "favourable" in str(exc) else "file"
        result = {"ok": False, "error": f"The model could not be used: {exc}", "field": field}
    except Exception as exc:  # transformers raises many types (OSError, KeyError, RuntimeError) for a bad folder
        message = f"The model could not be loaded: {type(exc).__name__}: {exc}"
        result = memory if _memory_fault(exc) else {"ok": False, "error": message}  # MemoryError among them
    sys.stdout.write("\n" + RESULT_MARKER + json.dumps(result, default=float) + "\n")
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(_child_main())
