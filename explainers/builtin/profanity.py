"""The alt-profanity-check classifier as a text runner with ``TabularRunner``'s interface (design.md §5, §9).

alt-profanity-check ships a fitted scikit-learn model inside the package: ``data/vectorizer.joblib`` (TF-IDF) and
``data/model.joblib`` (LinearSVC calibrated by CalibratedClassifierCV). Joblib files are pickles, and loading one
runs code chosen by whoever wrote it. That is acceptable here only because the platform operator installs this
package from the registry, like any other dependency; no user supplies these files. Never load a user upload this
way: uploads go through skops or the safetensors checks of ``explainers.runners.hf_files``.

The model is loaded through the package's own module (``profanity_check.profanity_check``), which unpickles both
files at import. Warnings raised while unpickling (scikit-learn's ``InconsistentVersionWarning`` when the files were
written by another scikit-learn version) are recorded and reported by :meth:`ProfanityRunner.describe`. With
alt-profanity-check 1.9.1 and scikit-learn 1.9.1 (the version the package pins) there are none.

Typical use::

    runner = ProfanityRunner(text_column="text")          # favourable class "not_offensive"
    runner.smoke(frame)
    decisions, scores = runner.predict(frame)            # scores = P(not offensive)
"""

from __future__ import annotations

import functools
import hashlib
import importlib
import importlib.metadata
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import sklearn

from explainers.builtin import distribution_licence, package_folder
from explainers.runners.tabular import smoke_check

__all__ = ["DISTRIBUTION", "LABELS", "ProfanityRunner"]

DISTRIBUTION = "alt-profanity-check"
MODULE = "profanity_check"
LABELS = ("not_offensive", "offensive")
_DATA_FILES = ("model.joblib", "vectorizer.joblib")


@dataclass(frozen=True)
class _Loaded:
    vectorizer: object
    model: object
    offensive_column: int  # column of predict_proba holding class 1 (profane)
    warnings: tuple[str, ...]


