"""helix dna motifs scan|enrich, helix dna interpret, helix dna variants score, helix dna design.

Only typer/rich at module level; the library is imported inside each verb.
"""

from __future__ import annotations

import typer

from helixforge.cli.common import DEVICE, QUIET, SEED, console, handle_errors, out

motifs_app = typer.Typer(
    help="Transcription-factor motifs: JASPAR scanning (FIMO-like) and enrichment.",
    no_args_is_help=True,
)
variants_app = typer.Typer(
    help="Variant effects from sequence models and language models.", no_args_is_help=True
)

_MOTIFS = typer.Option(
    None,
    "--motifs",
    help="Motif file (TRANSFAC / JASPAR / MEME, .gz ok) instead of bundled JASPAR.",
)
_JASPAR = typer.Option(
    False,
    "--jaspar",
    help="Use the JASPAR release bundled with pyjaspar (the default without --motifs).",
)
_IDS = typer.Option(
    None, "--ids", help="Matrix ids, e.g. MA0139.2 (repeat the option or separate with commas)."
)
_COLLECTION = typer.Option("CORE", "--collection", help="JASPAR collection.")
_TAX = typer.Option(
    "vertebrates",
    "--tax",
    help="JASPAR taxonomic group (vertebrates, insects, plants, fungi, …); 'all' for any.",
)
_RELEASE = typer.Option(2024, "--release", help="JASPAR release year bundled with pyjaspar.")
_PVALUE = typer.Option(1e-4, "--pvalue", help="Report hits with p-value ≤ this (exact, per motif).")


def _split_ids(ids: list[str] | None) -> list[str] | None:
    if not ids:
        return None
    return [i.strip() for item in ids for i in item.split(",") if i.strip()]


def _motif_options(motifs_file, ids, collection, tax, release) -> dict:
    return {
        "motif_file": motifs_file,
        "ids": _split_ids(ids),
        "collection": collection,
        "tax_group": None if tax in {"all", "", None} else tax,
        "release": release,
    }


@motifs_app.command("scan")
@handle_errors
def scan_cmd(
    fasta: str = typer.Argument(..., help="FASTA file of sequences to scan (.gz ok)."),
    out_path: str = typer.Option(
        "hits.tsv", "--out", help="Hits table (.tsv/.csv/.parquet) or .bed for BED6."
    ),
    jaspar: bool = _JASPAR,
    motifs_file: str = _MOTIFS,
    ids: list[str] = _IDS,
    collection: str = _COLLECTION,
    tax: str = _TAX,
    release: int = _RELEASE,
    pvalue: float = _PVALUE,
    background: str = typer.Option(
        "uniform",
        "--background",
        help="uniform | sequence (composition of the input) | A,C,G,T frequencies.",
    ),
    qvalues: bool = typer.Option(
        False, "--qvalues", help="Add Benjamini–Hochberg q-values (per motif, over all windows)."
    ),
) -> None:
    """Scan sequences for motif hits on both strands with exact p-values (FIMO-like)."""
    from helixforge.dna.motifs import scan_fasta

    bg = [float(v) for v in background.split(",")] if "," in background else background
    hits = scan_fasta(
        fasta,
        out_path,
        pvalue=pvalue,
        background=bg,
        qvalues=qvalues,
        **_motif_options(motifs_file, ids, collection, tax, release),
    )
    out.print(
        f"{len(hits):,} hits of {hits['motif_id'].nunique() if len(hits) else 0} motifs → {out_path}"
    )


@motifs_app.command("enrich")
@handle_errors
def enrich_cmd(
    foreground: str = typer.Argument(..., help="FASTA of foreground sequences (e.g. peaks)."),
    background: str = typer.Argument(
        ..., help="FASTA of background sequences (e.g. shuffled or flanks)."
    ),
    out_path: str = typer.Option("enrichment.tsv", "--out", help="Enrichment table."),
    jaspar: bool = _JASPAR,
    motifs_file: str = _MOTIFS,
    ids: list[str] = _IDS,
    collection: str = _COLLECTION,
    tax: str = _TAX,
    release: int = _RELEASE,
    pvalue: float = _PVALUE,
    top: int = typer.Option(10, "--top", help="Rows to print."),
) -> None:
    """Motifs whose hits are more frequent in the foreground (Fisher's exact test, BH q-values)."""
    from helixforge.dna.motifs import enrich_fasta

    table = enrich_fasta(
        foreground,
        background,
        out_path,
        pvalue=pvalue,
        **_motif_options(motifs_file, ids, collection, tax, release),
    )
    out.print(table.head(top).to_string(index=False))
    out.print(f"→ {out_path}")


@variants_app.command("score")
@handle_errors
def variants_score_cmd(
    vcf: str = typer.Option(..., "--vcf", help="VCF (plain, gzip or bgzip) or BCF."),
    genome: str = typer.Option(..., "--genome", help="Genome FASTA (plain, gzip or bgzip)."),
    model: str = typer.Option(
        ..., "--model", help="Run directory of `helix dna train`, or lm:PATH for zero-shot scores."
    ),
    window: int = typer.Option(
        200, "--window", help="Bases around each variant given to the model."
    ),
    out_path: str = typer.Option(
        "variant_scores.tsv", "--out", help="Output table; errors go to <stem>.errors.csv."
    ),
    target: str = typer.Option(
        None,
        "--target",
        help="Class label or output index to score (default: the model's positive output).",
    ),
    batch_size: int = typer.Option(256, "--batch-size"),
    resume: bool = typer.Option(
        False, "--resume", help="Reuse the finished chunks of an interrupted run (<out>.parts/)."
    ),
    device: str = DEVICE,
) -> None:
    """Per-allele effect: model(alt window) − model(ref window), both strands averaged; LLR for lm:PATH."""
    from helixforge.dna.variants import score_variants

    table = score_variants(
        vcf,
        genome,
        model,
        window=window,
        out=out_path,
        target=target,
        batch_size=batch_size,
        device=_cpu_if_auto(device),
        resume=resume,
    )
    out.print(f"{len(table):,} alleles scored → {out_path}")


