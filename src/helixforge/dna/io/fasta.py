"""FASTA / FASTQ records: reading (plain, gzip, BGZF) and writing.

Reading goes through `helixforge.core.io.open_text`, so a truncated compressed file is an
`InputError` naming the file. Errors name the file and the line.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from helixforge.core.errors import EmptyInputError, InputError
from helixforge.core.io import convert_command, fasta_records, open_text
from helixforge.lm.inputs import as_path

FASTA_SUFFIXES = (".fa", ".fasta", ".fna", ".ffn", ".frn", ".faa", ".fas", ".mfa")
FASTQ_SUFFIXES = (".fq", ".fastq")


@dataclass
class SeqRecord:
    """One FASTA/FASTQ record: `id` (first word of the header), full `description`, `seq`, the
    1-based file `line` of its header, and `quality` (FASTQ only)."""

    id: str
    description: str
    seq: str
    line: int
    quality: str | None = None


def strip_compression_suffix(name: str) -> str:
    """'x.fa.gz' → 'x.fa' (also .bgz), lower-cased."""
    name = name.lower()
    for suffix in (".gz", ".bgz"):
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name


def is_fasta(path: str | os.PathLike) -> bool:
    """True for FASTA suffixes (.fa, .fasta, .fna, …; .gz/.bgz allowed)."""
    return strip_compression_suffix(Path(path).name).endswith(FASTA_SUFFIXES)


def is_fastq(path: str | os.PathLike) -> bool:
    """True for .fq / .fastq (.gz allowed)."""
    return strip_compression_suffix(Path(path).name).endswith(FASTQ_SUFFIXES)


def read_fasta(path: str | os.PathLike, errors=None) -> Iterator[SeqRecord]:
    """Yield FASTA records (plain, gzip or BGZF). Errors name the file and line.

    Raises `EmptyInputError` for a file with no records and `InputError` for text before the
    first header or a damaged compressed stream. A '>' line with no name is one bad record:
    with `errors` (a `RowErrors`) it is an errors-table row (its header line) and the reading
    goes on, as for a malformed FASTQ record; without, an `InputError` naming the line.
    """
    p = as_path(path, "path")
    n = 0
    before = len(errors) if errors is not None else 0
    for line, header, seq in fasta_records(p):
        if not header.strip() and errors is not None:
            errors.add(line, "id", None, _EMPTY_HEADER + ": " + _EMPTY_HEADER_FIX)
            continue
        yield _record(p, header, line, seq)
        n += 1
    if n == 0 and (errors is None or len(errors) == before):
        raise EmptyInputError(
            f"{p}: no FASTA records found", hint="the file is empty or has no '>' header lines"
        )


_EMPTY_HEADER = "empty FASTA header (a '>' line with no record name)"
_EMPTY_HEADER_FIX = "give the record a name after '>'"


def _record(p: Path, header: str, line: int, seq: str) -> SeqRecord:
    if not header.strip():
        raise InputError(f"{p}, line {line}: {_EMPTY_HEADER}", hint=_EMPTY_HEADER_FIX)
    return SeqRecord(id=header.split()[0], description=header, seq=seq, line=line)


def read_fastq(path: str | os.PathLike, errors=None) -> Iterator[SeqRecord]:
    """Yield FASTQ records (plain or gzip), four lines each: '@title', sequence, '+…', quality.

    A malformed record (no '@' header, no '+' line, a quality string of another length than
    the sequence or holding a character outside Phred+33 '!'..'~', a byte that is not UTF-8
    in its sequence or quality line, a file cut inside a record) is an `InputError` naming
    its line — or, with `errors` (a `RowErrors`), an errors-table row (line, the header) and
    the reading goes on, so one bad record never stops a job. Blank lines between records
    are skipped. A byte that is not UTF-8 in an '@' title (a Latin-1 'é' in a sample
    description) is only shown, as U+FFFD, as in a FASTA '>' line (`core.io.fasta_records`)."""
    p = as_path(path, "path")
    n = 0
    # 'replace': a Latin-1 byte in an '@' title is only shown; in a sequence or quality line
    # it becomes U+FFFD, which _fastq_problem refuses naming that line
    with open_text(p, errors="replace") as fh:
        lines = ((i, raw.rstrip("\r\n")) for i, raw in enumerate(fh, start=1))
        for line, head in lines:
            head = head.lstrip("\ufeff") if line == 1 else head
            if not head.strip():
                continue
            body = [next(lines, (None, None)) for _ in range(3)]
            problem = _fastq_problem(head, [b for _, b in body], [i for i, _ in body])
            if problem is None:
                seq, qual = body[0][1], body[2][1]
                title = head[1:]
                yield SeqRecord(id=title.split()[0] if title.split() else "", description=title,
                                seq=seq, line=line, quality=qual)  # fmt: skip
                n += 1
                continue
            if errors is None:
                hint = _FASTQ_HINT
                if "not UTF-8" in problem:
                    hint = (
                        "fix or remove that record; if the file is in another encoding, "
                        f"convert it first: {convert_command(p.name, 'cp1252')}"
                    )
                raise InputError(f"{p}, line {line}: malformed FASTQ record: {problem}",
                                 hint=hint)  # fmt: skip
            column = "quality" if "quality" in problem else "sequence"
            errors.add(line, column, head[:80], f"malformed FASTQ record: {problem}")
    if n == 0 and (errors is None or not len(errors)):
        raise EmptyInputError(f"{p}: no FASTQ records found")


_FASTQ_HINT = (
    "each record is 4 lines: @title, sequence, +, quality of the same length (multi-line "
    "FASTQ: re-wrap it, e.g. seqtk seq in.fq > out.fq)"
)


_PHRED33 = re.compile(r"[^!-~]")  # a quality character is printable ASCII '!' (0) .. '~' (93)


def _fastq_problem(
    head: str, body: list[str | None], lines: list[int | None] | None = None
) -> str | None:
    """What is wrong with one 4-line FASTQ record (None: nothing). `lines`: the file lines of
    the sequence, '+' and quality lines, named when one of them holds a bad byte."""
    seq, plus, qual = body
    seq_line, _, qual_line = lines or (None, None, None)
    if not head.startswith("@"):
        return f"the header {head[:40]!r} does not start with '@'"
    if qual is None:
        return "the file ends inside the record"
    if not plus.startswith("+"):
        return f"the third line {plus[:40]!r} does not start with '+'"
    for what, text, at in (("sequence", seq, seq_line), ("quality", qual, qual_line)):
        if "\ufffd" in text:  # open_text(errors="replace") put it for a byte that is not UTF-8
            where = f"line {at}" if at else f"its {what} line"
            return (
                f"{where} ({what}) holds a byte that is not UTF-8 text at character "
                f"{text.index(chr(0xFFFD)) + 1}"
            )
    if len(qual) != len(seq):
        return f"{len(seq)} bases but {len(qual)} quality characters"
    if bad := _PHRED33.search(qual):
        where = f"line {qual_line}" if qual_line else "the quality line"
        return (
            f"{where}: quality character {bad.group()!r} at position {bad.start() + 1} is not "
            "Phred+33 (printable ASCII '!' to '~')"
        )
    return None


def read_sequences(path: str | os.PathLike, errors=None) -> Iterator[SeqRecord]:
    """FASTA or FASTQ by suffix; a file of another suffix whose first line starts with '@' is
    read as FASTQ (FASTA otherwise). `errors`: where malformed FASTQ records and FASTA records
    without a name go (`read_fastq`, `read_fasta`)."""
    if is_fastq(path) or starts_like_fastq(path):
        return read_fastq(path, errors)
    return read_fasta(path, errors)


def starts_like_fastq(path: str | os.PathLike) -> bool:
    """True when the first non-blank line starts with '@' (a FASTQ given another suffix)."""
    p = as_path(path, "path")
    if not p.is_file():
        return False
    try:
        # 'replace': a Latin-1 byte in the first '@' title must not hide that it is FASTQ
        with open_text(p, errors="replace") as fh:
            for raw in fh:
                if raw.strip("\ufeff \t\r\n"):
                    return raw.lstrip("\ufeff").startswith("@")
    except (InputError, OSError, UnicodeDecodeError):
        return False  # read_fasta reports it
    return False


def write_fasta(
    records: Iterable[tuple[str, str]], path: str | os.PathLike, width: int = 60
) -> Path:
    """Write (name, sequence) pairs as FASTA (gzip when the name ends in .gz), atomically;
    the same records give the same bytes (a gzip header holds no time and no file name).

    A header is one line: a line break in a name ('\r', '\n', any other character
    `str.splitlines` breaks at) is written as a space. It made the rest of the name a
    sequence line ('a\nb' + ACGT read back as record 'a' with sequence 'bACGT')."""
    from collections.abc import Mapping

    from helixforge.core.io import atomic_file, open_output
    from helixforge.lm.inputs import as_sequence

    dest = as_path(path, "output path")
    if isinstance(records, Mapping):
        records = records.items()  # {name: seq}
    elif isinstance(records, tuple) and len(records) == 2 and isinstance(records[0], str):
        records = [records]  # one (name, seq) pair
    with atomic_file(dest) as tmp:
        # open_output: a .gz header without the time and the temporary file's name
        with open_output(tmp, gz=dest.name.lower().endswith(".gz")) as fh:
            for k, item in enumerate(records):
                if not isinstance(item, tuple | list) or len(item) != 2:
                    raise InputError(
                        f"records[{k}] must be a (name, sequence) pair, got {item!r:.60}",
                        hint="pass [(name, seq), …] or {name: seq}",
                    )
                name, seq = item[0], as_sequence(item[1], f"records[{k}] ({item[0]!r})")
                fh.write(">" + " ".join(str(name).splitlines()) + "\n")
                for i in range(0, len(seq), width):
                    fh.write(seq[i : i + width] + "\n")
    return dest
