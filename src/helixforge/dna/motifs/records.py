"""Input sequences for motif work: FASTA files (through `dna.io.read_fasta`), mappings or lists,
normalised to `SequenceRecord`s and checked, with bad records sent to the errors table.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from helixforge.core.errors import InputError, NoUsableRowsError, RowErrors
from helixforge.dna.sequence import IUPAC

_ALLOWED = set(IUPAC) | {c.lower() for c in IUPAC}


@dataclass
class SequenceRecord:
    """One input sequence: its name, bases and the file line of its header (None if in memory)."""

    name: str
    seq: str
    line: int | None = None


def read_fasta_records(path: str | os.PathLike) -> list[SequenceRecord]:
    """FASTA records (plain, gzip or BGZF) with the line of each header (via
    `dna.io.read_sequences`: a FASTQ, by suffix or by its '@' first line, is read too, as
    `dna predict` reads it; motifs scan / interpret / design refused a reads.fq saying 'name the
    file .fq or .fastq').

    A missing file, a directory, text before the first header or a damaged compressed stream
    raise `InputError`; a file without records raises `EmptyInputError`.
    """
    from helixforge.core.errors import EmptyInputError
    from helixforge.core.io import fasta_records
    from helixforge.dna.io import read_sequences
    from helixforge.dna.io.fasta import is_fastq, starts_like_fastq

    p = Path(path)
    if not p.exists():
        raise InputError(f"{p}: FASTA file not found", hint="check the path")
    if p.is_dir():
        raise InputError(f"{p}: is a directory, expected a FASTA file")
    if is_fastq(p) or starts_like_fastq(p):
        return [SequenceRecord(r.id, r.seq, r.line) for r in read_sequences(p)]
    # a '>' line with no name is one bad record (`check_records` rejects it by its line), not
    # the end of the job: read_fasta refuses the whole file for it
    out = [
        SequenceRecord(header.split()[0] if header.split() else "", seq, line)
        for line, header, seq in fasta_records(p)
    ]
    if not out:
        raise EmptyInputError(
            f"{p}: no FASTA records found", hint="the file is empty or has no '>' header lines"
        )
    return out


SequencesLike = (
    str
    | os.PathLike
    | Mapping[str, str]
    | Sequence[str]
    | Sequence[tuple[str, str]]
    | Sequence[SequenceRecord]
)


def as_records(sequences: SequencesLike) -> tuple[list[SequenceRecord], str]:
    """Normalise sequences given as a FASTA path, {name: seq}, [seq], [(name, seq)] or records.

    A single sequence string (or bytes) is one record; lists, tuples, NumPy arrays, pandas
    Series (their index gives the names) and generators are read in order. A missing item
    (None / NaN) becomes a record without bases, which `check_records` rejects by name (or
    sends to the errors table); None, '' or a value of another type as a whole is an
    `InputError` saying what to pass.
    """
    from helixforge.dna.sequence import as_sequence

    where = "<sequences>"
    if sequences is None:
        raise InputError(
            "sequences is None",
            hint="pass a FASTA path, a sequence, a list of sequences or a {name: sequence} dict",
        )
    if isinstance(sequences, bytes | bytearray):
        sequences = as_sequence(sequences, "sequences")
    if isinstance(sequences, str) and not sequences.strip():
        raise InputError(
            "sequences is an empty string",
            hint="pass a FASTA path, a sequence, a list of sequences or a {name: sequence} dict",
        )
    if isinstance(sequences, (str, os.PathLike)) and not (
        isinstance(sequences, str) and _looks_like_dna(sequences)
    ):
        return read_fasta_records(sequences), str(sequences)
    if isinstance(sequences, str):
        return [SequenceRecord("seq1", sequences)], where
    if type(sequences).__name__ == "Series":
        sequences = dict(zip(map(str, sequences.index), sequences.tolist()))
    if isinstance(sequences, Mapping):
        return [_record(str(k), v) for k, v in sequences.items()], where
    from helixforge.lm.inputs import as_sequences

    if type(sequences).__name__ == "ndarray" or isinstance(sequences, set | frozenset):
        sequences = as_sequences(sequences, "sequences")  # names what is wrong with it
    if not isinstance(sequences, Iterable):
        raise InputError(
            f"sequences is a {type(sequences).__name__}, not sequences",
            hint="pass a FASTA path, a sequence, a list of sequences or a {name: sequence} dict",
        )
    out = []
    for i, s in enumerate(sequences):
        if isinstance(s, SequenceRecord):
            out.append(s)
        elif isinstance(s, tuple | list) and len(s) == 2 and not isinstance(s[0], int):
            out.append(_record(str(s[0]), s[1], f"sequences[{i}]"))
        else:
            out.append(_record(f"seq{i + 1}", s, f"sequences[{i}]"))
    return out, where


def _record(name: str, value: object, where: str | None = None) -> SequenceRecord:
    """A record of one in-memory value: text and bytes are read, a missing value (None, NaN)
    gives a record without bases (rejected by `check_records`), anything else is an InputError."""
    from helixforge.core.errors import is_missing
    from helixforge.dna.sequence import as_sequence

    if is_missing(value):
        return SequenceRecord(name, None)  # type: ignore[arg-type]
    return SequenceRecord(name, as_sequence(value, where or f"sequence {name!r}"))


def _looks_like_dna(s: str) -> bool:
    return len(s) > 0 and set(s) <= _ALLOWED and not os.path.exists(s)


def _fix_for(char: str) -> str:
    """What to do about a record holding `char` (the errors table said only what was wrong)."""
    if char in "-.":
        return "an alignment gap: remove the gaps (seqkit seq -g) or replace them with N"
    if char == "X":
        return "write N for a masked or unknown base"
    if char.isdigit() or char.isspace():
        return "keep only the bases on sequence lines (no numbers or spaces, as in GenBank)"
    if char.isalpha() or char == "*":
        return "a protein sequence? give the DNA sequence"
    return "fix or remove the record"


def check_records(
    records: list[SequenceRecord], source: str, errors: RowErrors | None = None, min_length: int = 1
) -> list[SequenceRecord]:
    """Upper-case each record and reject those with non-nucleotide characters or no bases.

    With `errors`, a bad record is recorded (file, header line, value, reason) and skipped;
    without, the first bad record raises `InputError`. IUPAC ambiguity codes are kept (they are
    never part of a scored window).
    """
    good = []
    for r in records:
        if not r.name and r.line is not None:  # a '>' line of a file with no name after it
            reason = "the '>' header line has no record name; give the record a name after '>'"
            if errors is None:
                raise InputError(f"{source}, line {r.line}: {reason}",
                                 hint="give every record a name right after '>'")  # fmt: skip
            errors.add(r.line, "name", None, reason)
            continue
        if r.seq is None:
            reason = f"sequence {r.name!r} is missing (None / NaN)"
            if errors is None:
                raise InputError(f"{source}: {reason}", hint="pass a sequence or drop this entry")
            errors.add(r.line, "sequence", None, reason)
            continue
        seq = r.seq.upper().replace("U", "T")
        bad = next((c for c in seq if c not in IUPAC), None)
        reason = None
        if bad is not None:
            pos = seq.index(bad) + 1
            reason = (
                f"sequence {r.name!r} has {bad!r} at position {pos}, which is not a nucleotide "
                f"(A C G T N or IUPAC); {_fix_for(bad)}"
            )
        elif len(seq) < min_length:
            reason = (
                f"sequence {r.name!r} is empty; give its bases or remove the record"
                if not seq
                else f"sequence {r.name!r} is shorter than {min_length}"
            )
        if reason:
            if errors is None:
                where = f"{source}, line {r.line}: " if r.line else f"{source}: "
                raise InputError(where + reason, hint="fix or remove this record")
            errors.add(r.line, "sequence", bad if bad is not None else r.name, reason)
            continue
        good.append(SequenceRecord(r.name, seq, r.line))
    if not good:
        raise NoUsableRowsError(
            f"{source}: no usable sequences ({len(records)} rejected)",
            hint=errors.summary() if errors is not None else None,
        )
    return good
