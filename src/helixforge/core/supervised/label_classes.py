"""Classes of a separate validation / test file matched to the training file's classes.

`helix lm finetune` and `helix dna train` read `--valid` / `--test` files apart from the
training file and clean each file's labels alone. Their labels were then pooled as they were
spelled, so a test file that wrote a class another way ('Pos' for 'pos', 'pos'/'neg' for 1/0)
or held a class the training file lacks (a three-class test file for a binary model) turned
the task into a classification with classes no training row has (binary → four classes), and
the run failed while drawing its report. `align_part_classes` matches each label of such a
file to the training classes with `core.supervised.class_key` (numbers and numeric text alike,
true/false, text in any case and spacing), rewrites it in the training file's spelling, and
sends a row whose label is no training class to the errors table; a file none of whose labels
is a training class is an error naming the file.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from helixforge.core.errors import ConfigError, RowErrors

CLASSIFICATION = ("binary", "multiclass", "classification")


def training_task(task: str, train_labels: Sequence[Any]) -> str:
    """The task of one label column as the training file alone gives it ('auto' detected)."""
    from helixforge.core.supervised import detect_task

    if task != "auto":
        return task
    try:
        return detect_task(list(train_labels))
    except ConfigError:
        return "regression"  # not classes; the run's own task check reports it


def _present(values: Sequence[Any]) -> list[Any]:
    return [v for v in values if v is not None and not (isinstance(v, float) and np.isnan(v))
            and str(v).strip()]  # fmt: skip


def align_part_classes(
    train_labels: Sequence[Any],
    part_labels: Sequence[Any],
    *,
    task: str,
    rows: Sequence[int],
    source: str,
    column: str,
    errors: RowErrors,
    option: str = "--valid / --test",
) -> tuple[np.ndarray, list[Any]]:
    """(mask of the rows of a separate file to keep, its labels in the training spelling).

    `task`: the column's task ('auto' is detected on `train_labels`); regression keeps every
    row as it is. `rows`: each label's file line, for `errors` (file `source`, `column`).
    Missing labels are kept as missing. Raises `ConfigError` when the file has labels and none
    of them is a training class."""
    from helixforge.core.supervised.tasks import class_indices, class_key, class_name

    labels = list(part_labels)
    keep = np.ones(len(labels), dtype=bool)
    present = _present(train_labels)
    counts: dict[Any, int] = {}
    for v in present:
        counts[v] = counts.get(v, 0) + 1
    spelling: dict[Any, Any] = {}
    for v in sorted(counts, key=lambda v: -counts[v]):  # as the training file mostly spells it
        spelling.setdefault(class_key(v), v)
    canonical = [spelling[class_key(v)] for v in present]
    if training_task(task, canonical) not in CLASSIFICATION or not labels:
        return keep, labels
    classes = list(spelling.values())
    idx, unknown = class_indices(labels, classes)
    if not unknown.any():
        return keep, [classes[int(i)] if np.isfinite(i) else v for i, v in zip(idx, labels)]
    shown = ", ".join(sorted(class_name(c) for c in classes)[:10])
    if not np.isfinite(idx).any():
        found = sorted({class_name(v) for v, u in zip(labels, unknown) if u})
        raise ConfigError(
            f"{option} {source}: none of its labels in {column!r} ({', '.join(found[:10])}) is a "
            f"class of the training data ({shown})",
            hint="spell the classes as the training file does (or check that the file belongs "
            "to the same task)",
        )
    out = []
    for i, (j, v, u) in enumerate(zip(idx, labels, unknown)):
        if u:
            keep[i] = False
            errors.add(int(rows[i]), column, class_name(v), f"label {class_name(v)!r} is not a "
                       f"class of the training data ({shown}); row skipped")  # fmt: skip
        out.append(classes[int(j)] if np.isfinite(j) else v)
    return keep, out
