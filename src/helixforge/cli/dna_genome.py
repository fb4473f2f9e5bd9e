"""helix dna variants score · helix dna annotate train|predict (genome-scale verbs).

Only typer/rich at module level; the library is imported inside each verb.
"""

from __future__ import annotations

import typer

from helixforge.cli.common import (
    DEVICE,
    OVERWRITE,
    QUIET,
    RESUME,
    SEED,
    batch_size_option,
    choice,
    chunk_size_option,
    float_option,
    handle_errors,
    jobs_option,
    model_spec,
    not_blank,
    out_option,
    path_value,
    refuse_finished_resume,
    region_option,
    say,
)
from helixforge.cli.dna_analysis import resolve_device, use_jobs

variants_app = typer.Typer(
    help="Variant effects from sequence models and language models.", no_args_is_help=True
)
annotate_app = typer.Typer(
    help="Per-base gene annotation: train on a genome + GFF, call genes as GFF3.",
    no_args_is_help=True,
)


@variants_app.command("score")
@handle_errors
def variants_score_cmd(
    vcf: str = typer.Option(
        ..., "--vcf", callback=path_value, help="VCF (plain, gzip or bgzip) or BCF."
    ),
    genome: str = typer.Option(
        ..., "--genome", callback=path_value, help="Genome FASTA (plain, gzip or bgzip)."
    ),
    model: str = typer.Option(
        None,
        "--model",
        callback=model_spec(),
        help="Run directory of `helix dna train`, or lm:PATH (zero-shot); not for --method motif.",
    ),
    method: str = typer.Option(
        "model",
        "--method",
        callback=choice("model", "lm", "motif", "ensemble", "mpra"),
        help="model (Δ of --model) | lm (LLR of lm:PATH) | motif (JASPAR Δ) | ensemble "
        "(model+motif) | mpra (MPRA-trained motif-context score).",
    ),
    motifs: str = typer.Option(
        None,
        "--motifs",
        callback=path_value,
        help="Motif file (JASPAR/MEME/TRANSFAC) for motif/ensemble (default: JASPAR CORE vertebrates).",
    ),
    tfs: str = typer.Option(
        None,
        "--tfs",
        callback=not_blank("SP1,GATA1, or leave --tfs out"),
        help="Comma list of TF names: only their motifs (e.g. SP1,NFYA,GATA1,TAL1).",
    ),
    motif_pvalue: float = float_option(
        1e-4,
        "--motif-pvalue",
        min=0.0,
        max=1.0,
        min_open=True,
        help="Motif hit threshold (0 < p ≤ 1).",
    ),
    window: int = typer.Option(
        None,
        "--window",
        min=1,
        help="Bases around each variant given to the model (default: 200, or the model's "
        "maximum input when shorter).",
    ),
    out_path: str = out_option(
        "variant_scores.tsv", "Output table; rejected records go to <stem>.errors.csv."
    ),
    class_: str = typer.Option(
        None,
        "--class",
        "--target",
        callback=not_blank("1 (a class label or output index), or leave it out"),
        help="Class label or output index to score (default: the model's positive output).",
    ),
    batch_size: int = batch_size_option(256),
    chunk_size: int = chunk_size_option(4096),
    resume: bool = RESUME,
    overwrite: bool = OVERWRITE,
    device: str = DEVICE,
    jobs: int = jobs_option(),
    quiet: bool = QUIET,
) -> None:
    """Per-allele effect: model(alt window) − model(ref window), LM log-likelihood ratio, or motif Δ.

    Every method writes `delta` (signed alt − ref) and `score` (effect magnitude to rank by);
    motif adds the motif_* columns (docs/dna_analysis.md). On saturation-mutagenesis MPRA elements
    it was not trained on, --method mpra ranks variants best (Spearman ≈ 0.26 with |effect|);
    the zero-shot scores reach ≈ 0.1. --resume continues an interrupted run from its finished
    chunks; it is refused when the VCF, genome, model or options differ from the interrupted run.

    Example: helix dna variants score --vcf calls.vcf.gz --genome hg38.fa --method motif -o scores.tsv
    """
    refuse_finished_resume(out_path, resume=resume, overwrite=overwrite)
    from helixforge.dna.train import refuse_non_dna_lm
    from helixforge.dna.variants import score_variants

    if model and str(model).startswith("lm:"):  # a SMILES LM scored DNA without a word
        refuse_non_dna_lm(model)
    with use_jobs(jobs):
        table = score_variants(
            vcf,
            genome,
            model,
            window=window,
            out=out_path,
            target=class_,
            method=method,
            motifs=motifs,
            motif_pvalue=motif_pvalue,
            tfs=tfs,
            batch_size=batch_size,
            chunk_size=chunk_size,
            device=resolve_device(device),
            resume=resume,
            overwrite=overwrite,
            quiet=quiet,
        )
    say(f"{len(table):,} alleles scored → {out_path}", stderr=False)
    if table.attrs.get("rejected"):
        say(f"{table.attrs['rejected']:,} rejected → {table.attrs['errors_path']}", "yellow")


