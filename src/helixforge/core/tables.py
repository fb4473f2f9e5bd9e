"""Read and write tables: CSV, TSV, SMI, Parquet, optionally gzipped; atomic writes.

`read_table` detects the format from the suffix and the delimiter from the content, and turns
every way a file can be unusable (missing, empty, wrong delimiter, missing column) into a
`HelixError` that names the file and says what to do.
"""

from __future__ import annotations

import csv
import os
import re
import struct
import warnings
import zlib
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from helixforge.core.errors import ColumnNotFoundError, EmptyInputError, InputError

# Data rows start on line 2 of a file with a header; reported row numbers are file line numbers.
HEADER_LINES = 1


def _strip_gz(path: Path) -> str:
    name = path.name.lower()
    return name[:-3] if name.endswith(".gz") else name


def table_format(path: str | os.PathLike) -> str:
    """'parquet', 'tsv', 'csv' or 'smi', from the file name."""
    name = _strip_gz(Path(path))
    if name.endswith((".parquet", ".pq")):
        return "parquet"
    if name.endswith((".tsv", ".tab")):
        return "tsv"
    if name.endswith((".smi", ".smiles")):
        return "smi"
    return "csv"


def _open_text(path: Path):
    from helixforge.core.io import open_text

    return open_text(path)


def _sniff_delimiter(path: Path, default: str) -> str:
    with _open_text(path) as fh:
        sample = fh.read(64_000)
    first = sample.splitlines()[0] if sample else ""
    counts = {d: first.count(d) for d in [",", "\t", ";", "|"]}
    best = max(counts, key=counts.get)
    if counts[best] == 0:
        return default
    if counts.get(default, 0) > 0:
        return default
    return best


def read_table(
    path: str | os.PathLike,
    columns: Sequence[str] | None = None,
    sep: str | None = None,
    dtype: dict | type | None = None,
) -> pd.DataFrame:
    """Read a table; `columns` must exist (the error lists those present).

    The index of the returned frame is the file line number of each data row (header = line 1),
    so row errors can point at the line a user opens in an editor.
    """
    p = Path(path)
    if not p.exists():
        raise InputError(
            f"{p}: file not found",
            hint="check the path (relative paths start at the current directory)",
        )
    if p.is_dir():
        raise InputError(f"{p}: is a directory, expected a table file")
    if p.stat().st_size == 0:
        raise EmptyInputError(
            f"{p}: file is empty", hint="the file needs a header line and at least one data row"
        )
    fmt = table_format(p)
    try:
        if fmt == "parquet":
            df = pd.read_parquet(p)
        elif fmt == "smi":
            df = _read_smi(p)
        else:
            default = "\t" if fmt == "tsv" else ","
            delim = sep or _sniff_delimiter(p, default)
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always", pd.errors.ParserWarning)
                df = pd.read_csv(
                    p,
                    sep=delim,
                    dtype=dtype if dtype is not None else str,
                    keep_default_na=False,
                    na_values=[""],
                    compression="infer",
                    engine="c",
                    on_bad_lines="warn",
                    skip_blank_lines=False,  # keeps row numbers true; blank rows dropped below
                    quoting=csv.QUOTE_MINIMAL,
                )
            skipped = _skipped_lines(caught)
    except pd.errors.EmptyDataError as exc:
        raise EmptyInputError(
            f"{p}: no header or data", hint="the file needs a header line and at least one data row"
        ) from exc
    except (EOFError, zlib.error, struct.error) as exc:
        raise InputError(
            f"{p}: the compressed file is truncated or corrupt ({type(exc).__name__}: {exc})",
            hint="re-download or re-compress the file (gzip -t FILE checks it)",
        ) from None
    except (UnicodeDecodeError, OSError, ValueError, pd.errors.ParserError) as exc:
        raise InputError(
            f"{p}: could not be read as {fmt.upper()}: {exc}", hint="check the format and delimiter"
        ) from exc
    df.columns = [str(c).strip() for c in df.columns]
    if len(df) == 0:
        raise EmptyInputError(
            f"{p}: has a header but no data rows", hint="add data rows below the header"
        )
    if fmt not in ("parquet", "smi"):
        df.index = _line_numbers(len(df), skipped)
        df = df[~df.isna().all(axis=1)]  # blank lines
        if len(df) == 0:
            raise EmptyInputError(f"{p}: has a header but no usable data rows")
        # Lines the parser could not split into the header's columns: callers add these to
        # their errors table (`skipped_line_errors`); nothing is dropped silently.
        df.attrs["skipped_lines"] = skipped
    if columns:
        require_columns(df, columns, p)
    return df


