"""helix dna motifs scan|enrich · variants score · annotate train|predict · interpret · design.

Only typer/rich at module level; the library is imported inside each verb. The verbs follow the
one CLI grammar (cli/common.py): -o/--out with --overwrite on every writing verb, --jobs,
--device auto, --seed, --quiet/-q, 1-based inclusive regions. Verbs live in three modules:
motifs here, variants + annotate in `dna_genome`, interpret + design in `dna_explain`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import typer

from helixforge.cli.common import (
    OVERWRITE,
    QUIET,
    choice,
    float_option,
    handle_errors,
    not_blank,
    out_option,
    path_value,
    say,
)

motifs_app = typer.Typer(
    help="Transcription-factor motifs: JASPAR scanning (FIMO-like) and enrichment.",
    no_args_is_help=True,
)

MOTIFS = typer.Option(
    None,
    "--motifs",
    callback=path_value,
    help="Motif file (TRANSFAC / JASPAR / MEME, .gz ok) instead of bundled JASPAR.",
)
JASPAR = typer.Option(
    False,
    "--jaspar",
    help="Use the JASPAR release bundled with pyjaspar (the default without --motifs).",
)
IDS = typer.Option(
    None,
    "--ids",
    help="Matrix ids (MA0139.2) or TF names (CTCF); repeat the option or separate with commas.",
)
COLLECTION = typer.Option(
    "CORE", "--collection", callback=not_blank("CORE"), help="JASPAR collection."
)
TAX = typer.Option(
    "vertebrates",
    "--tax",
    callback=not_blank("vertebrates, or 'all' for every group"),
    help="JASPAR taxonomic group (vertebrates, insects, plants, fungi, …); 'all' for any.",
)
RELEASE = typer.Option(
    2024, "--release", min=2000, help="JASPAR release year bundled with pyjaspar."
)
PVALUE = float_option(
    1e-4,
    "--pvalue",
    min=0.0,
    max=1.0,
    min_open=True,
    help="Report hits with p-value ≤ this (exact, per motif).",
)


def split_ids(ids: list[str] | None, option: str = "--ids") -> list[str] | None:
    """['MA0139.2,MA0035.4', 'X'] → ['MA0139.2', 'MA0035.4', 'X'] (None when not given). An
    option given with no id in it (--ids ',') is refused: it silently meant every motif."""
    if not ids:
        return None
    from helixforge.core.errors import ConfigError

    out = [i.strip() for item in ids for i in item.split(",") if i.strip()]
    if not out:
        raise ConfigError(
            f"{option} {','.join(ids)!r} names no matrix id",
            hint=f"give ids such as {option} MA0139.2,MA0035.4, or leave {option} out",
        )
    return out


def motif_options(motifs_file, ids, collection, tax, release) -> dict:
    """The `resolve_motifs` keywords from the shared motif options."""
    return {
        "motif_file": motifs_file,
        "ids": split_ids(ids),
        "collection": collection,
        "tax_group": None if tax in {"all", "", None} else tax,
        "release": release,
    }


def _background(text: str):
    from helixforge.core.errors import ConfigError

    if "," not in text:
        if text not in {"uniform", "sequence"}:
            raise ConfigError(
                f"--background {text!r} is not uniform, sequence or four A,C,G,T frequencies"
            )
        return text
    try:
        values = [float(v) for v in text.split(",")]
    except ValueError:
        values = []
    if len(values) != 4 or not all(0 < v < float("inf") for v in values):  # NaN fails too
        raise ConfigError(
            f"--background {text!r}: give four positive A,C,G,T frequencies, e.g. 0.3,0.2,0.2,0.3"
        )
    return values


@motifs_app.command("scan")
@handle_errors
def scan_cmd(
    fasta: str = typer.Argument(
        ..., callback=path_value, help="FASTA file of sequences to scan (.gz ok)."
    ),
    out_path: str = out_option("hits.tsv", "Hits table (.tsv/.csv/.parquet) or .bed for BED6."),
    jaspar: bool = JASPAR,
    motifs_file: str = MOTIFS,
    ids: list[str] = IDS,
    collection: str = COLLECTION,
    tax: str = TAX,
    release: int = RELEASE,
    pvalue: float = PVALUE,
    background: str = typer.Option(
        "uniform",
        "--background",
        callback=choice("uniform", "sequence", strict=False),
        help="uniform | sequence (composition of the input) | A,C,G,T frequencies.",
    ),
    qvalues: bool = typer.Option(
        False, "--qvalues", help="Add Benjamini–Hochberg q-values (per motif, over all windows)."
    ),
    overwrite: bool = OVERWRITE,
    quiet: bool = QUIET,
) -> None:
    """Scan sequences for motif hits on both strands with exact p-values (FIMO-like).

    Hits are 0-based half-open (BED); rejected records go to <stem>.errors.csv.

    Example: helix dna motifs scan peaks.fa --ids MA0139.2 -o hits.tsv
    """
    from helixforge.dna.motifs import scan_fasta

    hits = scan_fasta(
        fasta,
        out_path,
        pvalue=pvalue,
        background=_background(background),
        qvalues=qvalues,
        overwrite=overwrite,
        quiet=quiet,
        **motif_options(motifs_file, ids, collection, tax, release),
    )
    n_motifs = hits["motif_id"].nunique() if len(hits) else 0
    scanned = hits.attrs.get("motifs_scanned", n_motifs)
    say(f"{len(hits):,} hits from {n_motifs} of {scanned} motifs → {out_path}", stderr=False)
    if hits.attrs.get("rejected"):
        say(f"{hits.attrs['rejected']} record(s) rejected → {hits.attrs['errors_path']}", "yellow")
    _say_motifs_skipped(hits, motifs_file)
    if hits.attrs.get("repeated_names"):
        say(
            f"note: {hits.attrs['repeated_names']} record(s) of {fasta} repeat an earlier "
            "record's name, and their hits carry that name (rename them to tell them apart, "
            "e.g. seqkit rename)",
            "yellow",
        )


@motifs_app.command("enrich")
@handle_errors
def enrich_cmd(
    foreground: str = typer.Argument(
        ..., callback=path_value, help="FASTA of foreground sequences (e.g. peaks)."
    ),
    background: str = typer.Argument(
        ..., callback=path_value, help="FASTA of background sequences (e.g. shuffled or flanks)."
    ),
    out_path: str = out_option("enrichment.tsv", "Enrichment table."),
    jaspar: bool = JASPAR,
    motifs_file: str = MOTIFS,
    ids: list[str] = IDS,
    collection: str = COLLECTION,
    tax: str = TAX,
    release: int = RELEASE,
    pvalue: float = PVALUE,
    top: int = typer.Option(10, "--top", min=1, help="Rows to print."),
    overwrite: bool = OVERWRITE,
    quiet: bool = QUIET,
) -> None:
    """Motifs whose hits are more frequent in the foreground (Fisher's exact test, BH q-values).

    Example: helix dna motifs enrich peaks.fa shuffled.fa --motifs jaspar.transfac -o enrich.tsv
    """
    from helixforge.dna.motifs import enrich_fasta

    table = enrich_fasta(
        foreground,
        background,
        out_path,
        pvalue=pvalue,
        overwrite=overwrite,
        **motif_options(motifs_file, ids, collection, tax, release),
    )
    if not quiet:
        say(table.head(top).to_string(index=False), stderr=False)
    say(f"→ {out_path}", stderr=False)
    if table.attrs.get("rejected"):
        say(
            f"{table.attrs['rejected']} record(s) rejected → {table.attrs['errors_path']}", "yellow"
        )
    _say_motifs_skipped(table, motifs_file)


def _say_motifs_skipped(result, motifs_file) -> None:
    if result.attrs.get("motifs_skipped"):
        say(
            f"{result.attrs['motifs_skipped']} motif(s) of {motifs_file} have no usable matrix "
            f"and were skipped → {result.attrs['errors_path']}",
            "yellow",
        )


def resolve_device(device: str) -> str:
    """'auto' → cuda when available, else cpu; other values unchanged."""
    if device != "auto":
        return device
    from helixforge.core.training import resolve_device as resolve

    return str(resolve("auto"))


@contextmanager
def use_jobs(jobs: int) -> Iterator[int]:
    """`with use_jobs(jobs) as n:` runs the block on --jobs torch threads (0 = all CPUs) and
    gives the count; the caller's count is back afterwards (a verb run in-process, as the tests
    and a notebook do, left it changed for the rest of the process)."""
    from helixforge.cli.common import resolve_jobs
    from helixforge.core.training import torch_threads

    with torch_threads(resolve_jobs(jobs)) as n:
        yield n


def register(app: typer.Typer) -> None:
    """Add this module's verbs (and those of dna_genome / dna_explain) to `helix dna`."""
    from helixforge.cli import dna_explain, dna_genome

    app.add_typer(motifs_app, name="motifs")
    dna_genome.register(app)
    dna_explain.register(app)
