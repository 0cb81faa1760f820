"""SHAP values of a tabular model on its original columns, in P(favourable class) (design.md §6 "Tabular").

Two back ends, chosen per model:

* ``tree``: ``shap.TreeExplainer`` with interventional perturbation over a background sample and
  ``model_output="probability"``, so the values add up to P(favourable) exactly (local accuracy). It runs on the final
  estimator, on the pipeline's *transformed* columns; a transformed column is then credited to the original column
  it was made from and the values of one original column are summed. Summing is the usual convention: the column
  values still add up to f(x) - base (local accuracy), though the sum is not exactly the Shapley value the one-hot
  block would get as a single player. Which original column a transformed one belongs to is read from the
  ColumnTransformer's transformer lists (``transformers_`` and ``output_indices_``); inside a transformer with
  several inputs, from its ``get_feature_names_out``: the name equal to an input, else the longest input ``c`` with
  the name starting ``c + "_"`` (OneHotEncoder writes ``sex_female``). Anything else (several preprocessing steps,
  a transformer that mixes columns) is not mapped and the model-agnostic back end runs instead.
* ``permutation``: ``shap.PermutationExplainer`` over P(favourable) on the original columns, with an Independent
  masker holding the seeded background sample. SHAP's maskers build masked inputs by writing background values into
  numeric arrays, so text and categorical columns are replaced by integer codes before SHAP sees them and decoded back
  to the column's own values and dtype inside the prediction function; the model never sees a code. The values are
  a sampled estimate (``max_evals="auto"``: about 10 antithetic permutations per row) whose per-row sum is exact by
  construction; the cost is about 10 model calls of ``(2 * features + 1) * background`` rows per explained row.

Supported by the tree back end: RandomForest, ExtraTrees, DecisionTree and (binary) GradientBoosting classifiers with
interventional TreeSHAP in probability. HistGradientBoostingClassifier is a special case: with shap 0.51 and
scikit-learn 1.9 its interventional TreeSHAP values miss the model output (by up to 0.25 in probability, 2.4 in
log-odds, even at depth 5), while path-dependent TreeSHAP (``tree_path_dependent``: no background, expectations
over the training cover of each node) is exact in log-odds; a binary HGB without native categorical splits is
explained that way (``output`` says log-odds, ``note`` says why), anything else HGB goes to the permutation back end.
If interventional TreeSHAP cannot produce probabilities for a binary model, log-odds are used and ``output`` says so.
Every tree result is checked against the model (local accuracy, in its output space) and falls back to the
permutation back end when it is off by more than ``ADDITIVITY_TOLERANCE``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import shap
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import (
    ExtraTreesClassifier,
    GradientBoostingClassifier,
    HistGradientBoostingClassifier,
    RandomForestClassifier,
)
from sklearn.pipeline import Pipeline
from sklearn.tree import DecisionTreeClassifier

TREE = "tree"
TREE_PATH = "tree_path_dependent"
PERMUTATION = "permutation"
PROBABILITY = "probability of the favourable class"
LOG_ODDS = "log-odds of the favourable class"
DECISION = "favourable decision (1) or not (0)"
TREE_TYPES = (
    RandomForestClassifier,
    ExtraTreesClassifier,
    DecisionTreeClassifier,
    GradientBoostingClassifier,
    HistGradientBoostingClassifier,
)
ADDITIVITY_TOLERANCE = 1e-5  # float32 split thresholds leave ~1e-8; a wrong tree conversion leaves 1e-2 and more

_HGB_NOTE = (
    "HistGradientBoosting: path-dependent TreeSHAP in log-odds, no background (interventional TreeSHAP is not "
    "additive for this model type in shap 0.51)"
)

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class ShapValues:
    """Per-row SHAP values ``(n, features)`` on the original columns, their base values ``(n,)`` and how."""

    values: np.ndarray
    base: np.ndarray
    method: str
    output: str
    note: str | None


class _Unsupported(Exception):
    """The tree back end cannot explain this model; the message says why (recorded in the result)."""


def shap_values(
    runner,
    rows: pd.DataFrame,
    background: pd.DataFrame,
    features: list[str],
    *,
    seed: int,
    chunk: int,
    progress: Progress,
) -> ShapValues:
    """SHAP values of ``rows`` (original columns ``features``) with the tree back end if it applies, else permutation.

    ``progress(done, total)`` is called after each chunk of ``chunk`` rows.
    """
    note = None
    if not runner.has_proba:
        note = "the model has no predict_proba: SHAP values of its 0/1 decision"
    elif isinstance(_split(runner.model)[1], TREE_TYPES):
        try:
            return _tree_values(runner, rows, background, features, chunk=chunk, progress=progress)
        except _Unsupported as reason:
            note = str(reason)
    values, base = _permutation_values(runner, rows, background, features, seed=seed, chunk=chunk, progress=progress)
    return ShapValues(values, base, PERMUTATION, PROBABILITY if runner.has_proba else DECISION, note)


def _tree_values(runner, rows, background, features, *, chunk: int, progress: Progress) -> ShapValues:
    preprocess, estimator = _split(runner.model)
    owners = _owners(preprocess, features, int(getattr(estimator, "n_features_in_", -1)))
    transform = _dense if preprocess is None else (lambda frame: _dense(preprocess.transform(frame)))
    data = transform(background[features])
    try:
        explainer, method, output = _tree_explainer(estimator, data, binary=len(runner.classes) == 2)
    except _Unsupported:
        raise
    except Exception as error:  # shap's own InvalidModelError and friends share no base class
        raise _Unsupported(f"shap.TreeExplainer failed: {error}") from error
    parts = []
    for start in range(0, len(rows), chunk):
        inputs = transform(rows.iloc[start : start + chunk][features])
        try:
            parts.append(np.asarray(explainer.shap_values(inputs, check_additivity=False), dtype=np.float64))
        except Exception as error:
            raise _Unsupported(f"shap.TreeExplainer failed: {error}") from error
        progress(min(start + chunk, len(rows)), len(rows))
    raw = np.concatenate(parts) if parts else np.empty((0, len(owners)))
    values, base = _favourable(raw, explainer.expected_value, runner.favourable_index, output)
    values = values @ _owner_matrix(owners, len(features))
    expected = runner.scores(rows)
    if output == LOG_ODDS:
        expected = _logit(expected)
    error = float(np.abs(values.sum(axis=1) + base - expected).max(initial=0.0))
    if not error <= ADDITIVITY_TOLERANCE:
        raise _Unsupported(f"shap.TreeExplainer values were not additive (error {error:.2g}); not trusted")
    note = None if method == TREE else _HGB_NOTE
    return ShapValues(values, np.full(len(rows), base), method, output, note)


def _tree_explainer(estimator, data: np.ndarray, *, binary: bool):
    """(explainer, method, output): interventional in probability, else log-odds (binary models only)."""
    if isinstance(estimator, HistGradientBoostingClassifier):
        categorical = getattr(estimator, "is_categorical_", None)
        if not binary or (categorical is not None and np.any(categorical)):
            raise _Unsupported("HistGradientBoostingClassifier with several classes or native categorical splits")
        return shap.TreeExplainer(estimator, feature_perturbation="tree_path_dependent"), TREE_PATH, LOG_ODDS
    try:
        explainer = shap.TreeExplainer(
            estimator, data=data, model_output="probability", feature_perturbation="interventional"
        )
        return explainer, TREE, PROBABILITY
    except Exception:  # shap's own InvalidModelError and friends share no base class
        if not binary:
            raise
    explainer = shap.TreeExplainer(estimator, data=data, model_output="raw", feature_perturbation="interventional")
    return explainer, TREE, LOG_ODDS


def _favourable(raw: np.ndarray, expected, favourable: int, output: str) -> tuple[np.ndarray, float]:
    """The values and base value for the favourable class.

    A forest reports one output per class ``(n, T, classes)``; a binary boosting model reports one output, for
    ``classes_[1]``, and the favourable class 0 is its complement: P0 = 1 - P1 (log-odds: -logit P1), so its values
    change sign.
    """
    expected = np.atleast_1d(np.asarray(expected, dtype=np.float64))
    if raw.ndim == 3:
        return raw[:, :, favourable], float(expected[favourable])
    if favourable == 1:
        return raw, float(expected[0])
    return -raw, (1.0 - float(expected[0])) if output == PROBABILITY else -float(expected[0])


def _split(model) -> tuple[object | None, object]:
    """(preprocessing or None, final estimator) of a model or Pipeline."""
    if isinstance(model, Pipeline):
        final = model.steps[-1][1]
        return (model[:-1] if len(model.steps) > 1 else None), final
    return None, model


def _owners(preprocess, features: list[str], width: int) -> np.ndarray:
    """Index in ``features`` of the original column behind each transformed column (-1: none)."""
    if preprocess is None:
        if width != len(features):
            raise _Unsupported(f"the estimator takes {width} inputs, the runner names {len(features)} columns")
        return np.arange(len(features))
    if len(preprocess.steps) != 1:
        raise _Unsupported("several preprocessing steps: transformed columns are not mapped to original ones")
    step = preprocess.steps[0][1]
    if not isinstance(step, ColumnTransformer):
        return np.asarray(_block_owners(step, features, width, features))
    names_in = [str(name) for name in getattr(step, "feature_names_in_", features)]
    owners = np.full(sum(s.stop - s.start for s in step.output_indices_.values()), -1)
    for name, transformer, columns in step.transformers_:
        block = step.output_indices_.get(name, slice(0, 0))
        if transformer == "drop" or block.stop == block.start:
            continue
        inputs = _column_names(columns, names_in)
        owners[block] = _block_owners(transformer, inputs, block.stop - block.start, features)
    if width not in (-1, owners.size):
        raise _Unsupported(f"the estimator takes {width} inputs, the ColumnTransformer makes {owners.size}")
    return owners


def _block_owners(transformer, inputs: list[str], width: int, features: list[str]) -> list[int]:
    """Owners of one transformer's output block (see the module docstring for the rule)."""
    unknown = [name for name in inputs if name not in features]
    if unknown:
        raise _Unsupported(f"preprocessing reads columns {unknown} that are not model features")
    if len(inputs) == 1:
        return [features.index(inputs[0])] * width
    try:
        names = list(inputs) if transformer == "passthrough" else list(transformer.get_feature_names_out(inputs))
    except Exception as error:  # any transformer without (working) feature names
        raise _Unsupported(f"{type(transformer).__name__} does not name its output columns: {error}") from error
    if len(names) != width:
        raise _Unsupported(f"{type(transformer).__name__} names {len(names)} columns but makes {width}")
    owners = []
    for name in map(str, names):
        matches = [c for c in inputs if name == c or name.startswith(c + "_")]
        if not matches:
            raise _Unsupported(f"output column {name!r} of {type(transformer).__name__} maps to no input column")
        owners.append(features.index(max(matches, key=len)))
    return owners


