"""Guide inputs of `crispr offtargets` and `crispr score-ontarget`: a table, or a FASTA file.

Guides are often kept as FASTA (``>g1`` / spacer). Read as a table, such a file gave "column
'spacer' not found. Columns present: '>g1'"; here it becomes a table of ``guide_id`` (the record
name) and the asked-for sequence column, indexed by the file line of each record's header, so
errors name the line as they do for tables.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import TYPE_CHECKING

from helixforge.core.errors import InputError

if TYPE_CHECKING:
    import pandas as pd


def input_column_names(columns, names) -> dict[str, str]:
    """{name: new name} for the input `columns` that an output column of the same `names` will
    replace: ``input_<name>``, else ``input_<name>_2``, … — a name no column has. A table scored
    twice holds both ontarget_score and input_ontarget_score; renaming the first to the second
    wrote two columns of one name, which no reader (helix's own included) takes back."""
    taken = {str(c) for c in columns}
    out = {}
    for name in names:
        if name not in taken:
            continue
        new, k = f"input_{name}", 2
        while new in taken:
            new, k = f"input_{name}_{k}", k + 1
        taken.add(new)
        out[name] = new
    return out


def _with_hint(exc, hint: str):
    """`exc` (a HelixError) with `hint` instead of its own."""
    exc.hint = hint
    exc.args = (f"{exc.message}\n  → {exc.hint}",)
    return exc


def looks_like_fasta(path: str | os.PathLike) -> bool:
    """A FASTA suffix (.fa, .fasta, .fna, …, .gz ok), or a first non-blank character '>'."""
    from helixforge.core.io import open_text
    from helixforge.dna.io.fasta import is_fasta

    p = Path(path)
    if is_fasta(p):
        return True
    try:
        with open_text(p) as fh:
            for line in fh:
                text = line.lstrip("\ufeff").strip()
                if text:
                    return text.startswith(">")
    except (OSError, UnicodeDecodeError, InputError):
        return False  # the table reader names what is wrong with the file
    return False


def sequence_columns(path: str | os.PathLike, lengths: tuple[int, ...], rows: int = 200) -> list:
    """(column, length) for each column of the table's first `rows` rows whose filled cells
    are nearly all (≥ 90 %) nucleotide strings of one of `lengths` (A/C/G/T/U/N, any case)."""
    import re

    from helixforge.core.tables import head_rows

    frame = head_rows(path, rows)
    if frame is None:
        return []
    bases = re.compile(r"[ACGTUNacgtun]+")
    found = []
    for col in frame.columns:
        cells = [str(v).strip() for v in frame[col].dropna() if str(v).strip()]
        cells = [c for c in cells if bases.fullmatch(c)]
        filled = frame[col].dropna().astype(str).str.strip().ne("").sum()
        for n in lengths:
            if filled and sum(len(c) == n for c in cells) >= 0.9 * filled:
                found.append((str(col), n))
                break
    return found


_SEQUENCE_HEADER = re.compile(r"[ACGTUNacgtun]{15,}")


def _headerless_list(path, columns: list[str], option: str) -> pd.DataFrame | None:
    """A file of sequences without a header line, as Cas-OFFinder and most guide lists keep
    them (one per line): a frame of `columns[0]` holding every non-blank line, the first
    included, indexed by file line. It was read with the first guide as the header, refused as
    "column 'spacer' not found", with a hint to pass that guide as --input-col (which lost it).
    None when the first line is not a sequence; an `InputError` when it is a sequence among
    other fields (their names are unknown)."""
    import pandas as pd

    from helixforge.core.io import open_text

    if Path(path).suffix.lower() in (".parquet", ".pq"):
        return None
    lines, seqs = [], []
    with open_text(path) as fh:
        for number, line in enumerate(fh, start=1):
            text = line.lstrip("\ufeff").strip()
            if not text:
                continue
            if not seqs:  # the first line: a sequence, or a header (then this is a table)
                fields = [f.strip() for f in re.split(r"[,\t;]", text)]
                if not _SEQUENCE_HEADER.fullmatch(fields[0]):
                    return None
                if len(fields) > 1 or len(columns) > 1:
                    raise InputError(
                        f"{path}: line {number} ({text[:60]!r}) holds a sequence, not column names",
                        hint=f"add a header line naming the columns (e.g. {','.join(columns)}) "
                        f"and pass {option} with the sequence column's name",
                    )
            lines.append(number)
            seqs.append(text)
    if not seqs:  # an empty file: the table reader's error says so
        return None
    return pd.DataFrame({columns[0]: seqs}, index=pd.Index(lines))


def read_guide_table(
    path: str | os.PathLike,
    columns: list[str],
    lengths: tuple[int, ...] = (),
    option: str = "--input-col",
) -> pd.DataFrame:
    """`core.tables.read_table(path, columns=columns)`, or for a FASTA file a frame of
    ``guide_id`` and ``columns[0]`` (the sequence column) indexed by header line. A table's
    unreadable lines stay in ``attrs["skipped_lines"]`` for the caller, which records them
    (`core.tables.skipped_line_errors`).

    When the sequence column is not in the table, the error's hint names the columns that
    hold sequences of `lengths` (e.g. 30-mer contexts), with the `option` that picks one:
    the RS3, Kim 2019 and DeepHF tables call theirs 'sgRNA Context Sequence',
    'target_context_30mer' and 'sgRNA', never the default."""
    import pandas as pd

    from helixforge.core.errors import ColumnNotFoundError, EmptyInputError
    from helixforge.core.tables import read_table

    if not looks_like_fasta(path):
        try:
            return read_table(path, columns=columns)
        except (ColumnNotFoundError, EmptyInputError) as exc:
            headerless = _headerless_list(path, columns, option)
            if headerless is not None:
                return headerless
            if (
                isinstance(exc, EmptyInputError)
                or not lengths
                or f"{columns[0]!r}" not in exc.message.split("Columns present")[0]
            ):
                raise
            found = sequence_columns(path, lengths)
            if not found:
                raise
            shown = "; ".join(f"column {c!r} holds {n}-nt sequences" for c, n in found)
            raise _with_hint(exc, f"{shown}: pass {option} {found[0][0]!r}") from None
    from helixforge.dna.io import read_fasta

    seq_col, others = columns[0], [c for c in columns[1:] if c != "guide_id"]
    if others:
        raise InputError(
            f"{path}: a FASTA file has record names (guide_id) and sequences, no column "
            f"{others[0]!r}",
            hint="drop --id-col (the record names are the guide ids), or give a table",
        )
    recs = list(read_fasta(path))
    return pd.DataFrame(
        {"guide_id": [r.id for r in recs], seq_col: [r.seq for r in recs]},
        index=pd.Index([r.line for r in recs]),
    )
