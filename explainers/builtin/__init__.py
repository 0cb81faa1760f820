"""Models the platform takes from its installed packages or trains itself (design.md §5).

- :class:`~explainers.builtin.profanity.ProfanityRunner`: the offensive-language classifier that ships inside the
  alt-profanity-check package, with the interface of ``TabularRunner``.
- :func:`~explainers.builtin.minilm_classifier.build_minilm_classifier`: trains a small sentiment classifier on the
  all-MiniLM-L6-v2 encoder and saves it as a standard safetensors folder, which ``TextClassifierRunner`` then loads
  like any upload.

The two submodules are imported on first use (``from explainers.builtin import ProfanityRunner`` works), so using
the profanity runner never imports torch. The helpers here read package metadata; they import nothing.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import importlib.util
from pathlib import Path

__all__ = ["ProfanityRunner", "build_minilm_classifier", "distribution_licence", "package_folder"]

_LAZY = {
    "ProfanityRunner": "explainers.builtin.profanity",
    "build_minilm_classifier": "explainers.builtin.minilm_classifier",
}
_NO_LICENCE = {"", "UNKNOWN", "SEE README", "NONE"}


def package_folder(module: str) -> Path:
    """Folder of an installed package, found without importing it.

    Raises:
        ValueError: if the package is not installed.
    """
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        raise ValueError(f"the package {module!r} is not installed")
    return Path(spec.submodule_search_locations[0])


def distribution_licence(distribution: str) -> str:
    """Licence of an installed distribution as its dist-info declares it; ``"unknown"`` when it declares none.

    Tried in order: the ``License-Expression`` and ``License`` fields (unless empty, "UNKNOWN" or "See README"),
    the ``License ::`` trove classifiers, then the first line of a LICENSE file in the dist-info.
    """
    metadata = importlib.metadata.metadata(distribution)
    for field in ("License-Expression", "License"):
        value = (metadata.get(field) or "").strip()
        if value.upper() not in _NO_LICENCE and "\n" not in value and len(value) <= 100:
            return value
    classifiers = [c.split("::")[-1].strip() for c in metadata.get_all("Classifier") or () if c.startswith("License")]
    if classifiers:
        return "; ".join(classifiers)
    for file in importlib.metadata.files(distribution) or ():
        if "LICEN" in file.name.upper() and ".dist-info" in str(file):
            lines = [line.strip() for line in file.read_text(encoding="utf-8", errors="replace").splitlines()]
            first = next((line for line in lines if line), "")
            if first:
                return first
    return "unknown"


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
