"""Streaming SMILES corpora for prior training: CSV/TSV with a SMILES column or .smi lines.

    for smiles in iter_smiles("moses_train.csv.gz"):   # one string at a time, bounded memory
        ...
    for block in iter_blocks("moses_train.csv.gz", 20000, skip=2000):   # lists of SMILES
        ...

A file whose first line has a comma or tab is read as a table with a header; the SMILES column
is `column`, else the first of smiles/SMILES/canonical_smiles/smi. Otherwise each line's first
whitespace-separated field is a SMILES, and a first line reading "smiles" is a header.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Collection, Iterator
from pathlib import Path

from helixforge.core.errors import ColumnNotFoundError, EmptyInputError, InputError, is_missing
from helixforge.core.table_reader import (
    BadLine,
    DamagedLines,
    header_names,
    not_utf16_error,
    open_table_text,
    read_sample,
    tap_lines,
)

SMILES_COLUMNS = ("smiles", "SMILES", "canonical_smiles", "Smiles", "smi", "SMI")
SMI_COLUMNS = ("smiles", "name")  # a SMILES-per-line corpus: `SMILES [name]`, as core's .smi


def iter_smiles(
    path: str | os.PathLike, column: str | None = None, drop: Collection[int] = ()
) -> Iterator[str]:
    """Yield SMILES strings from `path` (plain or gzip, or Parquet), skipping empty lines and
    the lines in `drop` (numbered as `iter_corpus_rows` numbers them: the unusable lines a
    first pass found, so later passes need not re-check them)."""
    from helixforge.chem.inputs import check_paths

    check_paths("iter_smiles", "for SMILES in memory iterate the list itself", path=path)
    drop = drop if isinstance(drop, set | frozenset) else set(drop)
    for rec in iter_corpus_rows(path, column):
        if not isinstance(rec, BadLine) and rec[1] and rec[0] not in drop:
            yield rec[1]


def iter_corpus_rows(
    path: str | os.PathLike, column: str | None = None
) -> Iterator[tuple[int, str] | BadLine]:
    """(line number, SMILES text) for every data line of `path`, an empty line or cell as ""
    (so that unusable lines can be reported with their line, not dropped unseen). The line is
    the file's (header = line 1); for Parquet, the row as `core.tables.iter_table` numbers it.

    Text is read by the shared table reader's rule (`core.table_reader`): a line holding a byte
    that is not UTF-8 (or a NUL byte) is a `BadLine` (its line, why, and the iconv fix) to be
    counted as an unusable line, not a SMILES with U+FFFD in it; a header that is not UTF-8,
    or more such lines than stray ones (`too_many_damaged`, checked as the file is read), is
    an `InputError` naming the encoding it looks like and the iconv command."""
    from helixforge.core.io import require_input_file
    from helixforge.core.tables import other_format, table_format

    name = Path(path).name.lower()
    kind = other_format(path) or ("an SD file" if name.endswith((".sd", ".sd.gz")) else None)
    if kind:  # an SD file was read line by line: atom blocks and '$$$$' as 'SMILES'
        raise InputError(
            f"{path}: {kind} is not read as a SMILES corpus",
            hint="export the SMILES as .smi (one per line) or as CSV / TSV / Parquet with a "
            "SMILES column",
        )
    if table_format(path) == "parquet":
        yield from _parquet_smiles(path, column)
        return
    p = require_input_file(path, "a SMILES corpus")
    # binary, or not UTF-8 / UTF-16 in its first 64,000 characters: an InputError naming it
    read_sample(p, header=False)
    with open_table_text(p) as f:  # plain or gzip; UTF-16 with its BOM; UTF-8 else
        try:
            first = f.readline().lstrip("\ufeff")  # a UTF-8 byte-order mark is not the header
            if not first:
                raise EmptyInputError(f"{path}: file is empty", hint="pass a corpus with SMILES")
            delim = _table_delimiter(first, column)
            is_table = delim is not None or column is not None
            head = first.split()
            header_line = is_table or (bool(head) and head[0].lower() in ("smiles", "smi"))
            damaged = DamagedLines(p, 1 if header_line else 0)
            if is_table:
                read_sample(p)  # its header line must be UTF-8 (the table reader's rule)
                header = next(csv.reader([first.rstrip("\r\n")], delimiter=delim or ","))
                header = header_names(header, p, 1)  # a name twice is refused
                names = [column] if column else list(SMILES_COLUMNS)
                col = next((header.index(n) for n in names if n in header), None)
                if col is None:
                    raise ColumnNotFoundError(names[:1], header, path)
                raw: list[str] = []  # the lines of the record being read
                reader = csv.reader(tap_lines(f, raw), delimiter=delim or ",")
                for row in reader:
                    line = reader.line_num + 2 - len(raw)  # the record's first line
                    bad = damaged.check(line, "".join(raw), row, header)
                    raw.clear()
                    yield bad or (line, row[col].strip() if len(row) > col else "")
                damaged.finish(reader.line_num + 1)
                return
            if not header_line:
                bad = damaged.check(1, first, first.split(None, 1), SMI_COLUMNS)
                yield bad or (1, head[0] if head else "")
            i = 1
            for i, text in enumerate(f, start=2):
                bad = damaged.check(i, text, text.split(None, 1), SMI_COLUMNS)
                yield bad or (i, text.split(None, 1)[0] if text.strip() else "")
            damaged.finish(i)
        except UnicodeDecodeError as exc:  # UTF-16 (with its BOM) is decoded strictly
            raise not_utf16_error(p, exc) from None


def _table_delimiter(first: str, column: str | None) -> str | None:
    """The delimiter of a corpus table from its header line: TAB, ',', ';' or '|' when
    splitting on it names the SMILES column (`column`, else one of SMILES_COLUMNS), else TAB
    or ',' when present; None for a SMILES-per-line file. ';' and '|' need the column's name
    in the header, as a CXSMILES extension ('CCO |$;;$|') holds both."""
    names = [column] if column else list(SMILES_COLUMNS)
    line = first.rstrip("\r\n")
    for d in ("\t", ",", ";", "|"):
        if d in line and any(n in (f.strip() for f in line.split(d)) for n in names):
            return d
    return "\t" if "\t" in line else ("," if "," in line else None)


def _parquet_smiles(path: str | os.PathLike, column: str | None) -> Iterator[tuple[int, str]]:
    """(row + 1, SMILES) of a Parquet corpus's SMILES column, in bounded memory."""
    from helixforge.core.tables import iter_table

    col = None
    for chunk in iter_table(path, chunk_size=100_000):
        frame = chunk.frame
        if col is None:
            names = [column] if column else list(SMILES_COLUMNS)
            col = next((n for n in names if n in frame.columns), None)
            if col is None:
                raise ColumnNotFoundError(names[:1], list(frame.columns), path)
        for line, s in zip(frame.index, frame[col].tolist()):
            # a number or other non-text cell is kept as text, so the errors table names it
            yield int(line), "" if is_missing(s) else str(s).strip()


def iter_blocks(
    path: str | os.PathLike,
    block_size: int,
    *,
    skip: int = 0,
    column: str | None = None,
    drop: Collection[int] = (),
) -> Iterator[list[str]]:
    """Consecutive blocks of `block_size` SMILES after the first `skip` (the held-out set),
    leaving out the lines in `drop` (see `iter_smiles`)."""
    block: list[str] = []
    for i, s in enumerate(iter_smiles(path, column, drop)):
        if i < skip:
            continue
        block.append(s)
        if len(block) == block_size:
            yield block
            block = []
    if block:
        yield block
