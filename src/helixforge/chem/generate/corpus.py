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
from helixforge.core.io import open_text

SMILES_COLUMNS = ("smiles", "SMILES", "canonical_smiles", "Smiles", "smi", "SMI")


def iter_smiles(
    path: str | os.PathLike, column: str | None = None, drop: Collection[int] = ()
) -> Iterator[str]:
    """Yield SMILES strings from `path` (plain or gzip, or Parquet), skipping empty lines and
    the lines in `drop` (numbered as `iter_corpus_rows` numbers them: the unusable lines a
    first pass found, so later passes need not re-check them)."""
    from helixforge.chem.inputs import check_paths

    check_paths("iter_smiles", "for SMILES in memory iterate the list itself", path=path)
    drop = drop if isinstance(drop, set | frozenset) else set(drop)
    for line, text in iter_corpus_rows(path, column):
        if text and line not in drop:
            yield text


def iter_corpus_rows(
    path: str | os.PathLike, column: str | None = None
) -> Iterator[tuple[int, str]]:
    """(line number, SMILES text) for every data line of `path`, an empty line or cell as ""
    (so that unusable lines can be reported with their line, not dropped unseen). The line is
    the file's (header = line 1); for Parquet, the row as `core.tables.iter_table` numbers it."""
    from helixforge.core.table_reader import _header_names, read_sample
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
    with _open_corpus(Path(path)) as f:
        read_sample(Path(path))  # binary or not UTF-8 / UTF-16: an InputError naming the file
        first = f.readline().lstrip("\ufeff")  # a UTF-8 byte-order mark is not the header
        if not first:
            raise EmptyInputError(f"{path}: file is empty", hint="pass a corpus with SMILES")
        delim = _table_delimiter(first, column)
        if delim is not None or column is not None:
            header = next(csv.reader([first.rstrip("\r\n")], delimiter=delim or ","))
            header = _header_names(header, Path(path), 1)  # a name twice is refused
            names = [column] if column else list(SMILES_COLUMNS)
            col = next((header.index(n) for n in names if n in header), None)
            if col is None:
                raise ColumnNotFoundError(names[:1], header, path)
            reader = csv.reader(f, delimiter=delim or ",")
            for row in reader:
                yield reader.line_num + 1, (row[col].strip() if len(row) > col else "")
            return
        head = first.split()
        if not head or head[0].lower() not in ("smiles", "smi"):
            yield 1, head[0] if head else ""
        for i, line in enumerate(f, start=2):
            parts = line.split()
            yield i, parts[0] if parts else ""


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


def _open_corpus(path: Path):
    """The corpus as text: UTF-16 when it starts with its byte-order mark (Excel's 'Unicode
    text'), else UTF-8; plain or gzip."""
    from helixforge.core.io import is_gzip

    if path.is_file() and not is_gzip(path):
        with open(path, "rb") as fh:
            if fh.read(2) in (b"\xff\xfe", b"\xfe\xff"):
                return open_text(path, encoding="utf-16")
    return open_text(path)


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
