"""Batched predictions of a fitted scikit-learn classifier on DataFrames (design.md §5, §9)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np
import pandas as pd
from sklearn.pipeline import Pipeline


class TabularRunner:
    """Favourable-class decisions and scores of a fitted estimator or pipeline, computed in batches.

    Args:
        model: fitted classifier with ``classes_`` and ``predict`` (``predict_proba`` optional).
        favourable_class: the class counted as the favourable decision. It is matched against ``model.classes_``
            after ``str()`` on both sides, because the value usually comes from a form or a JSON config while the
            classes keep their training dtype ("1" must find the integer class 1, ">50K" the string class).
        feature_columns: columns handed to the model; default ``model.feature_names_in_`` when the model was
            fitted on a DataFrame, else every column of the frame passed in (``None``).
        text_column: for a model that reads raw documents (see :func:`reads_documents`, e.g. a bare
            ``Pipeline([TfidfVectorizer(), LogisticRegression()])`` fitted on a list of strings): the column whose
            strings are handed to it as a 1-D sequence; ``feature_columns`` is then ``[text_column]``.
        batch_size: rows per model call; bounds peak memory of the preprocessing on large frames (design.md §9).

    Raises:
        ValueError: if the model has no ``classes_``, the favourable class is not among them, ``batch_size`` is
            not positive, or ``text_column`` is given together with ``feature_columns``.
    """

    def __init__(
        self,
        model,
        *,
        favourable_class,
        feature_columns: list[str] | None = None,
        text_column: str | None = None,
        batch_size: int = 65_536,
    ) -> None:
        if int(batch_size) < 1:
            raise ValueError("batch_size must be at least 1")
        if text_column and feature_columns is not None:
            raise ValueError("give either text_column or feature_columns")
        classes = getattr(model, "classes_", None)
        if classes is None:
            raise ValueError("model has no classes_; pass a fitted classifier")
        self.model = model
        self.classes = list(classes)
        self.favourable_index = _match_class(self.classes, favourable_class)
        self.favourable_class = self.classes[self.favourable_index]
        self.text_column = text_column or None
        if self.text_column:
            feature_columns = [self.text_column]
        elif feature_columns is None and getattr(model, "feature_names_in_", None) is not None:
            feature_columns = [str(name) for name in model.feature_names_in_]
        self.feature_columns = None if feature_columns is None else list(feature_columns)
        self.batch_size = int(batch_size)
        self.has_proba = hasattr(model, "predict_proba")

    def scores(self, frame: pd.DataFrame) -> np.ndarray:
        """P(favourable class) per row as float64; 1.0/0.0 from ``predict`` when the model has no probabilities."""
        if not self.has_proba:
            return self.decisions(frame).astype(np.float64)
        return self._collect(frame, lambda batch: self._proba(self._inputs(batch)))

    def decisions(self, frame: pd.DataFrame) -> np.ndarray:
        """Boolean ``model.predict(frame) == favourable class``: the model's own decision rule, not a threshold."""
        return self._collect(frame, lambda batch: self._decide(self.model, self._inputs(batch))).astype(bool)

    def predict(self, frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        """``(decisions, scores)`` in one pass over the batches.

        The decision comes from ``predict`` and the score from ``predict_proba``: argmax of the probabilities
        is not always the estimator's rule (SVC with Platt scaling, custom thresholds), so neither is derived
        from the other. For a Pipeline the preprocessing runs once per batch and both calls go to the final
        step, which is exactly what Pipeline.predict and Pipeline.predict_proba would each do.
        """
        n = len(frame)
        decisions = np.empty(n, dtype=bool)
        scores = np.empty(n, dtype=np.float64)
        for start, batch in self._batches(frame):
            estimator, inputs = self._final_step(batch)
            stop = start + len(batch)
            decisions[start:stop] = self._decide(estimator, inputs)
            if self.has_proba:
                scores[start:stop] = np.asarray(estimator.predict_proba(inputs))[:, self.favourable_index]
            else:
                scores[start:stop] = decisions[start:stop]
        return decisions, scores

    def smoke(self, frame: pd.DataFrame, n: int = 20) -> dict:
        """Predict on the first ``n`` rows to prove the model accepts this data before a long run.

        Returns:
            ``{"rows": rows predicted, "mean_score": float, "favourable_share": float}``.

        Raises:
            ValueError: if the frame is empty or prediction fails (missing columns, unknown categories, ...),
                with the underlying error's type and message.
        """
        return smoke_check(self.predict, frame, n)

    def _inputs(self, frame: pd.DataFrame):
        """The model's columns, in its training order; a clear error instead of sklearn's when some are missing.

        A document model gets its text column as a 1-D object array of strings, the shape it was fitted on.
        """
        if self.feature_columns is None:
            return frame
        missing = [column for column in self.feature_columns if column not in frame.columns]
        if missing:
            raise ValueError(f"frame lacks model feature columns {missing}")
        if self.text_column:
            return frame[self.text_column].to_numpy(dtype=object)
        return frame[self.feature_columns]

    def _final_step(self, batch: pd.DataFrame):
        """(estimator, inputs) to call predict/predict_proba on: the final step after one shared transform."""
        inputs = self._inputs(batch)
        model = self.model
        if isinstance(model, Pipeline) and len(model.steps) > 1 and model._final_estimator != "passthrough":
            return model._final_estimator, model[:-1].transform(inputs)
        return model, inputs

    def _decide(self, estimator, inputs) -> np.ndarray:
        # predict returns elements of classes_, so equality with the stored class object is exact.
        return np.asarray(estimator.predict(inputs)) == self.favourable_class

    def _proba(self, inputs) -> np.ndarray:
        return np.asarray(self.model.predict_proba(inputs), dtype=np.float64)[:, self.favourable_index]

    def _batches(self, frame: pd.DataFrame) -> Iterator[tuple[int, pd.DataFrame]]:
        for start in range(0, len(frame), self.batch_size):
            yield start, frame.iloc[start : start + self.batch_size]

    def _collect(self, frame: pd.DataFrame, call: Callable[[pd.DataFrame], np.ndarray]) -> np.ndarray:
        parts = [np.asarray(call(batch)) for _, batch in self._batches(frame)]
        return np.concatenate(parts) if parts else np.empty(0)


def reads_documents(model) -> bool:
    """True for a model fitted on raw documents (a list of strings), such as a bare TF-IDF pipeline.

    A model fitted on a DataFrame knows its columns (``feature_names_in_``), one fitted on an array knows its width
    (``n_features_in_``); a text vectorizer first in line records neither, because its input is one string per
    row, not a row of features.
    """
    if getattr(model, "feature_names_in_", None) is not None:
        return False
    try:
        return getattr(model, "n_features_in_", None) is None
    except AttributeError:  # a Pipeline's n_features_in_ asks its first step, which may not have one
        return True


def smoke_check(predict: Callable[[pd.DataFrame], tuple[np.ndarray, np.ndarray]], frame: pd.DataFrame, n: int) -> dict:
    """The runners' smoke contract: predict the first ``n`` rows; one readable ValueError if anything fails."""
    head = frame.iloc[: max(int(n), 0)]
    if len(head) == 0:
        raise ValueError("smoke test needs at least one row")
    try:
        decisions, scores = predict(head)
    except Exception as error:
        # Whatever the model raises (KeyError, sklearn's ValueError, a dtype TypeError) the uploader needs
        # one readable message, not a traceback.
        message = f"model could not predict on the first {len(head)} rows: {type(error).__name__}: {error}"
        raise ValueError(message) from error
    return {"rows": len(head), "mean_score": float(scores.mean()), "favourable_share": float(decisions.mean())}


def _match_class(classes: list, favourable) -> int:
    """Index of the favourable class in ``classes`` by string form, then by numeric value ("1" vs 1.0)."""
    wanted = str(favourable)
    for index, cls in enumerate(classes):
        if str(cls) == wanted:
            return index
    number = _as_number(favourable)
    if number is not None:
        for index, cls in enumerate(classes):
            if _as_number(cls) == number:
                return index
    raise ValueError(f"favourable class {favourable!r} is not among the model's classes_ {[str(c) for c in classes]}")


def _as_number(value) -> float | None:
    if isinstance(value, bool | np.bool_):
        return None  # True == 1 numerically, but "True" is a label, not the number one
    try:
        return float(value)
    except (TypeError, ValueError):
        return None
