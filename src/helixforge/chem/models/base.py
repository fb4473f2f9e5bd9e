"""The interface every molecular property model implements (GBM, D-MPNN, fine-tuned LMs).

Shapes: `y` is a float array (n_molecules, n_tasks) with NaN where a label is missing
(Tox21-style). `task_types[j]` is "regression" or "binary" for column j. `predict` returns the
same shape: values for regression tasks, P(label = 1) for binary ones. Multiclass is a single
task whose labels are 0..k-1; `predict_proba` then returns (n, k) and `predict` the argmax.

Models receive SMILES that `helixforge.chem.standardize` has already cleaned; they must not fail
on a valid RDKit molecule. `save(dir)` writes a directory readable without pickles (LightGBM text
models, safetensors, JSON); `load(dir)` is a classmethod returning a ready model.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Protocol, runtime_checkable

import numpy as np


@runtime_checkable
class PropertyModel(Protocol):
    name: str

    def fit(
        self,
        smiles: Sequence[str],
        y: np.ndarray,
        task_types: Sequence[str],
        *,
        valid: tuple[Sequence[str], np.ndarray] | None = None,
        seed: int = 0,
    ) -> PropertyModel:
        """Train. `valid` (when given) is for early stopping only, never for fitting."""
        ...

    def predict(self, smiles: Sequence[str]) -> np.ndarray:
        """(n, n_tasks) predictions: values (regression) or probabilities of class 1 (binary)."""
        ...

    def save(self, path: str | os.PathLike) -> None: ...

    @classmethod
    def load(cls, path: str | os.PathLike) -> PropertyModel: ...
