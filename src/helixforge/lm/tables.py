"""Table-level faces of the language models: `helix lm embed | score` (and the FASTA / table
reader `helix lm predict` uses for FASTA input; tables go through `helixforge.lm.predict`).

Every reader here follows one rule: each input row (or FASTA record) ends up in the output or in
the errors table `<out stem>.errors.csv` (file, row = line number, column, value, reason), and
outputs keep every input column. Outputs are checked before any work (`core.io.check_output`)
and written atomically.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from helixforge.core.errors import ColumnNotFoundError, InputError, NoUsableRowsError, RowErrors
from helixforge.core.training import restores_torch_threads, set_threads
from helixforge.lm.tokenizer_backends import SequenceCheck, sequence_check

SEQUENCE_COLUMNS = ("sequence", "seq", "smiles")


def default_sequence_column(columns: Any) -> str | None:
    """The first of `SEQUENCE_COLUMNS` the header names exactly, or None. Column names are
    matched exactly, as everywhere (chem, dna, `core.tables.require_columns`): a 'Sequence'
    header is not picked; the caller's ColumnNotFoundError then says "did you mean 'Sequence'?"
    and the user passes --input-col Sequence."""
    names = [str(c) for c in columns]
    return next((c for c in SEQUENCE_COLUMNS if c in names), None)


@dataclass
class SequenceInput:
    """Usable rows of an input: the kept input frame, their ids and sequences; and the errors."""

    frame: pd.DataFrame
    ids: list[Any]
    sequences: list[str]
    errors: RowErrors = field(default_factory=RowErrors)
    n_rows: int = 0
    lines: list[int] = field(default_factory=list)  # the file line of each kept row


def errors_path(out: str | os.PathLike) -> Path:
    """`pred.csv` → `pred.errors.csv` (beside the output; `core.io.errors_table_path`)."""
    from helixforge.core.io import errors_table_path

    return errors_table_path(out)


def _read_fasta(p: Path, check: SequenceCheck | None = None) -> SequenceInput:
    """Records of a FASTA file (columns row = the file line of the header, id, description =
    the whole header, sequence); an empty or unusable record goes to the errors with the file
    line of its header."""
    from helixforge.core.io import fasta_records

    errors = RowErrors(p)
    recs = list(fasta_records(p))
    if not recs:
        raise InputError(f"{p}: no FASTA records", hint="a FASTA file starts with '>name'")
    lines, ids, descriptions, seqs = [], [], [], []
    for i, (line, title, seq) in enumerate(recs):
        name = title.split()[0] if title.strip() else f"record{i + 1}"
        if not seq.strip():
            errors.add(line, "sequence", name, "empty sequence")
            continue
        why = check.row_problem(seq.strip()) if check else None
        if why:
            errors.add(line, "sequence", seq.strip(), f"{why} (record {name})")
            continue
        lines.append(line)
        ids.append(name)
        descriptions.append(title.strip())
        seqs.append(seq.strip())
    # as in dna predict: the header's file line (`row`: it tells records of one name apart)
    # and the whole header text ('>s1 label=1 chr2:100-200') are input columns too
    frame = pd.DataFrame({"row": lines, "id": ids, "description": descriptions, "sequence": seqs})
    return SequenceInput(frame, ids, seqs, errors, n_rows=len(recs), lines=lines)


def usable_rows(
    frame: pd.DataFrame, col: str, errors: RowErrors, check: SequenceCheck | None = None
) -> tuple[pd.DataFrame, list[str]]:
    """Rows of `frame` (index = file line) with a sequence in `col`, and those sequences
    (stripped): empty ones, and those `check` refuses, go to `errors`."""
    from helixforge.core.tables import NA_SPELLINGS

    values = frame[col]
    empty = (values.isna() | values.astype(str).str.strip().eq("")).to_numpy()
    for line in frame.index[empty]:
        errors.add(int(line), col, frame.at[line, col], "empty sequence")
    marker = ~empty & values.astype(str).str.strip().isin(NA_SPELLINGS).to_numpy()
    for line in frame.index[marker]:  # R's 'NA', pandas' 'nan': not the bases N, A
        errors.add(int(line), col, frame.at[line, col], "missing-value marker, not a sequence")
    kept = frame.loc[~(empty | marker)]
    if check is not None:
        kept = check.filter(kept, col, errors)
    return kept, kept[col].astype(str).str.strip().tolist()


def read_sequences(
    path: str | os.PathLike,
    column: str | None = None,
    id_column: str | None = None,
    *,
    check: SequenceCheck | None = None,
) -> SequenceInput:
    """Sequences from a table (column sequence / seq / smiles by default) or a FASTA file.

    Lines with the wrong number of fields, empty sequences and (with `check`, see
    `tokenizer_backends.sequence_check`) sequences with characters outside the tokenizer's
    alphabet go to the errors; ids come from `id_column`, else the file line numbers (FASTA:
    record names)."""
    from helixforge.core.tables import read_table, skipped_line_errors
    from helixforge.lm.corpus import corpus_kind
    from helixforge.lm.inputs import as_path

    p = as_path(path, "input")
    if corpus_kind(p) == "fasta":
        return _read_fasta(p, check)
    refuse_fastq(p)
    df = read_table(p)
    errors = RowErrors(p)
    errors.extend(skipped_line_errors(df, p))
    if column is None:
        column = default_sequence_column(df.columns)
        if column is None:
            raise ColumnNotFoundError(["sequence"], df.columns, p)
    for col in (column, id_column):
        if col is not None and col not in df.columns:
            raise ColumnNotFoundError([col], df.columns, p)
    kept, seqs = usable_rows(df, column, errors, check)
    ids = kept[id_column].tolist() if id_column else [int(i) for i in kept.index]
    n_rows = len(df) + len(df.attrs.get("skipped_lines", {}))
    lines = [int(i) for i in kept.index]
    return SequenceInput(kept.reset_index(drop=True), ids, seqs, errors, n_rows=n_rows, lines=lines)


def _finish(errors: RowErrors, out_path) -> None:
    errors.write(errors_path(out_path))


def _no_rows(inp: SequenceInput, path, out_path) -> None:
    if not inp.sequences:
        _finish(inp.errors, out_path)
        raise NoUsableRowsError(
            f"{path}: no usable sequences", hint=f"see {errors_path(out_path)} for each row"
        )


def _check_outputs(out_path, overwrite: bool, *extra, inputs=(), npy: bool = False) -> None:
    from helixforge.core.io import check_distinct_outputs, check_output
    from helixforge.lm.inputs import as_path

    as_path(out_path, "out")
    kind = "file" if npy and str(out_path).endswith(".npy") else "table"  # embed writes .npy
    check_output(out_path, overwrite=overwrite, kind=kind, inputs=inputs)
    check_distinct_outputs(
        {"--out": out_path, **dict(extra), "--out (errors table)": errors_path(out_path)}
    )
    for opt, p in extra:
        if p:
            check_output(p, overwrite=overwrite, option=opt, inputs=inputs)


@restores_torch_threads
def embed_table(
    model_path,
    input_path,
    out_path,
    *,
    column: str | None = None,
    id_column: str | None = None,
    overwrite: bool = False,
    threads: int | None = None,
    **kwargs: Any,
) -> tuple[tuple[int, int], int]:
    """`embed` over a table or FASTA; writes parquet/csv (input columns + emb_0…) or .npy
    (rows in the order of the kept input rows, named in `npy_ids_path`: X.ids.csv with the
    file line `row` and `id` of each). Returns (shape, rows rejected)."""
    from helixforge.core.tables import atomic_path, write_table
    from helixforge.lm.inference import embed

    npy = str(out_path).endswith(".npy")
    ids_out = ("--out (row ids of the .npy)", npy_ids_path(out_path)) if npy else ("", None)
    _check_outputs(out_path, overwrite, ids_out, inputs=[input_path, model_path], npy=True)
    set_threads(threads)
    inp = read_sequences(input_path, column, id_column, check=sequence_check(model_path))
    _no_rows(inp, input_path, out_path)
    X = embed(model_path, inp.sequences, **kwargs)
    if npy:
        # an array has no ids: with rows rejected, row i of X was no longer row i of the
        # input and nothing said which it was. X.ids.csv names each row (file line, id).
        write_table(pd.DataFrame({"row": inp.lines, "id": inp.ids}), npy_ids_path(out_path))
        with atomic_path(out_path) as tmp, open(tmp, "wb") as fh:
            np.save(fh, X)
    else:
        emb = pd.DataFrame(X, columns=[f"emb_{i}" for i in range(X.shape[1])])
        write_table(with_outputs(inp.frame, emb), out_path)
    _finish(inp.errors, out_path)
    return X.shape, len(inp.errors)


def npy_ids_path(out: str | os.PathLike) -> Path:
    """`emb.npy` → `emb.ids.csv`: the file line and id of each row of the array."""
    p = Path(out)
    return p.with_name(p.name[: -len(".npy")] + ".ids.csv")


def refuse_fastq(p: Path) -> None:
    """A .fq / .fastq(.gz) input is named as such: read as a table it said "column 'sequence'
    not found. Columns present: '@r1'"."""
    if p.name.lower().removesuffix(".gz").endswith((".fq", ".fastq")):
        raise InputError(
            f"{p}: a FASTQ file; the lm verbs read FASTA or a table",
            hint="convert it first, e.g. seqkit fq2fa reads.fq > reads.fa",
        )