def _skipped_lines(caught) -> dict[int, str]:
    """{line: reason} from pandas' 'Skipping line N: expected X fields, saw Y' warnings."""
    out: dict[int, str] = {}
    for w in caught:
        for m in re.finditer(r"Skipping line (\d+): ([^\n]+)", str(w.message)):
            out[int(m.group(1))] = m.group(2).strip()
    return out


def _line_numbers(n_rows: int, skipped: dict[int, str]) -> pd.Index:
    """File line numbers of the rows pandas kept (header = line 1, skipped lines left out).
    Quoted fields spanning several lines make this approximate after them."""
    lines: list[int] = []
    line = HEADER_LINES + 1
    while len(lines) < n_rows:
        if line not in skipped:
            lines.append(line)
        line += 1
    return pd.Index(lines)


def skipped_line_errors(df: pd.DataFrame, file: str | os.PathLike) -> list:
    """RowErrors for the lines `read_table` could not parse (wrong number of fields)."""
    from helixforge.core.errors import RowError

    return [
        RowError(str(file), line, None, None, f"line has the wrong number of fields ({why})")
        for line, why in sorted(df.attrs.get("skipped_lines", {}).items())
    ]


def _read_smi(p: Path) -> pd.DataFrame:
    """A .smi file: `SMILES [name]` per line, no header unless the first token is 'smiles'."""
    rows = []
    with _open_text(p) as fh:
        for line in fh:
            parts = line.strip().split(None, 1)
            if parts:
                rows.append(parts if len(parts) == 2 else [parts[0], ""])
    if not rows:
        raise EmptyInputError(f"{p}: no SMILES lines")
    has_header = rows[0][0].lower() in {"smiles", "smi"}
    if has_header:
        rows = rows[1:]
    df = pd.DataFrame(rows, columns=["smiles", "name"])
    df.index = pd.RangeIndex(1 + has_header, 1 + has_header + len(df))
    return df


def require_columns(
    df: pd.DataFrame, columns: Sequence[str], source: str | os.PathLike | None = None
) -> None:
    """Raise `ColumnNotFoundError` naming every missing column and listing those present."""
    missing = [c for c in columns if c not in df.columns]
    if missing:
        if len(df.columns) == 1 and any(d in str(df.columns[0]) for d in ",;\t|"):
            raise InputError(
                f"{source}: only one column {df.columns[0]!r} was found; the delimiter looks wrong",
                hint="save the file as comma- or tab-separated, or pass the delimiter explicitly",
            )
        raise ColumnNotFoundError(missing, df.columns, source)


def atomic_path(path: str | os.PathLike):
    """Yield a temporary path beside `path`; on success fsync and rename it into place."""
    from helixforge.core.io import atomic_file

    return atomic_file(path)


def write_table(df: pd.DataFrame, path: str | os.PathLike, index: bool = False) -> Path:
    """Write a table atomically; format from the suffix (csv, tsv, parquet; .gz compresses)."""
    dest = Path(path)
    fmt = table_format(dest)
    with atomic_path(dest) as tmp:
        if fmt == "parquet":
            df.to_parquet(tmp, index=index)
        else:
            sep = "\t" if fmt == "tsv" else ","
            comp = "gzip" if dest.name.lower().endswith(".gz") else None
            df.to_csv(tmp, sep=sep, index=index, compression=comp)
    return dest


def write_text(text: str, path: str | os.PathLike) -> Path:
    """Write a text file atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(path)


def to_numeric_column(df: pd.DataFrame, column: str) -> tuple[pd.Series, pd.Series]:
    """Parse a column as float. Returns (values with NaN for blanks/bad, mask of non-blank unparsable)."""
    raw = df[column]
    values = pd.to_numeric(raw, errors="coerce")
    blank = raw.isna() | raw.astype(str).str.strip().isin(
        ["", "nan", "NaN", "NA", "N/A", "null", "None"]
    )
    bad = values.isna() & ~blank
    return values.astype(float), bad
