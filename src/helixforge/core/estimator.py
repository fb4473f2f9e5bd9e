"""The model protocol every supervised model implements, in every domain.

An estimator learns from a list of inputs (SMILES, DNA sequences, spacers — any strings) and
a float label matrix, and predicts the same shape back:

    model.fit(X, y, task_types, valid=(X_valid, y_valid), seed=0)   # returns the model
    P = model.predict(X_new)            # (n, n_tasks) float
    model.save("run/model/member_0")    # a folder of data files
    same = type(model).load("run/model/member_0")

Shapes and meaning:

* `y` is float (n, n_tasks) with NaN where a label is missing (multi-task, Tox21-style).
  `task_types[j]` is "regression", "binary" or "multiclass" for column j. Binary labels are
  0.0 / 1.0; multiclass labels are class indices 0..k-1 (the supervised layer encodes text or
  numeric classes to indices, see `helixforge.core.supervised.tasks`). A multiclass task is
  always the only task.
* `predict(X)` returns (n, n_tasks): the value for a regression task, P(label = 1) for a binary
  task, and the predicted class index (argmax) for a multiclass task.
* `predict_proba(X)` (needed for multiclass) returns (n, k) class probabilities of the single
  multiclass task; for other tasks it may return what `predict` does.
* `valid` is for early stopping only, never for fitting (a model may refit on train + valid
  after early stopping; it then exposes `valid_pred_`, its out-of-sample predictions of the
  valid rows per task, so calibration stays honest).

Optional, for models that consume a precomputed feature matrix (the chem GBM): a class
attribute `uses_features = True`, `fit(..., features=, valid_features=)` and
`predict_proba_tasks(X, features=)` → list per task of (n,) or (n, k). The supervised layer
then featurizes once per run instead of once per ensemble member.

A model folder is data: `load` reads weights and JSON (LightGBM text, safetensors,
save_pretrained), never pickles, never code from the folder.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Protocol, runtime_checkable

import numpy as np

TASK_TYPES = ("regression", "binary", "multiclass")


@runtime_checkable
class Estimator(Protocol):
    """fit / predict / save / load on a list of string inputs and an (n, tasks) label matrix."""

    name: str

    def fit(
        self,
        X: Sequence[str],
        y: np.ndarray,
        task_types: Sequence[str],
        *,
        valid: tuple[Sequence[str], np.ndarray] | None = None,
        seed: int = 0,
    ) -> Estimator:
        """Train. `valid` (when given) is for early stopping only."""
        ...

    def predict(self, X: Sequence[str]) -> np.ndarray:
        """(n, n_tasks): values (regression), P(1) (binary), class index (multiclass)."""
        ...

    def save(self, path: str | os.PathLike) -> None:
        """Write the trained model as data files into the folder `path`."""
        ...

    @classmethod
    def load(cls, path: str | os.PathLike) -> Estimator:
        """A ready model from a folder written by `save` (no code executed from it)."""
        ...


def task_outputs(
    model: Estimator,
    X: Sequence[str],
    task_types: Sequence[str],
    features: np.ndarray | None = None,
) -> list[np.ndarray]:
    """Per task: (n,) values / P(1), or (n, k) class probabilities for a multiclass task."""
    if features is not None and uses_features(model):
        return list(model.predict_proba_tasks(X, features=features))  # type: ignore[attr-defined]
    if any(t == "multiclass" for t in task_types):
        return [np.asarray(model.predict_proba(X), dtype=float)]  # type: ignore[attr-defined]
    pred = np.asarray(model.predict(X), dtype=float)
    if pred.ndim == 1:
        pred = pred[:, None]
    return [pred[:, j] for j in range(len(task_types))]


def uses_features(model: object) -> bool:
    """True when `model` takes precomputed features (`predict_proba_tasks(X, features=)`)."""
    return bool(getattr(model, "uses_features", hasattr(model, "predict_proba_tasks")))


def check_not_diverged_outputs(
    module, history: list[dict[str, float]], lr: float, option: str = "--lr"
) -> None:
    """Refuse a model that diverged where the trainer's check does not look: weights that grew
    huge but stayed finite (the validation loss is NaN because the outputs overflow) or batch-norm
    running statistics (buffers, not parameters) that are not finite. Such a run was saved, with
    NaN metrics and an empty probability column for every row."""
    import math

    from helixforge.core.errors import ConfigError

    bad = [
        name
        for name, t in module.state_dict().items()
        if t.is_floating_point() and not bool(t.isfinite().all())
    ]
    losses = [row.get("valid_loss") for row in history if row.get("valid_loss") is not None]
    if bad or (losses and not any(math.isfinite(x) for x in losses)):
        what = f"e.g. {bad[0]} is not finite" if bad else "the validation loss is NaN"
        raise ConfigError(
            f"training diverged: the model's outputs are no longer numbers ({what}; learning "
            f"rate {lr:g})",
            hint=f"lower {option} (e.g. 10× smaller), or check the labels for extreme values",
        )
