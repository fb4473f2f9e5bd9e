"""Guide inputs of `crispr offtargets` and `crispr score-ontarget`: a table, or a FASTA file.

Guides are often kept as FASTA (``>g1`` / spacer). Read as a table, such a file gave "column
'spacer' not found. Columns present: '>g1'"; here it becomes a table of ``guide_id`` (the record
name) and the asked-for sequence column, indexed by the file line of each record's header, so
errors name the line as they do for tables.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from helixforge.core.errors import InputError

if TYPE_CHECKING:
    import pandas as pd


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


def read_guide_table(path: str | os.PathLike, columns: list[str]) -> pd.DataFrame:
    """`core.tables.read_table(path, columns=columns)`, or for a FASTA file a frame of
    ``guide_id`` and ``columns[0]`` (the sequence column) indexed by header line. A table's
    unreadable lines stay in ``attrs["skipped_lines"]`` for the caller, which records them
    (`core.tables.skipped_line_errors`)."""
    import pandas as pd

    from helixforge.core.tables import read_table

    if not looks_like_fasta(path):
        return read_table(path, columns=columns)
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
