"""helix dna train | predict | evaluate.

Thin shells over `helixforge.dna.train` and `dna.predict`; heavy imports happen inside the
verbs. Options follow the one CLI grammar (cli/common.py, docs/cli.md).
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
    column_name,
    coverage_option,
    float_option,
    handle_errors,
    id_col_option,
    input_col_option,
    jobs_option,
    label_col_option,
    logger,
    model_spec,
    not_blank,
    out,
    out_option,
    path_value,
    refuse_finished_resume,
    say,
)
from helixforge.cli.dna_analysis import use_jobs

SEQ_HELP = "Sequence column of a table input."
PRED_SEQ_HELP = "Sequence column of a table input (default: the training column)."
GENOME_HELP = "Genome FASTA for BED inputs (plain, bgzip or gzip)."
IUPAC_HELP = "IUPAC ambiguity codes (R, Y, …): error (row to errors table) | n | keep."
IUPAC = choice("error", "n", "keep")
DNA_MODEL = model_spec("auto", "cnn", "resnet", "resnet_pos")


def _candidates(value: str | None) -> str | None:
    """--auto-candidates: each comma-separated name in any case (CNN → cnn)."""
    return None if value is None else ",".join(DNA_MODEL(v) for v in str(value).split(","))


JOBS = jobs_option("--threads", help="CPU threads for torch (0 = all CPUs).")


def _flank():
    return typer.Option(0, "--flank", min=0, help="Bases added on both sides of BED intervals.")


def _run_flank():
    return typer.Option(
        None,
        "--flank",
        min=0,
        help="Bases added on both sides of BED intervals (default: the run's --flank).",
    )


def _run_iupac():
    return typer.Option(
        None, "--iupac", callback=IUPAC, help=IUPAC_HELP.rstrip(".") + " (default: the run's)."
    )


def _fractions(text: str) -> tuple[float, float, float]:
    """--fractions 'train,valid,test': three finite numbers ≥ 0 summing to 1, train > 0."""
    import math

    from helixforge.core.errors import ConfigError

    try:
        parts = tuple(float(x) for x in text.split(","))
    except ValueError:
        parts = ()
    if len(parts) != 3:
        raise ConfigError(f"--fractions {text!r} must be three numbers like 0.8,0.1,0.1")
    if not all(math.isfinite(v) for v in parts):
        raise ConfigError(
            f"--fractions {text!r}: every fraction must be a finite number (not NaN or inf)",
            hint="for example --fractions 0.8,0.1,0.1",
        )
    if parts[0] <= 0:  # was 'the training part of the split is empty → check --split'
        raise ConfigError(
            f"--fractions {text!r}: the training fraction (the first) must be more than 0",
            hint="for example --fractions 0.8,0.1,0.1",
        )
    return parts  # type: ignore[return-value]


def _print_metrics(metrics: dict) -> None:
    """A table of split / target / metric / value from {split: {target: {metric: value}}}."""
    from rich.table import Table

    table = Table("split", "target", "metric", "value")
    for split, per_target in metrics.items():
        if not isinstance(per_target, dict) or split == "selection":
            continue
        for target, values in per_target.items():
            if not isinstance(values, dict) or target.startswith("_"):
                continue
            for k, v in values.items():
                shown = f"{v:.4f}" if isinstance(v, float) else str(v)
                table.add_row(split, target, str(k), shown)
    out.print(table)


def train_cmd(
    data: str = typer.Argument(
        ...,
        callback=path_value,
        help="Training data: CSV/TSV/Parquet, FASTA (label=... in headers) or BED (--genome).",
    ),
    out_dir: str = out_option(
        ..., help="Run directory to create (built aside, swapped in at the end)."
    ),
    model: str = typer.Option(
        "auto",
        "--model",
        "-m",
        callback=DNA_MODEL,
        help="auto (choose by validation score) | cnn | resnet | resnet_pos | lm:PATH.",
    ),
    auto_candidates: str = typer.Option(
        "cnn,resnet,resnet_pos",
        "--auto-candidates",
        callback=_candidates,
        help="--model auto: comma list of models to choose among (add lm:PATH for a local LM).",
    ),
    auto_epochs: int = typer.Option(
        2, "--auto-epochs", min=1, max=1000, help="--model auto: epochs of the first rung."
    ),
    auto_budget: float = float_option(
        0.0,
        "--auto-budget",
        min=0.0,
        max=1e7,
        help="--model auto: seconds for the search (0 = no limit).",
    ),
    seq_col: str = input_col_option("sequence", SEQ_HELP, "--seq-col", "--sequence-col"),
    label_col: str = label_col_option("label", "Label column (table or BED header)."),
    task: str = typer.Option(
        "auto",
        "--task",
        callback=choice("auto", "binary", "multiclass", "regression"),
        help="auto | binary | multiclass | regression",
    ),
    split: str = typer.Option(
        None,
        "--split",
        callback=choice("random", "stratified", "predefined", "chromosome"),
        help="random | stratified | predefined | chromosome (default: stratified).",
    ),
    split_col: str = typer.Option(
        None, "--split-col", callback=column_name, help="Column of train/valid/test values."
    ),
    valid: str = typer.Option(
        None, "--valid", callback=path_value, help="Separate validation file (e.g. GUE dev.csv)."
    ),
    test: str = typer.Option(
        None, "--test", callback=path_value, help="Separate test file (e.g. GUE test.csv)."
    ),
    chrom_col: str = typer.Option(
        "chrom", "--chrom-col", callback=column_name, help="Chromosome column (chromosome split)."
    ),
    test_chroms: str = typer.Option(
        None,
        "--test-chroms",
        callback=not_blank("chr8,chr9, or leave it out"),
        help="Comma list of test chromosomes.",
    ),
    valid_chroms: str = typer.Option(
        None,
        "--valid-chroms",
        callback=not_blank("chr7, or leave it out"),
        help="Comma list of validation chromosomes.",
    ),
    fractions: str = typer.Option("0.8,0.1,0.1", "--fractions", help="train,valid,test fractions."),
    id_col: str = id_col_option(),
    labels: str = typer.Option(
        None, "--labels", callback=path_value, help="Table of id,label for a FASTA input."
    ),
    genome: str = typer.Option(None, "--genome", callback=path_value, help=GENOME_HELP),
    flank: int = _flank(),
    iupac: str = typer.Option("error", "--iupac", callback=IUPAC, help=IUPAC_HELP),
    epochs: int = typer.Option(20, "--epochs", min=1, help="Maximum training epochs."),
    lr: float = float_option(1e-3, "--lr", min=0.0, min_open=True, help="Learning rate (> 0)."),
    batch_size: int = batch_size_option(128),
    patience: int = typer.Option(
        4, "--patience", min=1, help="Epochs without validation gain before stopping."
    ),
    rc_augment: bool = typer.Option(
        True, "--rc-augment/--no-rc-augment", help="Random reverse complements in training."
    ),
    coverage: float = coverage_option(),
    ensemble: int = typer.Option(
        1, "--ensemble", min=1, help="Members (seeds seed, seed+1, …); spread in T_std."
    ),
    position_bins: int = typer.Option(
        0,
        "--position-bins",
        min=0,
        help="resnet: add N coarse position bins (= --param position_bins=N).",
    ),
    param: list[str] = typer.Option(
        None, "--param", help="Architecture parameter KEY=VALUE (repeatable; checked per model)."
    ),
    jobs: int = JOBS,
    seed: int = SEED,
    device: str = DEVICE,
    overwrite: bool = OVERWRITE,
    resume: bool = RESUME,
    quiet: bool = QUIET,
) -> None:
    """Train a DNA sequence classifier / regressor and write a run directory.

    --model auto (the default) trains cnn, resnet and resnet_pos briefly, keeps the better half by
    validation loss (successive halving), and trains the winner fully; the candidates' scores go
    to config.json, card.md and report.html. The test part is never used to choose.

    Example: helix dna train train.csv --valid dev.csv --test test.csv -o runs/tata
    """
    refuse_finished_resume(out_dir, resume=resume, overwrite=overwrite)
    from helixforge.core.options import parse_params
    from helixforge.dna.auto import AutoSearch, parse_candidates
    from helixforge.dna.train import train_sequence_model

    params = parse_params(param or [])
    if position_bins:
        params.setdefault("position_bins", position_bins)
    with use_jobs(jobs) as threads:
        search = AutoSearch(parse_candidates(auto_candidates), auto_epochs, auto_budget)
        run = train_sequence_model(
            data, seq_col, label_col, model=model, auto=search, task=task, split=split,
            split_col=split_col, valid=valid, test=test, chrom_col=chrom_col,
            test_chroms=test_chroms, valid_chroms=valid_chroms, fractions=_fractions(fractions),
            id_col=id_col, labels=labels, genome=genome, flank=flank, iupac=iupac, out=out_dir,
            epochs=epochs, lr=lr, batch_size=batch_size, patience=patience, rc_augment=rc_augment,
            ensemble=ensemble, seed=seed, device=device, threads=threads, quiet=quiet,
            coverage=coverage, arch_params=params or None, overwrite=overwrite, resume=resume,
            log=logger(quiet),
        )  # fmt: skip
    _print_metrics({k: run.metrics[k] for k in ("valid", "test") if k in run.metrics})
    say(f"run written to {out_dir} (report.html, metrics.json, model/)")


def predict_cmd(
    run: str = typer.Argument(..., callback=path_value, help="Run directory of `helix dna train`."),
    input: str = typer.Argument(
        ..., callback=path_value, help="Sequences: table, FASTA/FASTQ, or BED (with --genome)."
    ),
    out_path: str = out_option(
        ..., help="Predictions table (csv/tsv/parquet); errors go beside it."
    ),
    seq_col: str = input_col_option(None, PRED_SEQ_HELP, "--seq-col", "--sequence-col"),
    id_col: str = id_col_option(),
    genome: str = typer.Option(None, "--genome", callback=path_value, help=GENOME_HELP),
    flank: int = _run_flank(),
    iupac: str = _run_iupac(),
    chunk_size: int = chunk_size_option(20000),
    jobs: int = JOBS,
    device: str = DEVICE,
    overwrite: bool = OVERWRITE,
    resume: bool = RESUME,
    quiet: bool = QUIET,
) -> None:
    """Score sequences with a trained model; unusable rows go to OUT.errors.csv.

    Example: helix dna predict runs/tata new.fa -o pred.csv
    """
    refuse_finished_resume(out_path, resume=resume, overwrite=overwrite)
    from helixforge.dna.predict import predict_sequences

    with use_jobs(jobs):
        result = predict_sequences(
            run, input, out_path, seq_col, id_col=id_col, genome=genome, flank=flank, iupac=iupac,
            device=device, chunk_size=chunk_size, resume=resume, overwrite=overwrite, quiet=quiet,
        )  # fmt: skip
    say(
        f"{result['predicted']} of {result['rows']} rows predicted → {result['out']}; "
        f"{result['errors']} rejected → {result['errors_path']}"
    )


def evaluate_cmd(
    run: str = typer.Argument(..., callback=path_value, help="Run directory of `helix dna train`."),
    data: str = typer.Argument(
        ..., callback=path_value, help="Labelled data (same formats as train)."
    ),
    seq_col: str = input_col_option(None, PRED_SEQ_HELP, "--seq-col", "--sequence-col"),
    label_col: str = label_col_option(None, "Label column (default: the training label)."),
    id_col: str = id_col_option(),
    labels: str = typer.Option(
        None, "--labels", callback=path_value, help="Table of id,label for a FASTA input."
    ),
    genome: str = typer.Option(None, "--genome", callback=path_value, help=GENOME_HELP),
    flank: int = _run_flank(),
    iupac: str = _run_iupac(),
    out_dir: str = out_option(
        None, help="Directory for metrics.json, predictions.csv, report.html (optional)."
    ),
    jobs: int = JOBS,
    device: str = DEVICE,
    overwrite: bool = OVERWRITE,
    quiet: bool = QUIET,
) -> None:
    """Evaluate a trained model on labelled sequences.

    Example: helix dna evaluate runs/tata test.csv -o runs/tata_eval
    """
    from helixforge.dna.predict import evaluate_sequences

    with use_jobs(jobs):
        result = evaluate_sequences(
            run, data, seq_col, label_col, id_col=id_col, labels=labels, genome=genome, flank=flank,
            iupac=iupac, out=out_dir, device=device, overwrite=overwrite,
        )  # fmt: skip
    _print_metrics({"evaluation": result["metrics"]})
    say(f"{result['n_scored']} sequences scored, {result['rows_rejected']} rows rejected")


def register(app: typer.Typer) -> None:
    """Add train / predict / evaluate to `helix dna` (annotate lives in cli/dna_genome.py)."""
    app.command("train")(handle_errors(train_cmd))
    app.command("predict")(handle_errors(predict_cmd))
    app.command("evaluate")(handle_errors(evaluate_cmd))
