"""Targets for the DNA estimators, in the supervised layer's encoding (`core.supervised`).

Through `helix dna train` the estimators receive what every estimator receives: a float
(n, 1) matrix of class indices 0..k-1 (binary, multiclass) or values (regression), encoded
by `core.supervised.encode_labels`; the classes themselves live in the run's config.json.
Called directly with raw labels (`model.fit(seqs, labels)`), `encode_direct` encodes them
by the same rule, so both paths give the same indices and classes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from helixforge.core.errors import ConfigError, InputError

TASKS = ("binary", "multiclass", "regression")


def single_task(task_types: Sequence[str]) -> str:
    """The one task of a DNA estimator (one output head); more targets are a ConfigError."""
    types = list(task_types)
    if len(types) != 1 or types[0] not in TASKS:
        raise ConfigError(
            f"DNA sequence models take one target, got task types {types}",
            hint="give one --label-col",
        )
    return types[0]


def encoded_column(y: Any, n: int) -> np.ndarray:
    """The first column of an encoded (n, T) or (n,) label array, as float; NaN is refused."""
    col = np.asarray(y, dtype=float).reshape(n, -1)[:, 0]
    if not np.all(np.isfinite(col)):
        raise InputError("labels contain NaN or infinite values", hint="drop or fix those rows")
    return col


def index_classes(*columns: np.ndarray) -> list[int]:
    """Classes 0..k-1 of encoded index columns (k = the largest index seen + 1)."""
    top = max((int(np.max(c)) for c in columns if len(c)), default=1)
    return list(range(max(top + 1, 2)))


def encode_direct(
    task: str, y: Any, valid_y: Any = None
) -> tuple[np.ndarray, np.ndarray | None, list[Any] | None]:
    """Raw labels (and validation labels) → float indices / values and the classes, by the
    supervised layer's rule (sorted classes; a declared task the labels contradict is a
    ConfigError). Missing or non-finite labels and unseen validation classes are InputErrors."""
    import pandas as pd

    from helixforge.core.supervised import encode_labels, resolve_tasks

    frame = pd.DataFrame({"y": list(y)}, dtype=object)
    resolve_tasks(task, frame, ["y"])
    enc, classes = encode_labels(frame, ["y"], [task])
    train = encoded_column(enc, len(frame))
    cls = classes.get("y")
    if valid_y is None:
        return train, None, cls
    vframe = pd.DataFrame({"y": list(valid_y)}, dtype=object)
    if cls is None:
        venc = encode_labels(vframe, ["y"], [task])[0]
        return train, encoded_column(venc, len(vframe)), None
    venc, vclasses = encode_labels(vframe, ["y"], ["multiclass"])  # indices into its own classes
    seen = vclasses.get("y", [])
    unseen = [c for c in seen if c not in cls]
    if unseen:
        raise InputError(f"validation labels {unseen[:5]} were not seen in training")
    lookup = {c: i for i, c in enumerate(cls)}
    mapped = [lookup[seen[int(i)]] for i in encoded_column(venc, len(vframe))]
    return train, np.asarray(mapped, dtype=float), cls
