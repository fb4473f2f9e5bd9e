"""The pipelines behind `helix dna motifs scan|enrich`: read FASTA, scan or test, write the
output atomically plus `<stem>.errors.csv` (every rejected record, with its header line).

Output paths are checked before any work (`core.io.check_output`): an existing output is
replaced only with `overwrite=True`.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from helixforge.core.errors import NoUsableRowsError, RowErrors
from helixforge.core.io import check_not_input, check_output
from helixforge.core.options import require_float
from helixforge.dna.motifs.enrich import enrich
from helixforge.dna.motifs.load import resolve_motifs
from helixforge.dna.motifs.matrices import Motif
from helixforge.dna.motifs.scan import scan, write_hits


def errors_path(out: str | os.PathLike) -> Path:
    """`dir/hits.tsv` → `dir/hits.errors.csv` (the errors table written beside an output)."""
    from helixforge.core.io import errors_table_path

    return errors_table_path(out)


def check_outputs_not_inputs(out: str | os.PathLike, inputs: Sequence[object]) -> None:
    """`out` and the errors table written beside it (`errors_path`) must not be an input: a
    FASTA named hits.errors.csv with -o hits.tsv was replaced by the rejected records."""
    check_not_input(out, inputs)
    check_not_input(errors_path(out), inputs, option="--out (errors table)")


def scan_fasta(
    fasta: str | os.PathLike,
    out: str | os.PathLike,
    motifs: Sequence[Motif] | None = None,
    pvalue: float = 1e-4,
    background: str | Sequence[float] | None = None,
    qvalues: bool = False,
    overwrite: bool = False,
    quiet: bool = True,
    **motif_options,
) -> pd.DataFrame:
    """Scan a FASTA file and write hits to `out` (.bed → BED6, else a table) plus `<stem>.errors.csv`.

    `motifs` default to `resolve_motifs(**motif_options)` (JASPAR CORE vertebrates).
    Rows in = hits' sequences + errors: every record is scanned or in the errors table.
    """
    require_float(pvalue, "--pvalue", low=0, high=1, low_open=True)
    from helixforge.lm.inputs import as_path

    as_path(fasta, "fasta")
    as_path(out, "out")
    check_outputs_not_inputs(out, [fasta, motif_options.get("motif_file")])
    check_output(out, overwrite=overwrite)
    motif_errors = RowErrors(motif_options.get("motif_file"))  # unusable matrices: skipped
    motifs = (
        list(motifs) if motifs is not None else resolve_motifs(**motif_options, errors=motif_errors)
    )
    errors = RowErrors(fasta)
    try:
        hits = scan(
            fasta,
            motifs,
            pvalue=pvalue,
            background=background,
            qvalues=qvalues,
            errors=errors,
            quiet=quiet,
        )
    except NoUsableRowsError as exc:
        errors.extend(motif_errors)
        errors.write(errors_path(out))  # says why every record was rejected
        raise _naming_errors_table(exc, errors_path(out)) from None
    rejected = len(errors)
    errors.extend(motif_errors)
    errors.write(errors_path(out))
    write_hits(hits, out)
    hits.attrs.update(
        motifs_scanned=len(motifs),
        rejected=rejected,
        motifs_skipped=len(motif_errors),
        errors_path=str(errors_path(out)),
    )
    return hits


def enrich_fasta(
    foreground: str | os.PathLike,
    background: str | os.PathLike,
    out: str | os.PathLike,
    motifs: Sequence[Motif] | None = None,
    pvalue: float = 1e-4,
    overwrite: bool = False,
    **motif_options,
) -> pd.DataFrame:
    """`enrich` for two FASTA files; writes the table to `out` and rejected records to `<stem>.errors.csv`."""
    from helixforge.core.tables import write_table

    require_float(pvalue, "--pvalue", low=0, high=1, low_open=True)
    from helixforge.lm.inputs import as_path

    as_path(out, "out")
    check_outputs_not_inputs(out, [foreground, background, motif_options.get("motif_file")])
    check_output(out, overwrite=overwrite)
    motif_errors = RowErrors(motif_options.get("motif_file"))  # unusable matrices: skipped
    motifs = (
        list(motifs) if motifs is not None else resolve_motifs(**motif_options, errors=motif_errors)
    )
    fg_err, bg_err = RowErrors(foreground), RowErrors(background)
    try:
        table = enrich(
            foreground, background, motifs, pvalue=pvalue, errors=fg_err, bg_errors=bg_err
        )
    except NoUsableRowsError as exc:
        fg_err.extend(bg_err)
        fg_err.extend(motif_errors)
        fg_err.write(errors_path(out))  # says why every record was rejected
        raise _naming_errors_table(exc, errors_path(out)) from None
    rejected = len(fg_err) + len(bg_err)
    fg_err.extend(bg_err)
    fg_err.extend(motif_errors)
    fg_err.write(errors_path(out))
    write_table(table, out)
    table.attrs.update(
        rejected=rejected, motifs_skipped=len(motif_errors), errors_path=str(errors_path(out))
    )
    return table


def _naming_errors_table(exc: NoUsableRowsError, path: Path) -> NoUsableRowsError:
    """`exc` (every record of an input rejected) with the errors table just written named in
    its hint: the message listed the first reasons but not where the others are."""
    hint = f"see {path} for the reason of each record"
    return NoUsableRowsError(exc.message, hint=f"{hint}:\n{exc.hint}" if exc.hint else hint)
