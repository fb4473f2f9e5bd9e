"""Read and write tables: CSV, TSV, SMI, Parquet, optionally gzipped; atomic writes.

The one reader rule: every data record of an input ends up either as a row of the frame
`read_table` returns or as an error with its file line number. Give `read_table` a
`RowErrors` collector (``read_table(path, errors=errs)``) and the records it could not turn
into rows (wrong number of fields, broken quoting, every field empty, bytes that are not
UTF-8 or NUL: see `core.table_reader`) are recorded there; without one they wait in
``df.attrs["skipped_lines"]`` for `skipped_line_errors`.
``df.attrs["rows_in"]`` counts the data records read, so a verb can check
``rows_in == rows_out + rows_in_errors``. Large inputs are read in bounded memory with
`iter_table`, which yields `TableChunk(frame, errors)` pairs with the same line numbers.

Values are strings; an unquoted empty field is missing (NaN), a quoted empty one (``""``)
stays the value ``""`` so the domain can reject it with a row error. The frame's index is
the file line number of each row (header = line 1; a quoted field spanning lines is counted
as it is in an editor); for Parquet it is the row number, 1 = first row.
"""

from __future__ import annotations

import gzip
import io
import os
import re
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO, NamedTuple

import pandas as pd

from helixforge.core.errors import (
    ColumnNotFoundError,
    ConfigError,
    EmptyInputError,
    InputError,
    RowError,
    RowErrors,
)
from helixforge.core.table_reader import (
    BadLine,
    SmiTable,
    TextTable,
    excel_sep_line,
    read_sample,
    sniff_delimiter,
)

# Data rows start on line 2 of a file with a header; reported row numbers are file line numbers.
HEADER_LINES = 1
_EMPTY_HINT = "the file needs a header line and at least one data row"


class TableChunk(NamedTuple):
    """One chunk from `iter_table`: rows (index = file line numbers) and the records of the
    same stretch of the file that could not be read as rows."""

    frame: pd.DataFrame
    errors: RowErrors


def _strip_gz(path: Path) -> str:
    name = path.name.lower()
    return name[:-3] if name.endswith(".gz") else name


# Formats people name tables with that are not read or written as tables here.
OTHER_FORMATS = {
    ".xlsx": "an Excel workbook", ".xls": "an Excel workbook", ".ods": "a spreadsheet",
    ".json": "JSON", ".jsonl": "JSON lines", ".sdf": "an SD file", ".mol": "a MOL file",
    ".mol2": "a MOL2 file", ".npy": "a NumPy array", ".npz": "a NumPy archive",
    ".pkl": "a pickle", ".pickle": "a pickle", ".h5": "HDF5", ".hdf5": "HDF5",
    ".feather": "Feather", ".html": "HTML", ".pdf": "PDF",
}  # fmt: skip


def other_format(path: str | os.PathLike) -> str | None:
    """What a file name says it is, when that is a format other than a table we handle."""
    return OTHER_FORMATS.get(Path(_strip_gz(Path(path))).suffix)


def require_table_name(path: str | os.PathLike, option: str, *, reading: bool) -> None:
    """Refuse a file named as a spreadsheet / JSON / SD file … before any work."""
    kind = other_format(path)
    if kind:
        what = "read as a table" if reading else "written as a table"
        raise ConfigError(
            f"{option} {path}: {kind} is not {what}",
            hint="export it as CSV / TSV / Parquet (.gz allowed)"
            if reading
            else "name the output .csv, .tsv or .parquet (.gz allowed for csv/tsv)",
        )


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


def _check_file(path: str | os.PathLike) -> Path:
    from helixforge.core.io import require_input_file, special_file_kind

    p = Path(path)
    if not p.exists() and special_file_kind(p) is None:
        raise InputError(
            f"{p}: file not found",
            hint="check the path (relative paths start at the current directory)",
        )
    require_input_file(p, "a table file")  # a named pipe was 'file is empty' (size 0)
    if p.stat().st_size == 0:
        raise EmptyInputError(f"{p}: file is empty", hint=_EMPTY_HINT)
    kind = other_format(p)
    if kind:
        raise InputError(
            f"{p}: {kind} is not read as a table",
            hint="export it as CSV / TSV / Parquet (.gz allowed) with a header line",
        )
    return p


