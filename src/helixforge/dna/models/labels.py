"""Label handling shared by the DNA estimators: one spelling per class, one class order.

`plain_label` makes '1', 1 and 1.0 the same class; `encode_labels` maps labels to class
indices (classification) or floats (regression), fixing the class list on the first call.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from helixforge.core.errors import InputError

TASKS = ("binary", "multiclass", "regression")


def plain_label(v: Any) -> Any:
    """numpy scalars → Python; integral floats → int (so labels '1', 1 and 1.0 agree)."""
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, str):
        s = v.strip()
        try:
            f = float(s)
            return int(f) if f.is_integer() else f
        except ValueError:
            return s
    if isinstance(v, float) and v.is_integer():
        return int(v)
    return v


def label_sort_key(v: Any) -> tuple[int, Any]:
    """Numbers first (numerically), then text."""
    return (0, v) if isinstance(v, int | float) else (1, str(v))


def class_list(task: str, labels) -> list[Any]:
    """The sorted classes of a classification task; checks binary has exactly two."""
    classes = sorted({plain_label(v) for v in labels}, key=label_sort_key)
    if task == "binary" and len(classes) != 2:
        raise InputError(
            f"binary task needs exactly 2 label values, found {len(classes)}: {classes[:10]}",
            hint="use --task multiclass (or regression for numeric targets)",
        )
    if task == "multiclass" and len(classes) < 2:
        raise InputError(f"multiclass task found only {len(classes)} label value(s)")
    return classes


def class_indices(labels, classes: list[Any]) -> np.ndarray:
    """Class index of every label; unseen labels raise an `InputError` listing the known ones."""
    index = {c: i for i, c in enumerate(classes)}
    plain = [plain_label(v) for v in labels]
    unknown = sorted({v for v in plain if v not in index}, key=label_sort_key)
    if unknown:
        raise InputError(
            f"labels {unknown[:5]} were not seen in training", hint=f"known labels: {classes}"
        )
    return np.array([index[v] for v in plain], dtype=np.int64)


def regression_targets(y) -> np.ndarray:
    """Float targets; NaN or infinite values raise (readers send those rows to errors first)."""
    yf = np.asarray(y, dtype=float)
    if not np.all(np.isfinite(yf)):
        raise InputError(
            "regression targets contain NaN or infinite values", hint="drop or fix those rows"
        )
    return yf