def with_outputs(inputs: pd.DataFrame, outputs: pd.DataFrame) -> pd.DataFrame:
    """The input columns, then the output columns; an input column named like an output (the
    table is itself an embed / score output) is kept as input_<name>, as `dna predict` and
    `lm predict` do. Both were written under one name: a CSV with repeated headers, and a
    pyarrow ValueError traceback for parquet."""
    inputs = inputs.reset_index(drop=True)
    taken = set(outputs.columns)
    clash = {c: f"input_{c}" for c in inputs.columns if c in taken}
    return pd.concat([inputs.rename(columns=clash), outputs.reset_index(drop=True)], axis=1)


@restores_torch_threads
def score_table(
    model_path,
    input_path,
    out_path,
    *,
    per_position: str | os.PathLike | None = None,
    column: str | None = None,
    id_column: str | None = None,
    overwrite: bool = False,
    threads: int | None = None,
    **kwargs: Any,
) -> tuple[int, str, int]:
    """`score` over a table or FASTA: input columns + n_tokens, log_likelihood,
    mean_log_likelihood, perplexity; optionally the per-position table."""
    from helixforge.core.tables import write_table
    from helixforge.lm.inference import score

    _check_outputs(
        out_path, overwrite, ("--per-position", per_position), inputs=[input_path, model_path]
    )
    set_threads(threads)
    inp = read_sequences(input_path, column, id_column, check=sequence_check(model_path))
    _no_rows(inp, input_path, out_path)
    if per_position and id_column:
        _require_unique_keys(inp, input_path, id_column)
    res = score(model_path, inp.sequences, **kwargs)
    scores = res.to_frame(inp.ids).drop(columns=["id"])
    # the per-position table's key must be a column of the per-sequence one: the --id-col,
    # a FASTA's record name (`id`) when no two records share one, else the file line, written
    # as `row` in both (FASTA records of one name were one key: the join mixed them)
    from helixforge.lm.corpus import corpus_kind

    fasta = corpus_kind(Path(input_path)) == "fasta"
    unique_ids = len(set(inp.ids)) == len(inp.ids)
    key = id_column or ("id" if fasta and unique_ids else "row")
    if key == "row" and not fasta:
        scores.insert(0, "row", inp.ids)
    keys = inp.frame["row"].tolist() if fasta and key == "row" else inp.ids
    write_table(with_outputs(inp.frame, scores), out_path)
    if per_position:
        write_table(res.positions_frame(keys).rename(columns={"id": key}), per_position)
    _finish(inp.errors, out_path)
    return len(inp.sequences), res.objective, len(inp.errors)


def _require_unique_keys(inp, input_path, id_column: str) -> None:
    """--per-position with an --id-col whose values repeat is refused before any work: the
    per-position rows of two sequences got one key, so the tables joined them as one."""
    from helixforge.core.errors import ConfigError

    first: dict[str, Any] = {}
    for ident, row in zip(inp.ids, inp.lines, strict=True):
        if ident in first:
            raise ConfigError(
                f"{input_path}: --id-col {id_column} has {ident!r} on line {first[ident]} and "
                f"line {row}, but it is the key joining the --per-position table to the scores",
                hint="pass an --id-col whose values are unique, or leave --id-col out (the "
                "file line, `row`, is the key then)",
            )
        first[ident] = row
