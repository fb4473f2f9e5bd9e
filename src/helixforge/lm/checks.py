"""Checks made before any work starts, shared by `helix lm` and `helix chem` (chem sits above
lm): a labelled table there is nothing to learn from, and a malformed --device.

They belong in core (`core.supervised.train_supervised`, `core.training.resolve_device`);
they live here until core takes them.
"""

from __future__ import annotations

import re

from helixforge.core.errors import ConfigError, NoUsableRowsError

MIN_TRAIN_ROWS = 10


def check_learnable(data, source: str, label_option: str = "--label-col") -> None:
    """Raise a clear error when `data` (a `LabelledData`) has fewer than `MIN_TRAIN_ROWS`
    distinct usable inputs, or a target whose usable labels all have one value (a constant
    column, or a single class in a classification task)."""
    import numpy as np

    n = len(data.inputs)
    if n < MIN_TRAIN_ROWS:
        raise NoUsableRowsError(
            f"{source}: only {n} distinct usable input(s) after cleaning "
            f"({len(data.errors)} row problem(s) recorded); training needs at least "
            f"{MIN_TRAIN_ROWS} for the train, validation and test parts",
            hint="add rows, or check the input and label columns",
        )
    y = np.asarray(data.y, dtype=float).reshape(n, -1)
    for j, target in enumerate(data.targets):
        values = np.unique(y[:, j][~np.isnan(y[:, j])])
        if len(values) == 1:
            classes = (data.classes or {}).get(target)
            shown = classes[int(values[0])] if classes else values[0]
            raise ConfigError(
                f"{label_option} {target}: every usable row of {source} has the same label "
                f"({shown!r}); there is nothing to learn",
                hint="check the label column; a classifier needs at least two classes",
            )


DEVICE_PATTERN = re.compile(r"auto|cpu|mps|cuda(:\d+)?")


def require_device(spec: str, option: str = "--device") -> str:
    """`spec` if it is auto, cpu, mps, cuda or cuda:N; otherwise a ConfigError (before work)."""
    if not isinstance(spec, str) or not DEVICE_PATTERN.fullmatch(spec.strip()):
        raise ConfigError(
            f"{option} {spec!r} is not a device", hint="use auto, cpu, cuda, cuda:N or mps"
        )
    return spec.strip()


TABLE_SUFFIXES = (".csv", ".tsv", ".tab", ".txt", ".parquet", ".pq")


def require_table_suffix(path, option: str = "--out") -> None:
    """Refuse an output table name whose format we do not write (.xlsx, .json …): it would
    otherwise get CSV text under a misleading name."""
    from pathlib import Path

    if Path(str(path)).is_dir():
        return  # check_output names that problem
    name = Path(str(path)).name.lower().removesuffix(".gz")
    if not name.endswith(TABLE_SUFFIXES):
        raise ConfigError(
            f"{option} {path}: unknown table format {Path(name).suffix or '(no suffix)'!r}",
            hint="name the output .csv, .tsv or .parquet (.gz allowed for csv/tsv)",
        )
