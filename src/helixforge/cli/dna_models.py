"""helix dna train | predict | evaluate | annotate train | annotate predict.

Thin shells over `helixforge.dna.classify` and `helixforge.dna.annotate`; heavy imports happen
inside the verbs.
"""

from __future__ import annotations

import typer

from helixforge.cli.common import DEVICE, QUIET, SEED, console, handle_errors, out

annotate_app = typer.Typer(
    help="Per-base gene annotation: train on a genome + GFF, call genes as GFF3.",
    no_args_is_help=True,
)


def _fractions(text: str) -> tuple[float, float, float]:
    from helixforge.core.errors import ConfigError

    try:
        parts = tuple(float(x) for x in text.split(","))
    except ValueError as exc:
        raise ConfigError(f"--fractions {text!r} must be three numbers like 0.8,0.1,0.1") from exc
    if len(parts) != 3:
        raise ConfigError(f"--fractions {text!r} must be three numbers like 0.8,0.1,0.1")
    return parts  # type: ignore[return-value]


def _print_metrics(metrics: dict) -> None:
    from rich.table import Table

    table = Table("split", "metric", "value")
    for split, values in metrics.items():
        if isinstance(values, dict):
            for k, v in values.items():
                table.add_row(split, k, f"{v:.4f}" if isinstance(v, float) else str(v))
        else:
            table.add_row("", split, f"{values:.4f}" if isinstance(values, float) else str(values))
    out.print(table)


def train_cmd(
    data: str = typer.Argument(
        ...,
        help="Training data: CSV/TSV/Parquet, FASTA (label=... in headers) or BED (with --genome).",
    ),
    model: str = typer.Option("cnn", "--model", "-m", help="cnn | resnet | lm:PATH"),
    seq_col: str = typer.Option("sequence", "--seq-col", help="Sequence column of a table."),
    label_col: str = typer.Option(
        "label", "--label-col", help="Label column (table or BED header)."
    ),
    task: str = typer.Option("auto", "--task", help="auto | binary | multiclass | regression"),
    split: str = typer.Option(
        None,
        "--split",
        help="random | stratified | predefined | chromosome (default: stratified, or the files given).",
    ),
    split_col: str = typer.Option(
        None, "--split-col", help="Column of train/valid/test values (predefined split)."
    ),
    valid: str = typer.Option(None, "--valid", help="Separate validation file (e.g. GUE dev.csv)."),
    test: str = typer.Option(None, "--test", help="Separate test file (e.g. GUE test.csv)."),
    chrom_col: str = typer.Option(
        "chrom", "--chrom-col", help="Chromosome column for --split chromosome."
    ),
    test_chroms: str = typer.Option(
        None, "--test-chroms", help="Comma list of test chromosomes (chromosome split)."
    ),
    valid_chroms: str = typer.Option(
        None, "--valid-chroms", help="Comma list of validation chromosomes."
    ),
    fractions: str = typer.Option("0.8,0.1,0.1", "--fractions", help="train,valid,test fractions."),
    id_col: str = typer.Option(None, "--id-col", help="Identifier column kept in outputs."),
    labels: str = typer.Option(None, "--labels", help="Table of id,label for a FASTA input."),
    genome: str = typer.Option(None, "--genome", help="Genome FASTA for BED inputs."),
    flank: int = typer.Option(0, "--flank", help="Bases added on both sides of BED intervals."),
    iupac: str = typer.Option("error", "--iupac", help="IUPAC ambiguity codes: error | n | keep"),
    out_dir: str = typer.Option(..., "--out", "-o", help="Run directory to create."),
    epochs: int = typer.Option(20, "--epochs"),
    lr: float = typer.Option(1e-3, "--lr"),
    batch_size: int = typer.Option(128, "--batch-size"),
    patience: int = typer.Option(
        4, "--patience", help="Epochs without validation improvement before stopping."
    ),
    rc_augment: bool = typer.Option(
        True, "--rc-augment/--no-rc-augment", help="Random reverse complements in training."
    ),
    threads: int = typer.Option(None, "--threads", help="torch CPU threads."),
    coverage: float = typer.Option(
        0.9, "--coverage", help="Target coverage of conformal sets / intervals."
    ),
    position_bins: int = typer.Option(
        0, "--position-bins", help="resnet: add N coarse position bins to the head."
    ),
    seed: int = SEED,
    device: str = DEVICE,
    quiet: bool = QUIET,
) -> None:
    """Train a DNA sequence classifier / regressor and write a run directory."""
    from helixforge.dna.classify import train_sequence_model

    metrics = train_sequence_model(
        data,
        seq_col,
        label_col,
        model=model,
        task=task,
        split=split,
        split_col=split_col,
        valid=valid,
        test=test,
        chrom_col=chrom_col,
        test_chroms=test_chroms,
        valid_chroms=valid_chroms,
        fractions=_fractions(fractions),
        id_col=id_col,
        labels=labels,
        genome=genome,
        flank=flank,
        iupac=iupac,
        out=out_dir,
        epochs=epochs,
        lr=lr,
        batch_size=batch_size,
        patience=patience,
        rc_augment=rc_augment,
        seed=seed,
        device=device,
        threads=threads,
        quiet=quiet,
        coverage=coverage,
        arch_params={"position_bins": position_bins} if position_bins else None,
    )
    _print_metrics(metrics)
    console.print(f"run written to {out_dir} (report.html, metrics.json, model/)")