def _cpu_if_auto(device: str) -> str:
    if device != "auto":
        return device
    from helixforge.core.training import resolve_device

    return str(resolve_device("auto"))


def register(app: typer.Typer) -> None:
    """Add this module's verbs to `app`."""
    app.add_typer(motifs_app, name="motifs")
    app.add_typer(variants_app, name="variants")
    app.command("interpret")(interpret_cmd)
    app.command("design")(design_cmd)


@handle_errors
def interpret_cmd(
    run: str = typer.Argument(..., help="Run directory of `helix dna train`."),
    fasta: str = typer.Argument(..., help="FASTA of sequences to explain."),
    method: str = typer.Option("gradxinput", "--method", help="ism | gradxinput"),
    out_dir: str = typer.Option("interpretation", "--out", help="Output directory."),
    target: str = typer.Option(None, "--target", help="Class label or output index to explain."),
    window: int = typer.Option(10, "--window", help="Seqlet core width (bases)."),
    max_sequences: int = typer.Option(None, "--max-sequences", help="Only the first N sequences."),
    motifs_file: str = _MOTIFS,
    tax: str = _TAX,
    release: int = _RELEASE,
    device: str = DEVICE,
) -> None:
    """Attributions (ISM or gradient×input), seqlets matched to JASPAR, and report.html with logos."""
    from helixforge.dna.interpret import interpret

    summary = interpret(
        run, fasta, out_dir, method=method, target=target, window=window, max_sequences=max_sequences,
        motif_options=_motif_options(motifs_file, None, "CORE", tax, release), device=_cpu_if_auto(device),
    )  # fmt: skip
    for c in summary["clusters"][:5]:
        out.print(
            f"cluster {c['cluster']}: {c['n_seqlets']} seqlets, {c['consensus']} ~ {c['best_match']} {c['best_match_name']} (p={c['pvalue']:.2g})"
        )
    out.print(
        f"{summary['sequences']} sequences, {summary['seqlets']} seqlets → {out_dir}/report.html"
    )


@handle_errors
def design_cmd(
    run: str = typer.Argument(
        ..., help="Run directory of `helix dna train` (the model to optimise)."
    ),
    seed_seq: list[str] = typer.Option(
        None, "--seed-seq", help="Seed sequence to edit (repeatable)."
    ),
    fasta: str = typer.Option(None, "--fasta", help="FASTA of seed sequences."),
    target_class: str = typer.Option(
        None, "--target-class", help="Class to push toward (default: the model's positive output)."
    ),
    edits: int = typer.Option(5, "--edits", help="Maximum substitutions per design."),
    method: str = typer.Option("greedy", "--method", help="greedy | beam | anneal"),
    beam_width: int = typer.Option(4, "--beam-width", help="Designs kept per step (beam)."),
    keep_out: str = typer.Option(
        None,
        "--keep-out",
        help="Positions that must not change: '0-20,35' (0-based, ranges end-exclusive).",
    ),
    avoid: list[str] = typer.Option(
        None, "--avoid-motif", help="JASPAR id whose new sites are not allowed (repeatable)."
    ),
    preserve: list[str] = typer.Option(
        None, "--preserve-motif", help="JASPAR id whose existing sites must stay (repeatable)."
    ),
    minimize: bool = typer.Option(False, "--minimize", help="Push the score down instead of up."),
    lm: str = typer.Option(
        None,
        "--lm",
        help="Sample from this decoder LM instead of editing seeds; rank by the model.",
    ),
    n: int = typer.Option(100, "--n", help="Designs to keep when sampling from --lm."),
    length: int = typer.Option(
        None, "--length", help="Length of LM samples (default: the model's length or 200)."
    ),
    out_path: str = typer.Option(
        "designs.fa", "--out", help="FASTA of designs (a .tsv table is written beside it)."
    ),
    seed: int = SEED,
    quiet: bool = QUIET,
    device: str = DEVICE,
) -> None:
    """Edit seed sequences (greedy / beam / annealing) or sample from an LM toward a model's target."""
    from helixforge.dna.design import design_from_run, parse_keep_out

    options = {"target": target_class, "seed": seed}
    if not lm:
        options |= {
            "edits": edits,
            "method": method,
            "beam_width": beam_width,
            "maximize": not minimize,
        }
        options["keep_out"] = parse_keep_out(keep_out)
    designs = design_from_run(
        run,
        out_path,
        seed_seqs=seed_seq,
        fasta=fasta,
        lm=lm,
        n=n,
        length=length,
        device=_cpu_if_auto(device),
        avoid_ids=_split_ids(avoid),
        preserve_ids=_split_ids(preserve),
        **options,
    )
    if not quiet:
        console.print(designs.drop(columns=["sequence"]).head(10).to_string(index=False))
    out.print(f"{len(designs)} designs → {out_path}")
