"""FASTA / FASTQ records: reading (plain, gzip, BGZF) and writing.

Reading goes through `helixforge.core.io.open_text`, so a truncated compressed file is an
`InputError` naming the file. Errors name the file and the line.
"""

from __future__ import annotations

import gzip
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from helixforge.core.errors import EmptyInputError, InputError
from helixforge.core.io import fasta_records, open_text

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


def read_fasta(path: str | os.PathLike) -> Iterator[SeqRecord]:
    """Yield FASTA records (plain, gzip or BGZF). Errors name the file and line.

    Raises `EmptyInputError` for a file with no records and `InputError` for text before the
    first header, an empty header, or a damaged compressed stream.
    """
    p = Path(path)
    n = 0
    for line, header, seq in fasta_records(p):
        yield _record(p, header, line, seq)
        n += 1
    if n == 0:
        raise EmptyInputError(
            f"{p}: no FASTA records found", hint="the file is empty or has no '>' header lines"
        )


def _record(p: Path, header: str, line: int, seq: str) -> SeqRecord:
    if not header:
        raise InputError(
            f"{p}, line {line}: empty FASTA header", hint="give every record a name after '>'"
        )
    return SeqRecord(id=header.split()[0], description=header, seq=seq, line=line)


def read_fastq(path: str | os.PathLike) -> Iterator[SeqRecord]:
    """Yield FASTQ records (plain or gzip) via Biopython's FASTQ parser."""
    from Bio.SeqIO.QualityIO import FastqGeneralIterator

    p = Path(path)
    n = 0
    with open_text(p) as fh:
        try:
            for title, seq, qual in FastqGeneralIterator(fh):
                yield SeqRecord(
                    id=title.split()[0] if title else "",
                    description=title,
                    seq=seq,
                    line=4 * n + 1,
                    quality=qual,
                )
                n += 1
        except ValueError as exc:
            raise InputError(
                f"{p}: malformed FASTQ near record {n + 1} (line ~{4 * n + 1}): {exc}"
            ) from exc
    if n == 0:
        raise EmptyInputError(f"{p}: no FASTQ records found")


def read_sequences(path: str | os.PathLike) -> Iterator[SeqRecord]:
    """FASTA or FASTQ by suffix; a file of another suffix whose first line starts with '@' is
    read as FASTQ (FASTA otherwise)."""
    return read_fastq(path) if is_fastq(path) or _starts_like_fastq(path) else read_fasta(path)


def _starts_like_fastq(path: str | os.PathLike) -> bool:
    """True when the first non-blank line starts with '@' (a FASTQ given another suffix)."""
    p = Path(path)
    if not p.is_file():
        return False
    try:
        with open_text(p) as fh:
            for raw in fh:
                if raw.strip("\ufeff \t\r\n"):
                    return raw.lstrip("\ufeff").startswith("@")
    except (InputError, OSError, UnicodeDecodeError):
        return False  # read_fasta reports it
    return False


def write_fasta(
    records: Iterable[tuple[str, str]], path: str | os.PathLike, width: int = 60
) -> Path:
    """Write (name, sequence) pairs as FASTA (gzip when the name ends in .gz), atomically."""
    from helixforge.core.io import atomic_file

    dest = Path(path)
    with atomic_file(dest) as tmp:
        opener = gzip.open if dest.name.lower().endswith(".gz") else open
        with opener(tmp, "wt") as fh:
            for name, seq in records:
                fh.write(f">{name}\n")
                for i in range(0, len(seq), width):
                    fh.write(seq[i : i + width] + "\n")
    return dest