def predict_cmd(
    run: str = typer.Argument(..., help="Run directory of `helix dna train`."),
    input: str = typer.Argument(..., help="Sequences: table, FASTA/FASTQ, or BED (with --genome)."),
    out_path: str = typer.Option(..., "--out", "-o", help="Predictions table (csv/tsv/parquet)."),
    seq_col: str = typer.Option("sequence", "--seq-col"),
    id_col: str = typer.Option(None, "--id-col"),
    genome: str = typer.Option(None, "--genome", help="Genome FASTA for BED inputs."),
    flank: int = typer.Option(0, "--flank"),
    iupac: str = typer.Option("error", "--iupac", help="error | n | keep"),
    device: str = typer.Option("cpu", "--device"),
) -> None:
    """Score sequences with a trained model; unusable rows go to OUT.errors.csv."""
    from helixforge.dna.classify import predict_sequences

    result = predict_sequences(
        run,
        input,
        out_path,
        seq_col,
        id_col=id_col,
        genome=genome,
        flank=flank,
        iupac=iupac,
        device=device,
    )
    console.print(f"{len(result)} predictions written to {out_path}")


def evaluate_cmd(
    run: str = typer.Argument(..., help="Run directory of `helix dna train`."),
    data: str = typer.Argument(..., help="Labelled data (same formats as train)."),
    seq_col: str = typer.Option("sequence", "--seq-col"),
    label_col: str = typer.Option("label", "--label-col"),
    id_col: str = typer.Option(None, "--id-col"),
    labels: str = typer.Option(None, "--labels", help="Table of id,label for a FASTA input."),
    genome: str = typer.Option(None, "--genome"),
    iupac: str = typer.Option("error", "--iupac"),
    out_dir: str = typer.Option(
        None, "--out", "-o", help="Directory for metrics.json, predictions.csv and report.html."
    ),
    device: str = typer.Option("cpu", "--device"),
) -> None:
    """Evaluate a trained model on labelled sequences."""
    from helixforge.dna.classify import evaluate_sequences

    metrics = evaluate_sequences(
        run,
        data,
        seq_col,
        label_col,
        id_col=id_col,
        labels=labels,
        genome=genome,
        iupac=iupac,
        out=out_dir,
        device=device,
    )
    _print_metrics({"evaluation": metrics})


@annotate_app.command("train")
@handle_errors
def annotate_train_cmd(
    genome: str = typer.Argument(..., help="Genome FASTA (plain, gzip or bgzip)."),
    gff: str = typer.Argument(..., help="GFF3 / GTF with CDS features."),
    out_dir: str = typer.Option(..., "--out", "-o", help="Run directory to create."),
    holdout: str = typer.Option(
        "0.2", "--holdout", help="Fraction at the end of each contig, or CONTIG[:START-END],…"
    ),
    contigs: str = typer.Option(
        None, "--contigs", help="Comma list of contigs to use (default: those with CDS)."
    ),
    epochs: int = typer.Option(6, "--epochs"),
    channels: int = typer.Option(32, "--channels"),
    window: int = typer.Option(2048, "--window", help="Training window length."),
    batch_size: int = typer.Option(16, "--batch-size"),
    windows_per_epoch: int = typer.Option(
        None, "--windows-per-epoch", help="Default: cover the training region once."
    ),
    threads: int = typer.Option(None, "--threads"),
    seed: int = SEED,
    device: str = DEVICE,
    quiet: bool = QUIET,
) -> None:
    """Train a per-base CDS model on GENOME + GFF and evaluate it on the held-out region."""
    from helixforge.dna.annotate import train_annotator

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
    )
    _print_metrics({"test": metrics})
    console.print(f"run written to {out_dir} (model/, metrics.json, genes_test.gff3)")


@annotate_app.command("predict")
@handle_errors
def annotate_predict_cmd(
    run: str = typer.Argument(..., help="Run directory of `helix dna annotate train`."),
    genome: str = typer.Argument(..., help="Genome FASTA to annotate."),
    out_path: str = typer.Option(..., "--out", "-o", help="GFF3 file to write."),
    contigs: str = typer.Option(None, "--contigs", help="Comma list of contigs (default: all)."),
    region: str = typer.Option(None, "--region", help="Only CONTIG:START-END (0-based)."),
    threads: int = typer.Option(None, "--threads"),
    device: str = typer.Option("cpu", "--device"),
) -> None:
    """Call protein-coding genes on a genome and write GFF3."""
    from helixforge.dna.annotate import annotate_genome

    genes = annotate_genome(
        run,
        genome,
        out_path,
        contigs=[c.strip() for c in contigs.split(",")] if contigs else None,
        region=region,
        device=device,
        threads=threads,
    )
    console.print(f"{len(genes)} genes written to {out_path}")


def register(app: typer.Typer) -> None:
    """Add train / predict / evaluate and the `annotate` group to `helix dna`."""
    app.command("train")(handle_errors(train_cmd))
    app.command("predict")(handle_errors(predict_cmd))
    app.command("evaluate")(handle_errors(evaluate_cmd))
    app.add_typer(annotate_app, name="annotate")
