"""Parse text tables record by record, with true file line numbers and nothing dropped.

Python's csv module does the parsing; this module adds what a table reader owes its user:

- the physical line each record starts on (a quoted field may span several lines);
- a quoted empty value (``""``) kept as a value, apart from a missing one (an unquoted empty
  field, read as missing);
- every record that cannot become a row (wrong number of fields, broken quoting, every field
  empty) reported as a `BadLine` instead of being dropped;
- clear `InputError`s naming the file for what makes a whole file unreadable: binary content,
  text that is not UTF-8, a truncated compressed stream, no header, duplicate header names, a
  quote that is never closed.

Blank lines are not records: they are skipped and never counted as rows.
`core.tables.read_table` and `core.tables.iter_table` are the public faces of this module.
"""

from __future__ import annotations

import csv
import re
import sys
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from helixforge.core.errors import EmptyInputError, InputError

QUOTE = '"'
# A record may hold a whole genome-scale sequence; the csv default (128 KiB) is too small.
csv.field_size_limit(min(sys.maxsize, 2**31 - 1))
_SNIFF_CHARS = 64_000


@dataclass(frozen=True)
class BadLine:
    """A record that did not become a row: the line it starts on, why, and its raw text."""

    line: int
    reason: str
    raw: str


def open_table_text(path: Path) -> IO[str]:
    """Open a (possibly gzip/BGZF) text table strictly as UTF-8 (a BOM is dropped)."""
    from helixforge.core.io import is_gzip, open_text

    if is_gzip(path):  # damage in the stream is an InputError naming the file
        return open_text(path, encoding="utf-8-sig", errors="strict", newline="")
    with open(path, "rb") as fh:
        head = fh.read(2)
    if head in (b"\xff\xfe", b"\xfe\xff"):  # UTF-16 with its BOM: Excel's "Unicode text"
        return open(path, encoding="utf-16", errors="strict", newline="")
    return open(path, encoding="utf-8-sig", errors="strict", newline="")


def _not_utf8(path: Path, exc: UnicodeDecodeError) -> InputError:
    return InputError(
        f"{path}: is not UTF-8 text (byte 0x{exc.object[exc.start]:02x}: {exc.reason})",
        hint="save the table as UTF-8 CSV/TSV (or Parquet)",
    )


def read_sample(path: Path) -> str:
    """The first characters of a text table; binary content is an `InputError` (a bzip2 /
    xz / zip / zstd file or a spreadsheet is named as such, with what to do)."""
    from helixforge.core.io import refuse_container

    refuse_container(path, "a text table")
    try:
        with open_table_text(path) as fh:
            sample = fh.read(_SNIFF_CHARS)
    except UnicodeDecodeError as exc:
        raise _not_utf8(path, exc) from None
    if "\x00" in sample:
        raise InputError(
            f"{path}: looks like a binary file, not a text table",
            hint="give a CSV/TSV (optionally .gz) or a .parquet file",
        )
    return sample


def sniff_delimiter(sample: str, default: str) -> str:
    """The delimiter of the first non-blank line: `default` when present, else the most
    frequent of , TAB ; |, else `default`."""
    first = next((ln for ln in sample.splitlines() if ln.strip()), "")
    counts = {d: first.count(d) for d in [",", "\t", ";", "|"]}
    best = max(counts, key=lambda d: counts[d])
    if counts[best] == 0 or counts.get(default, 0) > 0:
        return default
    return best


_SEP_LINE = re.compile(r"sep=([,;\t|])[ \t]*")


def excel_sep_line(sample: str) -> str | None:
    """The delimiter a first line ``sep=;`` declares (Excel's convention, written by tools
    whose CSV should open in Excel in any locale), else None. That line is not the header."""
    first = next((ln for ln in sample.splitlines() if ln.strip()), "")
    m = _SEP_LINE.fullmatch(first.strip("\r\n "))
    return m.group(1) if m else None


def _tap(fh: IO[str], lines: list[str]) -> Iterator[str]:
    """Feed lines to csv.reader, keeping those of the record being parsed in `lines`."""
    for line in fh:
        lines.append(line)
        yield line


def _quoted_fields(raw: str, delim: str) -> list[bool]:
    """For each field of one raw record: did it start with a quote? (csv's own rules: a quote
    opens a field only at its start; "" inside quotes is a literal quote)."""
    quoted = [False]
    in_quotes, at_start = False, True
    i, n = 0, len(raw)
    while i < n:
        ch = raw[i]
        if in_quotes:
            if ch == QUOTE:
                if i + 1 < n and raw[i + 1] == QUOTE:
                    i += 1
                else:
                    in_quotes = False
        elif ch == QUOTE and at_start:
            quoted[-1] = in_quotes = True
        elif ch == delim:
            quoted.append(False)
            at_start = True
            i += 1
            continue
        at_start = False
        i += 1
    return quoted


def _values(fields: list[str], raw: str, delim: str) -> list[str | None]:
    """Fields with unquoted empties as None (missing) and quoted empties kept as ''."""
    if "" not in fields:
        return list(fields)
    if QUOTE not in raw:
        return [f if f != "" else None for f in fields]
    quoted = _quoted_fields(raw, delim)
    if len(quoted) != len(fields):  # should not happen; fall back to "missing"
        quoted = [False] * len(fields)
    return [None if f == "" and not q else f for f, q in zip(fields, quoted, strict=True)]