@annotate_app.command("train")
@handle_errors
def annotate_train_cmd(
    genome: str = typer.Argument(
        ..., callback=path_value, help="Genome FASTA (plain, gzip or bgzip)."
    ),
    gff: str = typer.Argument(..., callback=path_value, help="GFF3 / GTF with CDS features."),
    out_dir: str = out_option(..., "Run directory to create."),
    holdout: str = typer.Option(
        "0.2",
        "--holdout",
        callback=not_blank("0.2, or chr2:1-50000"),
        help="Fraction at the end of each contig, or CONTIG[:START-END],… (1-based inclusive).",
    ),
    contigs: str = typer.Option(
        None,
        "--contigs",
        callback=not_blank("chr1,chr2, or leave --contigs out"),
        help="Comma list of contigs to use (default: those with CDS).",
    ),
    epochs: int = typer.Option(6, "--epochs", min=1),
    channels: int = typer.Option(32, "--channels", min=1),
    window: int = typer.Option(2048, "--window", min=1, help="Training window length."),
    batch_size: int = batch_size_option(16),
    windows_per_epoch: int = typer.Option(
        None, "--windows-per-epoch", min=1, help="Default: cover the training region once."
    ),
    jobs: int = jobs_option("--threads"),
    seed: int = SEED,
    device: str = DEVICE,
    overwrite: bool = OVERWRITE,
    resume: bool = RESUME,
    quiet: bool = QUIET,
) -> None:
    """Train a per-base CDS model on GENOME + GFF and evaluate it on the held-out region.

    Writes the run directory every training verb writes: config.json, versions.json, model/,
    metrics.json, predictions.gff3 (genes called on the held-out region), errors.csv,
    card.md and report.html. Every epoch is checkpointed: after an interruption, the same
    command with --resume continues it.

    Example: helix dna annotate train genome.fa genes.gff3 --holdout chr1:1-500000 -o runs/ann
    """
    refuse_finished_resume(out_dir, resume=resume, overwrite=overwrite)
    from helixforge.dna.annotate import train_annotator

    with use_jobs(jobs) as threads:
        metrics = train_annotator(
            genome,
            gff,
            out=out_dir,
            holdout=holdout,
            contigs=[c.strip() for c in contigs.split(",")] if contigs else None,
            epochs=epochs,
            channels=channels,
            window=window,
            batch_size=batch_size,
            windows_per_epoch=windows_per_epoch,
            threads=threads,
            seed=seed,
            device=device,
            quiet=quiet,
            overwrite=overwrite,
            resume=resume,
        )
    shown = ", ".join(
        f"{k}={metrics[k]:.3f}" for k in ("coding_f1", "exact_sensitivity") if k in metrics
    )
    say(f"test: {shown}", stderr=False)
    say(f"run written to {out_dir}", stderr=False)


@annotate_app.command("predict")
@handle_errors
def annotate_predict_cmd(
    run: str = typer.Argument(
        ..., callback=path_value, help="Run directory of `helix dna annotate train`."
    ),
    genome: str = typer.Argument(..., callback=path_value, help="Genome FASTA to annotate."),
    out_path: str = out_option(..., "GFF3 file to write."),
    contigs: str = typer.Option(
        None,
        "--contigs",
        callback=not_blank("chr1,chr2, or leave --contigs out"),
        help="Comma list of contigs (default: all).",
    ),
    region: str = region_option(
        "Only these regions: CONTIG:START-END, 1-based inclusive as samtools (comma list)."
    ),
    jobs: int = jobs_option("--threads"),
    device: str = DEVICE,
    overwrite: bool = OVERWRITE,
    quiet: bool = QUIET,
) -> None:
    """Call protein-coding genes on a genome and write GFF3.

    Example: helix dna annotate predict runs/ann genome.fa --region chr1:1001-20000 -o genes.gff3
    """
    from helixforge.dna.annotate import annotate_genome

    with use_jobs(jobs) as threads:
        genes = annotate_genome(
            run,
            genome,
            out_path,
            contigs=[c.strip() for c in contigs.split(",")] if contigs else None,
            region=region,
            device=resolve_device(device),
            threads=threads,
            overwrite=overwrite,
            quiet=quiet,
        )
    say(f"{len(genes)} genes written to {out_path}", stderr=False)


def register(app: typer.Typer) -> None:
    """Add `variants` and `annotate` to `helix dna`."""
    app.add_typer(variants_app, name="variants")
    app.add_typer(annotate_app, name="annotate")
