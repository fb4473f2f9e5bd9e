"""Checks made before any work starts, shared by `helix lm` and `helix chem` (chem sits above
lm): an output table name we do not write, and a malformed --device.

`require_device` lives in `core.options` and is re-exported here for the CLI modules;
`check_learnable` lives in `core.supervised.tasks`.
"""

from __future__ import annotations

from helixforge.core.errors import ConfigError
from helixforge.core.options import require_device  # noqa: F401

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