def _open_text_table(p: Path, fmt: str, sep: str | None) -> TextTable | SmiTable:
    sample = read_sample(p, header=fmt != "smi")
    if not sample.strip():
        raise EmptyInputError(f"{p}: no header or data (only blank lines)", hint=_EMPTY_HINT)
    if fmt == "smi":
        return SmiTable(p)
    declared = excel_sep_line(sample)
    if declared:  # 'sep=;' above the header: the delimiter Excel was told to use
        return TextTable(p, sep or declared, skip_records=1)
    return TextTable(p, sep or sniff_delimiter(sample, "\t" if fmt == "tsv" else ","))


def _frame(columns: list[str], lines: list[int], rows: list[list[str | None]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=columns, index=pd.Index(lines, dtype="int64"), dtype=str)


# ---------------------------------------------------------------- parquet


def _parquet_source(p: Path):
    """A path or, for a gzipped Parquet file, its bytes (truncation named)."""
    from helixforge.core.io import check_gzip_whole, is_gzip

    if not is_gzip(p):
        return p
    check_gzip_whole(p)
    with gzip.open(p, "rb") as fh:
        return io.BytesIO(fh.read())


def _parquet_error(p: Path, exc: Exception) -> InputError:
    return InputError(
        f"{p}: could not be read as Parquet: {exc}",
        hint="check that the file is a complete Parquet file (or rename it to .csv/.tsv)",
    )


def _check_parquet_columns(p: Path, names: Sequence[str]) -> None:
    dups = sorted({str(n) for n in names if list(names).count(n) > 1})
    if dups:
        raise InputError(
            f"{p}: duplicate column names {', '.join(repr(d) for d in dups)}",
            hint="give every column a distinct name",
        )


def _read_parquet(p: Path) -> pd.DataFrame:
    try:
        df = pd.read_parquet(_parquet_source(p))
    except (OSError, ValueError) as exc:
        # pyarrow refuses a column named twice with "Multiple matches for FieldRef": say so
        try:
            import pyarrow.parquet as pq

            names = [str(n) for n in pq.ParquetFile(_parquet_source(p)).schema_arrow.names]
        except Exception:  # noqa: BLE001 - unreadable: the error below says so
            names = []
        _check_parquet_columns(p, names)
        raise _parquet_error(p, exc) from None
    _check_parquet_columns(p, [str(c) for c in df.columns])
    df.columns = [str(c).strip() for c in df.columns]
    df.index = pd.RangeIndex(1, len(df) + 1)
    return df


def _iter_parquet(p: Path, chunk_size: int) -> Iterator[TableChunk]:
    import pyarrow.parquet as pq

    try:
        pf = pq.ParquetFile(_parquet_source(p))
        _check_parquet_columns(p, pf.schema_arrow.names)
        start = 1
        for batch in pf.iter_batches(batch_size=chunk_size):
            df = batch.to_pandas()
            df.index = pd.RangeIndex(start, start + len(df))
            start += len(df)
            yield TableChunk(df, RowErrors(p))
    except (OSError, ValueError) as exc:
        raise _parquet_error(p, exc) from None
    if start == 1:
        raise EmptyInputError(f"{p}: has no data rows", hint="add data rows")


def _parquet_columns(p: Path) -> list[str]:
    import pyarrow.parquet as pq

    try:
        return [str(n).strip() for n in pq.ParquetFile(_parquet_source(p)).schema_arrow.names]
    except (OSError, ValueError) as exc:
        raise _parquet_error(p, exc) from None


# ---------------------------------------------------------------- reading


def read_table(
    path: str | os.PathLike,
    columns: Sequence[str] | None = None,
    sep: str | None = None,
    dtype: dict | type | None = None,
    *,
    errors: RowErrors | None = None,
) -> pd.DataFrame:
    """Read a whole table; `columns` must exist (the error lists those present).

    The index is the file line number of each data row (header = line 1). Records that could
    not become rows go to `errors` when given (file, line, raw text, reason), otherwise to
    ``df.attrs["skipped_lines"]`` ({line: reason}, see `skipped_line_errors`).
    ``df.attrs["rows_in"]`` is the number of data records read (rows + skipped records).
    """
    p = _check_file(path)
    fmt = table_format(p)
    delim: str | None = None
    if fmt == "parquet":
        df = _read_parquet(p)
        if len(df) == 0:
            raise EmptyInputError(f"{p}: has no data rows", hint="add data rows")
        bad: list[BadLine] = []
    else:
        table = _open_text_table(p, fmt, sep)
        delim = table.delim if isinstance(table, TextTable) else None
        if columns:
            _require(columns, table.columns, p)
        lines: list[int] = []
        rows: list[list[str | None]] = []
        bad = []
        for rec in table.records():
            if isinstance(rec, BadLine):
                bad.append(rec)
            else:
                lines.append(rec[0])
                rows.append(rec[1])
        if not rows:
            _no_rows(p, bad)
        df = _frame(table.columns, lines, rows)
    if columns:
        require_columns(df, columns, p)
    if dtype is not None and dtype is not str:
        try:
            df = df.astype(dtype)
        except (TypeError, ValueError) as exc:
            raise InputError(f"{p}: a column does not have the expected type: {exc}") from None
    if delim:
        df.attrs["delimiter"] = delim  # `to_numeric_column` reads ';' files' decimal commas
    if errors is not None:
        errors.extend(b.row_error(errors.file or str(p)) for b in bad)
        df.attrs["skipped_lines"] = {}
    else:
        df.attrs["skipped_lines"] = {b.line: b.reason for b in bad}
    df.attrs["rows_in"] = len(df) + len(bad)
    return df


def _no_rows(p: Path, bad: list[BadLine]) -> None:
    if not bad:
        raise EmptyInputError(
            f"{p}: has a header but no data rows", hint="add data rows below the header"
        )
    shown = "; ".join(f"line {b.line}: {b.reason}" for b in bad[:3])
    more = f" (and {len(bad) - 3} more)" if len(bad) > 3 else ""
    raise EmptyInputError(
        f"{p}: has a header but no usable data rows: {shown}{more}",
        hint="check the delimiter and that every line has as many fields as the header "
        '(quote a value that holds the delimiter: "C[C@H](O)[C@@H](C)N |&1:1,3|")',
    )


def iter_table(
    path: str | os.PathLike,
    chunk_size: int = 100_000,
    columns: Sequence[str] | None = None,
    sep: str | None = None,
    *,
    check_compressed: bool = True,
) -> Iterator[TableChunk]:
    """Read a table in chunks of at most `chunk_size` rows, in bounded memory.

    Yields `TableChunk(frame, errors)`: the frame's index holds true file line numbers (as in
    `read_table`), `errors` the records of that stretch of the file that could not be read.
    Every chunk but the last has exactly `chunk_size` rows, so chunk k always covers the same
    rows (safe for resumable jobs). A chunk may have no rows but errors. A missing file or
    column, binary content, duplicate headers and (with `check_compressed`, up front) a
    truncated gzip raise here, before the first chunk.
    """
    from helixforge.core.io import check_gzip_whole
    from helixforge.core.options import require_int

    require_int(chunk_size, "chunk_size", min_value=1)
    p = _check_file(path)
    if table_format(p) == "parquet":
        if columns:
            _require(columns, _parquet_columns(p), p)
        return _iter_parquet(p, chunk_size)
    if check_compressed:
        check_gzip_whole(p)
    table = _open_text_table(p, table_format(p), sep)
    if columns:
        try:
            _require(columns, table.columns, p)
        except InputError:
            table.close()
            raise
    return _text_chunks(table, chunk_size, p)


def head_rows(path: str | os.PathLike, rows: int) -> pd.DataFrame | None:
    """The table's first `rows` rows (None when it has no data row): a cheap look at what its
    columns hold (which one holds SMILES, spacers, ...), the rest of the file unread."""
    chunks = iter_table(path, chunk_size=rows, check_compressed=False)
    try:
        return next(chunks).frame
    except StopIteration:
        return None
    finally:
        chunks.close()


def _text_chunks(table: TextTable | SmiTable, chunk_size: int, p: Path) -> Iterator[TableChunk]:
    lines: list[int] = []
    rows: list[list[str | None]] = []
    errs = RowErrors(p)
    seen = False
    delim = table.delim if isinstance(table, TextTable) else None

    def frame() -> pd.DataFrame:
        df = _frame(table.columns, lines, rows)
        if delim:
            df.attrs["delimiter"] = delim
        return df

    for rec in table.records():
        seen = True
        if isinstance(rec, BadLine):
            errs.items.append(rec.row_error(str(p)))
            continue
        lines.append(rec[0])
        rows.append(rec[1])
        if len(rows) == chunk_size:
            yield TableChunk(frame(), errs)
            lines, rows, errs = [], [], RowErrors(p)
    if not seen:
        raise EmptyInputError(
            f"{p}: has a header but no data rows", hint="add data rows below the header"
        )
    if rows or len(errs):
        yield TableChunk(frame(), errs)


def skipped_line_errors(df: pd.DataFrame, file: str | os.PathLike) -> list[RowError]:
    """RowErrors for the records `read_table` could not turn into rows (when it was called
    without an `errors` collector; with one they are already recorded)."""
    return [
        RowError(str(file), line, None, None, why)
        for line, why in sorted(df.attrs.get("skipped_lines", {}).items())
    ]


def _require(
    wanted: Sequence[str], present: Sequence[str], source: str | os.PathLike | None
) -> None:
    missing = [str(c) for c in wanted if c not in present]
    if missing:
        if len(present) == 1 and any(d in str(present[0]) for d in ",;\t|"):
            raise InputError(
                f"{source}: only one column {str(present[0])!r} was found; the delimiter looks wrong",
                hint="save the file as comma- or tab-separated, or pass the delimiter explicitly",
            )
        raise ColumnNotFoundError(missing, present, source)


def require_columns(
    df: pd.DataFrame, columns: Sequence[str], source: str | os.PathLike | None = None
) -> None:
    """Raise `ColumnNotFoundError` naming every missing column and listing those present."""
    _require(columns, [str(c) for c in df.columns], source)


# ---------------------------------------------------------------- writing


def atomic_path(path: str | os.PathLike):
    """Yield a temporary path beside `path`; on success fsync and rename it into place."""
    from helixforge.core.io import atomic_file

    return atomic_file(path)


def write_table(df: pd.DataFrame, path: str | os.PathLike, index: bool = False) -> Path:
    """Write a table atomically; format from the suffix (csv, tsv, parquet; .gz compresses)."""
    dest = Path(path)
    require_table_name(dest, "output", reading=False)  # never CSV text under an .xlsx name
    fmt = table_format(dest)
    with atomic_path(dest) as tmp:
        if fmt == "parquet":
            df.to_parquet(tmp, index=index)
        else:
            sep = "\t" if fmt == "tsv" else ","
            comp = "gzip" if dest.name.lower().endswith(".gz") else None
            write_csv(df, tmp, sep=sep, index=index, compression=comp)
    return dest


# Characters a value is marked with to make the csv writer quote it (`write_csv`).
_QUOTE_MARKS = range(0xE000, 0xF900)  # Unicode private use


def _needs_quotes(values: pd.Series | pd.Index, lone: bool) -> pd.Series | None:
    """Which text values the csv writer would leave unquoted although they must be quoted to
    read back as written: those holding a carriage return (only the line terminator '\n' is
    quoted), and, in a one-field table, whitespace-only ones (read as a blank line, not a
    row). None when there are none (or the values are not text)."""
    s = pd.Series(values, copy=False)
    if not (s.dtype == object or isinstance(s.dtype, (pd.StringDtype, pd.CategoricalDtype))):
        return None
    try:
        need = s.str.contains("\r", regex=False)
        if lone:
            need = need | s.str.isspace()
    except (AttributeError, TypeError):  # not text (lists, bytes, ...)
        return None
    need = need.fillna(False).astype(bool)
    return need if need.any() else None


def _mark_for_quotes(
    df: pd.DataFrame, mark: str, *, index: bool, header: bool
) -> tuple[pd.DataFrame, int]:
    """`df` with `mark` + '\n' appended to every text value (and column name, index label)
    that must be quoted (`_needs_quotes`): the '\n' makes the csv writer quote it; the mark
    finds it again. Returns the frame (`df` itself when nothing needs quotes) and the count."""
    lone = len(df.columns) + (df.index.nlevels if index else 0) == 1
    tag = mark + "\n"
    out, marked = df, 0
    for pos in range(len(df.columns)):
        need = _needs_quotes(df.iloc[:, pos], lone)
        if need is not None:
            if out is df:
                out = df.copy()
            col = out.iloc[:, pos].astype(object)
            col[need.to_numpy()] = col[need.to_numpy()] + tag
            out.isetitem(pos, col)
            marked += int(need.sum())
    if index and not isinstance(df.index, pd.MultiIndex):
        need = _needs_quotes(df.index, lone)
        if need is not None:
            out = out.copy() if out is df else out
            labels = df.index.astype(object).to_numpy(copy=True)
            labels[need.to_numpy()] = labels[need.to_numpy()] + tag
            out.index = pd.Index(labels, name=df.index.name)
            marked += int(need.sum())
    if header and not isinstance(df.columns, pd.MultiIndex):
        names = list(df.columns)
        need = _needs_quotes(pd.Index(names, dtype=object), lone)
        if need is not None:
            out = out.copy() if out is df else out
            out.columns = [n + tag if q else n for n, q in zip(names, need, strict=True)]
            marked += int(need.sum())
    return out, marked


def write_csv(
    df: pd.DataFrame,
    target: str | os.PathLike | IO[str],
    *,
    sep: str = ",",
    index: bool = False,
    header: bool = True,
    compression: str | None = None,
) -> None:
    """Write `df` as CSV (`sep` ',') or TSV ('\t') text to `target`: a path (gzipped with
    ``compression="gzip"``) or a text handle opened with ``newline=""`` (``header=False``
    appends rows to a table already begun).

    Every table the project writes goes through here, so that it reads back — with
    `read_table` or `pandas.read_csv` — as the same rows holding the same values, whatever a
    text cell holds. pandas (Python's csv writer) quotes a value holding the delimiter, a
    quote or a '\n', but not one holding a lone carriage return ('\r', as in text pasted
    from old Mac or Excel files): that one is quoted here, and so is a whitespace-only value
    of a one-column table (it would be read as a blank line). Tables holding neither get
    exactly the text ``df.to_csv`` writes. A gzip file's header holds no time and no file
    name (`core.io.gzip_stream`): the same table gives the same bytes on every run."""
    if compression not in (None, "gzip"):
        raise ValueError(f"compression must be None or 'gzip', got {compression!r}")
    if compression == "gzip" and not hasattr(target, "write"):
        # pandas' gzip header holds the time and the (temporary) file name: the same table
        # gave other bytes every run. `open_output` writes mtime 0 and no name.
        from helixforge.core.io import open_output

        with open_output(target, gz=True) as fh:  # type: ignore[arg-type]
            write_csv(df, fh, sep=sep, index=index, header=header)
        return
    for code in _QUOTE_MARKS:
        mark = chr(code)
        frame, marked = _mark_for_quotes(df, mark, index=index, header=header)
        if not marked:
            df.to_csv(target, sep=sep, index=index, header=header)
            return
        text = frame.to_csv(None, sep=sep, index=index, header=header)
        if text.count(mark) == marked:  # the mark is in no value of the table
            break
    else:  # pragma: no cover - a table using every private-use character
        raise ValueError("no private-use character is free to mark values for quoting")
    text = text.replace(mark + "\n", "")
    if hasattr(target, "write"):
        target.write(text)  # type: ignore[union-attr]
        return
    with open(target, "wb") as raw:  # type: ignore[arg-type]
        raw.write(text.encode("utf-8"))


def write_text(text: str, path: str | os.PathLike) -> Path:
    """Write a UTF-8 text file atomically; gzip-compressed when the name ends in .gz (a GFF3
    or FASTA written as 'genes.gff3.gz' was plain text under a .gz name: zcat refused it),
    with a header that holds no time and no file name (`core.io.open_output`)."""
    from helixforge.core.io import open_output

    dest = Path(path)
    with atomic_path(dest) as tmp, open_output(tmp, gz=dest.name.lower().endswith(".gz")) as fh:
        fh.write(text)
    return dest


# Excel in many European locales writes numbers with a decimal comma ("0,36"), usually in a
# ';'-separated file. A value "1,234" could also be 1234 with a thousands separator.
_DECIMAL_COMMA = re.compile(r"[+-]?\d*,\d+(?:[eE][+-]?\d+)?")
_THOUSANDS = re.compile(r"[+-]?[1-9]\d{0,2}(?:,\d{3})+")
_DECIMAL_POINT = re.compile(r"[+-]?(?:\d+\.\d*|\.\d+)(?:[eE][+-]?\d+)?")


def number_text(
    raw: pd.Series,
    column: str,
    *,
    source: str | os.PathLike | None = None,
    delimiter: str | None = None,
) -> pd.Series:
    """`raw` as text `pd.to_numeric` reads, when the column is written with decimal commas
    ("0,36" → "0.36", as Excel writes numbers in many European locales) or a typographic
    minus ("−1.5" → "-1.5"); unchanged otherwise.

    The style most values use wins: in a decimal-comma column a value with a decimal point
    ("1.234" may be 1234 with a thousands point) is not read as a number, and in a
    decimal-point column a comma value stays unreadable — either way the caller sees "not a
    number" for that row, never a guess. A column whose comma values all look like thousands
    groups ("1,234") in a file that is not ';'-separated is an `InputError` naming the file,
    row and column. `delimiter` is the file's (`read_table` / `iter_table` put it in the
    frame's ``attrs["delimiter"]``)."""
    import numpy as np

    text = raw.astype("string").str.strip()
    minus = text.str.contains("\u2212", regex=False).fillna(False).to_numpy(bool)
    if minus.any():  # '−1.5' with a typographic minus (pasted from Word, a PDF, a web page)
        text = text.str.replace("\u2212", "-", regex=False)
        raw = raw.astype(object).where(~minus, text.astype(object))
    comma = text.str.fullmatch(_DECIMAL_COMMA).fillna(False).to_numpy(bool)
    if not comma.any():
        return raw
    point = text.str.fullmatch(_DECIMAL_POINT).fillna(False).to_numpy(bool)
    if point.sum() >= comma.sum():
        return raw
    grouped = text.str.fullmatch(_THOUSANDS).fillna(False).to_numpy(bool)
    if grouped[comma].all() and delimiter != ";":
        pos = int(np.flatnonzero(comma)[0])
        where = f"{source}, row {raw.index[pos]}" if source else f"row {raw.index[pos]}"
        raise InputError(
            f"{where}, column {column!r}: {raw.iloc[pos]!r} could be a number with a thousands "
            f"separator or with a decimal comma (every comma value of the column could be "
            "either)",
            hint="write the numbers with a decimal point and no thousands separators "
            "(or save the file ';'-separated with decimal commas)",
        )
    out = text.str.replace(",", ".", regex=False).astype(object)
    out[point] = "not a number: decimal point in a decimal-comma column"
    return out.where(comma | point, raw)


# How a missing value is spelled in tables written by pandas, R, Excel or a database. Labels read
# them as missing; sequence readers refuse them ('NA' and 'nan' are otherwise valid bases).
NA_SPELLINGS = frozenset({"", "nan", "NaN", "NA", "N/A", "null", "None"})


def to_numeric_column(
    df: pd.DataFrame, column: str, *, source: str | os.PathLike | None = None
) -> tuple[pd.Series, pd.Series]:
    """Parse a column as float: (values, bad). Blanks and NA spellings are missing (NaN, not
    bad); text that is not a number and non-finite numbers (inf, -inf) are NaN *and* flagged
    in `bad`, so the caller records a row error instead of training on them. Decimal commas
    are read as `number_text` says (an ambiguous column is an `InputError` naming `source`)."""
    import numpy as np

    raw = df[column]
    text = number_text(raw, column, source=source, delimiter=df.attrs.get("delimiter"))
    values = pd.to_numeric(text, errors="coerce").astype(float)
    blank = raw.isna() | raw.astype(str).str.strip().isin(NA_SPELLINGS)
    bad = (values.isna() | np.isinf(values)) & ~blank
    return values.where(np.isfinite(values)), bad
