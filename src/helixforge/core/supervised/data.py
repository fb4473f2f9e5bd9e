"""`LabelledData`: what a domain reader hands to `train_supervised`."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from helixforge.core.errors import RowErrors

# (model, row positions) → that model's precomputed feature rows, or None to let it featurize
FeatureSource = Callable[[Any, np.ndarray], "np.ndarray | None"]
# (inputs, folder, train positions or None, features or None) → extra prediction columns
# (e.g. an applicability-domain flag). With train positions (training) it fits and saves its
# state into the folder; with None (prediction) it loads it from the run directory.
ExtraColumns = Callable[
    [Sequence[str], Path, "np.ndarray | None", "np.ndarray | None"], dict[str, np.ndarray]
]


@dataclass
class LabelledData:
    """A cleaned, labelled table, one row per model input.

    frame:   the input's columns (plus any the domain adds), index = file line number
    inputs:  the model inputs, aligned with `frame` (canonical SMILES, upper-case sequences …)
    y:       (n, T) float labels, NaN = missing; classes encoded as indices (`encode_labels`)
    targets: the label column names; task_types and classes as `resolve_tasks`/`encode_labels`
    errors:  rows of the input that were rejected (file, line, column, reason)
    split_args: keyword arguments for splitters (e.g. {"smiles": …}, {"groups": …})
    valid_splitter: splitter that carves a validation part from a predefined split without one
    features: optional precomputed features (see `FeatureSource`)
    tables:  extra tables written into the run directory ({"conflicts.csv": frame})
    notes:   sentences for metrics.json, the report and the card
    source:  the input file (its sha256 goes into versions.json), or None for a DataFrame
    """

    frame: pd.DataFrame
    inputs: list[str]
    y: np.ndarray
    targets: list[str]
    task_types: list[str]
    errors: RowErrors
    classes: dict[str, list[Any]] = field(default_factory=dict)
    split_args: dict[str, Any] = field(default_factory=dict)
    valid_splitter: str = "random"
    features: FeatureSource | None = None
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    source: str | None = None
    input_col: str = "input"

    def __post_init__(self) -> None:
        self.y = np.asarray(self.y, dtype=float)
        if self.y.ndim == 1:
            self.y = self.y[:, None]
        if not (len(self.frame) == len(self.inputs) == len(self.y)):
            raise ValueError(
                f"LabelledData: frame ({len(self.frame)}), inputs ({len(self.inputs)}) and "
                f"y ({len(self.y)}) must have the same number of rows"
            )
        if self.y.shape[1] != len(self.targets) or len(self.task_types) != len(self.targets):
            raise ValueError("LabelledData: y columns, targets and task_types must match")

    def __len__(self) -> int:
        return len(self.inputs)