def _column_names(columns, names_in: list[str]) -> list[str]:
    """A fitted ColumnTransformer's column selection as column names."""
    if isinstance(columns, str):
        return [columns]
    if isinstance(columns, int | np.integer):
        return [names_in[int(columns)]]
    if isinstance(columns, slice):
        return names_in[columns]
    selected = list(columns)
    if selected and all(isinstance(item, bool | np.bool_) for item in selected):
        return [name for name, keep in zip(names_in, selected, strict=True) if keep]
    return [names_in[int(item)] if isinstance(item, int | np.integer) else str(item) for item in selected]


def _owner_matrix(owners: np.ndarray, n_features: int) -> np.ndarray:
    matrix = np.zeros((owners.size, n_features))
    mapped = owners >= 0
    matrix[np.flatnonzero(mapped), owners[mapped]] = 1.0
    return matrix


def _dense(matrix) -> np.ndarray:
    dense = matrix.toarray() if hasattr(matrix, "toarray") else matrix
    return np.asarray(dense, dtype=np.float64)


def _logit(p: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore"):
        return np.log(p) - np.log1p(-p)


def _permutation_values(runner, rows, background, features, *, seed: int, chunk: int, progress: Progress):
    """PermutationExplainer values ``(n, features)`` and base values ``(n,)`` over P(favourable).

    shap seeds numpy's *global* generator in the explainer's constructor and shuffles with it; one explainer per chunk,
    seeded from (seed, chunk), keeps the result independent of anything else using that generator, and the caller's
    global state is put back afterwards.
    """
    codec = _Codec(pd.concat([rows[features], background[features]], ignore_index=True))

    def predict(codes: np.ndarray) -> np.ndarray:
        return runner.scores(codec.decode(codes))

    masker = shap.maskers.Independent(codec.encode(background[features]), max_samples=len(background))
    encoded = codec.encode(rows[features])
    state = np.random.get_state()
    values, base = [], []
    try:
        for number, start in enumerate(range(0, len(rows), chunk)):
            chunk_seed = int(np.random.SeedSequence([int(seed), 1, number]).generate_state(1)[0])
            explainer = shap.PermutationExplainer(predict, masker, seed=chunk_seed, feature_names=features)
            explanation = explainer(encoded[start : start + chunk], max_evals="auto", silent=True)
            values.append(np.asarray(explanation.values, dtype=np.float64))
            base.append(np.asarray(explanation.base_values, dtype=np.float64).reshape(-1))
            progress(min(start + chunk, len(rows)), len(rows))
    finally:
        np.random.set_state(state)
    if not values:
        return np.empty((0, len(features))), np.empty(0)
    return np.concatenate(values), np.concatenate(base)


class _Codec:
    """Numeric stand-ins for a frame's columns: numbers as float64, anything else as the index of its value."""

    def __init__(self, frame: pd.DataFrame) -> None:
        self.columns = list(frame.columns)
        self.dtypes = frame.dtypes
        self.uniques: dict[str, object] = {}
        for column in self.columns:
            series = frame[column]
            if not pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series):
                # A missing value gets a code of its own, so it is masked and restored like any other value.
                self.uniques[column] = pd.factorize(series, use_na_sentinel=False)[1]

    def encode(self, frame: pd.DataFrame) -> np.ndarray:
        out = np.empty((len(frame), len(self.columns)))
        for j, column in enumerate(self.columns):
            if column in self.uniques:
                out[:, j] = pd.Index(self.uniques[column]).get_indexer(frame[column])
            else:
                out[:, j] = frame[column].to_numpy(dtype=np.float64, na_value=np.nan)
        return out

    def decode(self, codes: np.ndarray) -> pd.DataFrame:
        data = {}
        for j, column in enumerate(self.columns):
            if column in self.uniques:
                values = pd.Series(np.asarray(self.uniques[column], dtype=object)[codes[:, j].astype(np.int64)])
            else:
                values = pd.Series(codes[:, j])
            data[column] = values.astype(self.dtypes[column])
        return pd.DataFrame(data)