class ProfanityRunner:
    """P(favourable class) and decisions of the alt-profanity-check model on one text column.

    Args:
        text_column: the frame column :meth:`predict` reads (``feature_columns`` is ``[text_column]``).
        favourable: ``"not_offensive"`` (default: a text the model finds inoffensive is the favourable outcome) or
            ``"offensive"``.
        batch_size: texts per vectorizer call; bounds the size of the sparse TF-IDF matrix (design.md §9).

    Missing texts (None, NaN, non-strings) are scored as the empty string, as the Hugging Face runners do.

    Raises:
        ValueError: for an unknown favourable class, a non-positive batch size, or a package that is not installed.
        RuntimeError: if the package's model files cannot be loaded (e.g. an incompatible scikit-learn).
    """

    labels = LABELS

    def __init__(self, *, text_column: str = "text", favourable: str = "not_offensive", batch_size: int = 4096):
        if str(favourable) not in LABELS:
            raise ValueError(f"favourable class {favourable!r} is not one of the labels {list(LABELS)}")
        if int(batch_size) < 1:
            raise ValueError("batch_size must be at least 1")
        self.text_column = text_column
        self.feature_columns = [text_column]
        self.favourable_class = str(favourable)
        self.favourable_index = LABELS.index(self.favourable_class)
        self.batch_size = int(batch_size)
        self._loaded = _load()

    @property
    def model_key(self) -> str:
        """sha256 over the package version and both model files: changes whenever the model could."""
        return _fingerprint()[0]

    def probabilities(self, texts: Sequence) -> np.ndarray:
        """``(n, 2)`` float64: P(not_offensive), P(offensive) per text, in input order."""
        texts = [text if isinstance(text, str) else "" for text in texts]
        out = np.empty((len(texts), 2), dtype=np.float64)
        loaded = self._loaded
        for start in range(0, len(texts), self.batch_size):
            batch = texts[start : start + self.batch_size]
            proba = np.asarray(loaded.model.predict_proba(loaded.vectorizer.transform(batch)), dtype=np.float64)
            offensive = proba[:, loaded.offensive_column]
            out[start : start + len(batch), 1] = offensive
            out[start : start + len(batch), 0] = proba[:, 1 - loaded.offensive_column]
        return out

    def score_texts(self, texts: Sequence) -> np.ndarray:
        """P(favourable class) per text as float64."""
        return self.probabilities(texts)[:, self.favourable_index]

    def predict(self, frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        """``(decisions, scores)``: decision = the favourable class is the more probable one.

        That is the model's own rule: CalibratedClassifierCV.predict returns the class of highest mean calibrated
        probability, so the decision equals ``score > 0.5`` (an exact tie goes to not_offensive, as argmax does).
        """
        if self.text_column not in frame.columns:
            raise ValueError(f"frame lacks the text column {self.text_column!r}")
        probabilities = self.probabilities(frame[self.text_column].tolist())
        decisions = probabilities.argmax(axis=1) == self.favourable_index
        return decisions, probabilities[:, self.favourable_index]

    def smoke(self, frame: pd.DataFrame, n: int = 20) -> dict:
        """Predict on the first ``n`` rows to prove the runner accepts this data before a long run.

        Returns:
            ``{"rows": rows predicted, "mean_score": float, "favourable_share": float}``.

        Raises:
            ValueError: if the frame is empty or prediction fails (e.g. the text column is missing), with the
                underlying error's type and message.
        """
        return smoke_check(self.predict, frame, n)

    def describe(self) -> dict:
        """Provenance for the report: package, version, licence (from its dist-info), sha256 and load warnings."""
        key, files = _fingerprint()
        model = self._loaded.model
        estimator = getattr(model, "estimator", None)
        return {
            "package": DISTRIBUTION,
            "module": MODULE,
            "version": importlib.metadata.version(DISTRIBUTION),
            "licence": distribution_licence(DISTRIBUTION),
            "sha256": key,
            "files": files,
            "labels": list(LABELS),
            "favourable": self.favourable_class,
            "estimator": type(model).__name__ + (f"({type(estimator).__name__})" if estimator is not None else ""),
            "vectorizer": type(self._loaded.vectorizer).__name__,
            "scikit_learn": sklearn.__version__,
            "load_warnings": list(self._loaded.warnings),
        }


@functools.lru_cache(maxsize=1)
def _fingerprint() -> tuple[str, dict[str, str]]:
    """(model key, {file name: sha256}) of the installed package's model files."""
    data = package_folder(MODULE) / "data"
    files = {name: hashlib.sha256((data / name).read_bytes()).hexdigest() for name in _DATA_FILES}
    digest = hashlib.sha256(f"{DISTRIBUTION}=={importlib.metadata.version(DISTRIBUTION)}\n".encode())
    for name, sha in files.items():
        digest.update(f"{name} {sha}\n".encode())
    return digest.hexdigest(), files


@functools.lru_cache(maxsize=1)
def _load() -> _Loaded:
    """Import the package module (it unpickles its model files), recording the warnings raised meanwhile.

    Warnings are recorded only on the first import in this process; a module imported earlier elsewhere brings
    none (they were shown where it was imported).
    """
    package_folder(MODULE)  # a clear ValueError when the package is not installed
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            module = importlib.import_module(f"{MODULE}.{MODULE}")
        except Exception as error:
            raise RuntimeError(
                f"{DISTRIBUTION} could not load its model files: {type(error).__name__}: {error}"
            ) from error
    model, vectorizer = module.model, module.vectorizer
    classes = [int(c) for c in model.classes_]
    if sorted(classes) != [0, 1]:
        raise RuntimeError(f"{DISTRIBUTION} model has classes {classes}, expected 0 (clean) and 1 (profane)")
    messages = tuple(f"{w.category.__name__}: {w.message}" for w in caught)
    return _Loaded(vectorizer=vectorizer, model=model, offensive_column=classes.index(1), warnings=messages)
