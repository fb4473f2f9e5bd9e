"""The DNA reader for supervised runs: sequences (and labels) from a table, FASTA/FASTQ or
BED + genome, with every input row accounted for.

    data = read_sequence_input("train.csv", seq_col="sequence", label_col="label")
    data.frame      # the input's own columns for the rows kept (index = file line)
    data.sequences  # cleaned, upper-case sequences (same order)
    data.labels     # raw label values (None without a label column)
    data.rows_in    # rows read; rows_in == len(data.frame) + len(errors)

Rows that cannot be used go to the `RowErrors` given (file, line, column, reason), never
silently away: lines with too many or too few fields, quoted empty sequences, characters that
are not nucleotides, IUPAC codes under `iupac='error'`, sequences longer than `max_len`,
missing labels and labels that are NaN or infinite.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from helixforge.core.errors import ColumnNotFoundError, ConfigError, InputError, RowErrors
from helixforge.dna.io import bed_to_sequences, is_fasta, is_fastq, read_bed, read_sequences
from helixforge.dna.sequence import IUPAC_POLICIES, clean_sequence
from helixforge.lm.inputs import as_path

_BASES = frozenset("ACGT")
_LABEL_IN_HEADER = re.compile(r"(?:^|[\s|;])label=([^\s|;]+)")


@dataclass
class SequenceInput:
    """What a reader returns: kept rows (input columns), their sequences, labels and ids."""

    source: str
    frame: Any  # pandas DataFrame of the input's columns, index = file line
    sequences: list[str]
    ids: list[str]
    labels: np.ndarray | None
    rows_in: int
    kind: str = "table"  # table | fasta | bed
    extra: dict[str, Any] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.sequences)

    def take(self, positions: Sequence[int]) -> SequenceInput:
        """The rows at `positions` (0-based) as a new SequenceInput (rows_in unchanged)."""
        pos = list(positions)
        return SequenceInput(
            self.source,
            self.frame.iloc[pos],
            [self.sequences[i] for i in pos],
            [self.ids[i] for i in pos],
            None if self.labels is None else self.labels[pos],
            self.rows_in,
            self.kind,
        )


def is_bed(path: str | os.PathLike) -> bool:
    return Path(path).name.lower().endswith((".bed", ".bed.gz"))


def _blank(v: Any) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v)) or not str(v).strip()


def _table_rows(p: Path, errs: RowErrors, needed: list[str]):
    """core.tables.read_table, which records every record it cannot turn into a row (wrong
    field count, broken quoting, all fields empty) in `errs`; returns (frame, rows_in)."""
    from helixforge.core.tables import read_table

    table = read_table(p, columns=needed, errors=errs)
    return table, int(table.attrs.get("rows_in", len(table)))


def read_sequence_input(
    path: str | os.PathLike,
    seq_col: str = "sequence",
    label_col: str | None = "label",
    *,
    id_col: str | None = None,
    labels: str | os.PathLike | None = None,
    genome: str | os.PathLike | None = None,
    flank: int = 0,
    extra_cols: Sequence[str] = (),
    iupac: str = "error",
    max_len: int | None = None,
    min_len: int = 1,
    errors: RowErrors | None = None,
) -> SequenceInput:
    """Read a table (CSV/TSV/Parquet, gz ok), FASTA/FASTQ (labels as `label=V` in headers or a
    `labels` table of id,label) or BED + `genome`; see the module docstring for the row rules."""
    import pandas as pd

    from helixforge.core.options import require_choice, require_int

    require_choice(iupac, "--iupac", IUPAC_POLICIES)
    require_int(flank, "--flank", min_value=0)
    p = as_path(path, "path")
    errs = errors if errors is not None else RowErrors(p)
    seq_name = "sequence"
    if is_fasta(p) or is_fastq(p):
        kind = "fasta"
        before = len(errs)
        recs = list(read_sequences(p, errors=errs))  # a malformed FASTQ record: an errors row
        rows_in = len(recs) + len(errs) - before
        frame = pd.DataFrame(
            {"id": [r.id for r in recs], "description": [r.description for r in recs]},
            index=pd.Index([r.line for r in recs], name="line"),
        )
        raw_seqs = [r.seq for r in recs]
        ids = list(frame["id"])
        raw_labels = None
        if label_col is not None:
            raw_labels = _fasta_labels(p, frame, labels, id_col, label_col)
    elif is_bed(p):
        kind = "bed"
        if genome is None:
            raise ConfigError(f"{p}: a BED input needs a genome FASTA", hint="pass --genome FILE")
        before = len(errs)
        bed = read_bed(p, errors=errs)
        rows_in = len(bed) + len(errs) - before
        if label_col is not None and label_col not in bed.columns:
            raise ColumnNotFoundError([label_col], list(bed.columns), p)
        bed = bed_to_sequences(bed, genome, flank=flank, errors=errs)
        raw_seqs = list(bed.pop("sequence"))
        frame = bed
        ids = [
            str(n) if "name" in bed.columns and not _blank(n) else f"{c}:{s}-{e}"
            for n, c, s, e in zip(bed.get("name", [None] * len(bed)), bed.chrom, bed.start, bed.end)
        ]
        raw_labels = list(bed[label_col]) if label_col is not None else None
    else:
        kind = "table"
        seq_name = seq_col
        needed = [seq_col, *([label_col] if label_col else []), *([id_col] if id_col else [])]
        frame, rows_in = _table_rows(p, errs, [*needed, *extra_cols])
        raw_seqs = list(frame[seq_col])
        ids = [str(v) for v in frame[id_col]] if id_col else [f"line{i}" for i in frame.index]
        raw_labels = list(frame[label_col]) if label_col is not None else None
    keep, seqs = clean_rows(
        frame, raw_seqs, ids, errs, seq_name, raw_labels, label_col, iupac=iupac, max_len=max_len,
        min_len=min_len,
    )  # fmt: skip
    return SequenceInput(
        str(p),
        frame.iloc[keep],
        seqs,
        [ids[k] for k in keep],
        None if raw_labels is None else np.array([raw_labels[k] for k in keep], dtype=object),
        rows_in,
        kind,
    )


def model_sequence(
    seq: str, where: str, iupac: str = "error", max_len: int | None = None, min_len: int = 1
) -> tuple[str, str | None]:
    """One sequence as a model reads it (`clean_sequence` under the `--iupac` policy), or the
    reason it cannot be: a non-nucleotide character, an IUPAC code under 'error', a length out
    of bounds, or no A, C, G or T base. The one rule of `dna predict | train | interpret`."""
    try:
        cleaned = clean_sequence(seq, where=where, iupac=iupac, max_len=max_len, min_len=min_len)
    except InputError as exc:
        # the reason goes to an errors table with what to do (the hint was dropped: a row
        # with an R said 'IUPAC ambiguity code' and nothing of --iupac n)
        reason = exc.message.split(": ", 1)[-1]
        fix = exc.hint
        if max_len is not None and "longer than the maximum" in reason:
            fix = (
                f"the model takes at most {max_len} bases: cut the sequence into windows of "
                f"{max_len} bases or fewer, or train on sequences as long"
            )
        elif "shorter than the minimum" in reason:
            fix = f"give at least {min_len} bases (one token of the model)"
        return "", f"{reason}; {fix}" if fix else reason
    if not _BASES.intersection(cleaned):  # all N: the model's output for an empty input
        return "", "no A, C, G or T base (all N or ambiguity codes): nothing for the model to read"
    return cleaned, None


def clean_rows(
    frame,
    raw_seqs: Sequence[Any],
    ids: Sequence[str],
    errs: RowErrors,
    seq_name: str,
    raw_labels: Sequence[Any] | None = None,
    label_col: str | None = None,
    *,
    iupac: str = "error",
    max_len: int | None = None,
    min_len: int = 1,
) -> tuple[list[int], list[str]]:
    """Positions of the usable rows and their cleaned sequences; every other row is recorded
    in `errs` (empty or invalid sequence, too long, no A/C/G/T base at all, missing or
    non-finite label)."""
    from helixforge.core.tables import NA_SPELLINGS

    keep, seqs = [], []
    source = errs.file or "input"
    for k, (line, seq, ident) in enumerate(zip(frame.index, raw_seqs, ids)):
        if _blank(seq):
            errs.add(int(line), seq_name, None, "empty sequence")
            continue
        if str(seq).strip() in NA_SPELLINGS:  # R's 'NA', pandas' 'nan': not the bases N, A
            errs.add(int(line), seq_name, seq, "missing-value marker, not a sequence")
            continue
        cleaned, reason = model_sequence(
            str(seq).strip(), f"{source}, line {line} ({ident})", iupac, max_len, min_len
        )
        if reason:
            errs.add(int(line), seq_name, seq, reason)
            continue
        if raw_labels is not None:
            problem = _label_problem(raw_labels[k])
            if problem:
                value = raw_labels[k]
                errs.add(int(line), label_col, None if isinstance(value, _LabelIssue) else value,
                         problem)  # fmt: skip
                continue
        keep.append(k)
        seqs.append(cleaned)
    return keep, seqs


class _LabelIssue:
    """A label that cannot be used, with the reason (ambiguous or absent in --labels)."""

    def __init__(self, reason: str):
        self.reason = reason

    def __str__(self) -> str:
        return ""


def _label_problem(value: Any) -> str | None:
    if isinstance(value, _LabelIssue):
        return value.reason
    if _blank(value):
        return "missing label"
    try:
        f = float(str(value).strip())
    except ValueError:
        return None  # a text class
    return None if math.isfinite(f) else "label is not a finite number"


def _fasta_labels(p: Path, frame, labels, id_col: str | None, label_col: str) -> list[Any]:
    from helixforge.core.tables import read_table

    if labels is not None:
        key = id_col or "id"
        table = read_table(labels, columns=[key, label_col])
        keys = table[key].astype(str).str.strip()
        values = table[label_col].astype(str).str.strip()
        mapping = dict(zip(keys, table[label_col]))
        conflicting = set(keys[~values.groupby(keys).transform(lambda v: v.nunique() == 1)])
        repeated = frame["id"].value_counts()
        name = Path(labels).name
        out: list[Any] = []
        for i in frame["id"]:
            if repeated[i] > 1:
                out.append(_LabelIssue(f"record name {i!r} appears {repeated[i]} times in the "
                                       f"FASTA; --labels {name} cannot tell them apart"))  # fmt: skip
            elif i in conflicting:
                out.append(_LabelIssue(f"id {i!r} has different labels in {name}"))
            elif i not in mapping:
                out.append(_LabelIssue(f"id {i!r} is not in --labels {name}"))
            else:
                out.append(mapping[i])
        return out
    found = [_LABEL_IN_HEADER.search(h) for h in frame["description"]]
    if not any(found):
        raise InputError(
            f"{p}: no 'label=VALUE' found in the FASTA headers",
            hint="write headers like '>seq1 label=1', or pass --labels FILE (id and label columns)",
        )
    return [m.group(1) if m else None for m in found]


def load_sequence_table(
    path: str | os.PathLike, seq_col: str = "sequence", label_col: str | None = "label", **kw: Any
):
    """The reader's rows as one DataFrame: id, sequence, [label] and any `extra_cols`
    (index = file line). Kept for callers of the older API; see `read_sequence_input`."""
    import pandas as pd

    data = read_sequence_input(path, seq_col, label_col, **kw)
    df = pd.DataFrame({"id": data.ids, "sequence": data.sequences}, index=data.frame.index)
    for col in kw.get("extra_cols", ()):
        df[col] = data.frame[col].to_numpy()
    for col in ("chrom", "start", "end", "strand"):
        if data.kind == "bed" and col in data.frame.columns:
            df[col] = data.frame[col].to_numpy()
    if data.labels is not None:
        df["label"] = data.labels
    return df


def sequence_chunks(
    path: str | os.PathLike,
    chunk_size: int,
    seq_col: str = "sequence",
    *,
    genome: str | os.PathLike | None = None,
    flank: int = 0,
    extra_cols: Sequence[str] = (),
):
    """The raw rows of a table, FASTA/FASTQ or BED + genome in chunks of `chunk_size` (for
    `core.supervised.predict_table`): `TableChunk(frame, errors)`, the frame's index the file
    line. FASTA/BED frames carry `id`/`description` or the BED columns plus `sequence`.
    Sequences are not checked here (the prediction step does that, chunk by chunk). The file,
    its format and the sequence column (and a table's `extra_cols`) are checked before the
    first chunk."""
    from helixforge.core.options import require_int
    from helixforge.core.tables import TableChunk, iter_table

    require_int(flank, "--flank", min_value=0)
    p = as_path(path, "path")
    if not (is_fasta(p) or is_fastq(p) or is_bed(p)):
        return iter_table(p, chunk_size=chunk_size, columns=[seq_col, *extra_cols])
    if not p.is_file():
        raise InputError(f"{p}: not found", hint="check the path")
    if is_bed(p) and genome is None:
        raise ConfigError(f"{p}: a BED input needs a genome FASTA", hint="pass --genome FILE")
    return _record_chunks(p, chunk_size, genome, flank, TableChunk)


def _record_chunks(p: Path, chunk_size: int, genome, flank: int, chunk_type):
    import pandas as pd

    errs = RowErrors(p)
    if is_bed(p):
        bed = bed_to_sequences(read_bed(p, errors=errs), genome, flank=flank, errors=errs)
        frames = [bed.iloc[i : i + chunk_size] for i in range(0, len(bed), chunk_size)]
        frames = frames or [bed]
        for k, frame in enumerate(frames):
            yield chunk_type(frame, errs if k == 0 else RowErrors(p))
        return
    batch: list = []

    def frame_of(recs):
        return pd.DataFrame(
            {
                "id": [r.id for r in recs],
                "description": [r.description for r in recs],
                "sequence": [r.seq for r in recs],
            },
            index=pd.Index([r.line for r in recs], name="line"),
        )

    n = 0
    bad = RowErrors(p)  # malformed FASTQ records, handed to the chunk they were met in
    for rec in read_sequences(p, errors=bad):
        batch.append(rec)
        if len(batch) == chunk_size:
            errs.extend(bad)
            bad.items.clear()
            yield chunk_type(frame_of(batch), errs)
            batch, errs, n = [], RowErrors(p), n + 1
    errs.extend(bad)
    if batch or len(errs) or n == 0:  # an empty file still gives one (empty) chunk
        yield chunk_type(frame_of(batch), errs)
