"""Checks made before any work starts, shared by `helix lm` and `helix chem` (chem sits above
lm): a labelled table there is nothing to learn from, and a malformed --device.

`check_learnable` now lives in `core.supervised.tasks` (every training verb runs it) and
`require_device` in `core.options`; both are re-exported here for existing callers.
"""

from __future__ import annotations

from helixforge.core.errors import ConfigError
from helixforge.core.options import require_device  # noqa: F401


def check_learnable(data, source: str, label_option: str = "--label-col") -> None:
    """`core.supervised.tasks.check_learnable`, imported lazily (the CLI imports this module
    at start-up and must not pull in NumPy / pandas)."""
    from helixforge.core.supervised.tasks import check_learnable as check

    check(data, source, label_option)


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