def _raw_records(
    fh: IO[str], path: Path, delim: str
) -> Iterator[tuple[int, list[str] | None, str]]:
    """(start line, fields or None when the quoting is broken, raw text) for every non-blank
    record; the line numbers are physical file lines (1-based)."""
    lines: list[str] = []
    reader = csv.reader(
        _tap(fh, lines), delimiter=delim, quotechar=QUOTE, doublequote=True, strict=True
    )
    line = 1
    while True:
        lines.clear()
        try:
            fields: list[str] | None = next(reader)
        except StopIteration:
            return
        except UnicodeDecodeError as exc:
            raise _not_utf8(path, exc) from None
        except csv.Error as exc:
            if "end of data" in str(exc):
                raise InputError(
                    f"{path}, line {line}: a quoted field opened here is never closed "
                    "(the rest of the file would be read into it)",
                    hint="close the quote, or remove the stray quote character",
                ) from None
            fields = None
        start = line
        line += len(lines)
        raw = lines[0] if len(lines) == 1 else "".join(lines)
        if fields is not None and (
            not fields or (len(fields) == 1 and not fields[0].strip() and QUOTE not in raw)
        ):
            continue  # a blank line is not a record
        yield start, fields, raw


def _header_names(fields: list[str], path: Path, line: int) -> list[str]:
    names = [f.strip() or f"Unnamed: {i}" for i, f in enumerate(fields)]
    dups = [name for name, n in Counter(names).items() if n > 1]
    if dups:
        raise InputError(
            f"{path}, line {line}: duplicate column name{'s' if len(dups) > 1 else ''} "
            f"{', '.join(repr(d) for d in dups)} in the header",
            hint="give every column a distinct name (which of the duplicates is meant is unknowable)",
        )
    return names


class TextTable:
    """A delimited text table opened for reading: `columns` from its header, then `records()`.

    Each record is either (line, values) with one value per column (None = missing) or a
    `BadLine`. The header is the first non-blank record after `skip_records` records.
    """

    def __init__(self, path: Path, delim: str, skip_records: int = 0):
        self.path = path
        self.delim = delim
        self._fh = open_table_text(path)
        self._records = _raw_records(self._fh, path, delim)
        for _ in range(skip_records):  # e.g. Excel's 'sep=;' line above the header
            next(self._records, None)
        header = next(self._records, None)
        if header is None:
            self.close()
            raise EmptyInputError(
                f"{path}: no header or data",
                hint="the file needs a header line and at least one data row",
            )
        line, fields, raw = header
        if fields is None:
            self.close()
            raise InputError(f"{path}, line {line}: the header line has broken quoting")
        self.header_line = line
        self.columns = _header_names(fields, path, line)
        # A header ending in a delimiter ("smiles,y,") names no column there: rows that stop
        # before such trailing unnamed columns are complete.
        named = [bool(f.strip()) for f in fields]
        self._min_fields = len(named) - (named[::-1].index(True) if any(named) else 0)

    def records(self) -> Iterator[tuple[int, list[str | None]] | BadLine]:
        n_cols, delim, min_fields = len(self.columns), self.delim, self._min_fields
        try:
            for line, fields, raw in self._records:
                if fields is None:
                    yield BadLine(line, "malformed quoting (text after a closing quote)", raw)
                elif len(fields) != n_cols and not min_fields <= len(fields) < n_cols:
                    yield BadLine(
                        line,
                        f"line has the wrong number of fields ({len(fields)}; "
                        f"the header has {n_cols})",
                        raw,
                    )
                elif len(fields) == n_cols and "" not in fields:
                    yield line, fields  # type: ignore[misc]
                else:  # empty fields, or stops before trailing unnamed columns (missing)
                    values = _values(fields, raw, delim) + [None] * (n_cols - len(fields))
                    if values.count(None) == n_cols:
                        yield BadLine(line, "empty row (every field is empty)", raw)
                    else:
                        yield line, values
        finally:
            self.close()

    def close(self) -> None:
        self._fh.close()


class SmiTable:
    """A .smi file: `SMILES [name]` per line; a first line starting 'smiles'/'smi' is a header."""

    columns = ["smiles", "name"]

    def __init__(self, path: Path):
        self.path = path
        self._fh = open_table_text(path)
        self._pending: tuple[int, list[str | None]] | None = None
        self.header_line = 0
        try:
            for i, text in enumerate(self._fh, start=1):
                parts = text.split(None, 1)
                if not parts:
                    continue
                if parts[0].lower() in {"smiles", "smi"}:
                    self.header_line = i
                else:
                    self._pending = (i, self._split(parts))
                break
        except UnicodeDecodeError as exc:
            self.close()
            raise _not_utf8(path, exc) from None
        self._next_line = (self._pending[0] if self._pending else self.header_line) + 1
        if self._pending is None and self.header_line == 0:
            self.close()
            raise EmptyInputError(f"{path}: no SMILES lines")

    @staticmethod
    def _split(parts: list[str]) -> list[str | None]:
        return [parts[0], parts[1].strip() if len(parts) == 2 else ""]

    def records(self) -> Iterator[tuple[int, list[str | None]] | BadLine]:
        try:
            if self._pending is not None:
                yield self._pending
            for i, text in enumerate(self._fh, start=self._next_line):
                parts = text.split(None, 1)
                if parts:
                    yield i, self._split(parts)
        except UnicodeDecodeError as exc:
            raise _not_utf8(self.path, exc) from None
        finally:
            self.close()

    def close(self) -> None:
        self._fh.close()
