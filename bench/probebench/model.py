"""The MiniLM sentiment classifier folder: used as it is when built, built (once, minutes) when it is not."""

from __future__ import annotations

import time
from pathlib import Path


def model_folder(folder: Path, *, build: bool = True) -> tuple[Path, str]:
    """``(folder, how)``: the folder holding config.json, and a line saying whether it was found or built here.

    Raises:
        FileNotFoundError: if the folder has no config.json and ``build`` is False.
    """
    if (folder / "config.json").is_file():
        return folder, f"using the MiniLM classifier in {folder}"
    if not build:
        raise FileNotFoundError(f"{folder} holds no config.json (build it with manage.py build_demo_models --text)")
    from explainers.builtin.minilm_classifier import build_minilm_classifier

    print(f"{folder} holds no model: building the MiniLM classifier there (build_minilm_classifier, minutes) ...")
    began = time.perf_counter()
    info = build_minilm_classifier(folder)
    seconds = time.perf_counter() - began
    shown = ("train_rows", "heldout_accuracy", "majority_rate")
    summary = ", ".join(f"{key} {info[key]}" for key in shown if key in (info or {}))
    return folder, f"built the MiniLM classifier in {folder} in {seconds:.0f} s ({summary})"
