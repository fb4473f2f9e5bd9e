"""helix chem generate / finetune-prior / train-prior: the chemical language-model prior."""

from __future__ import annotations

from pathlib import Path

import typer

from helixforge.cli.common import (
    DEVICE,
    OVERWRITE,
    QUIET,
    RESUME,
    SEED,
    batch_size_option,
    choice,
    float_option,
    handle_errors,
    input_col_option,
    logger,
    out_option,
    path_value,
    refuse_finished_resume,
    say,
)

MODEL = typer.Option(
    None, "--model", callback=path_value, help="Prior directory (default: the shipped MOSES prior)."
)


def register(app: typer.Typer) -> None:
    """Add this module's verbs to `app`."""
    app.command("generate")(generate_cmd)
    app.command("finetune-prior")(finetune_prior_cmd)
    app.command("train-prior")(train_prior_cmd)


def _pct(x) -> str:
    """A fraction as a percentage; 'n/a' when undefined (None, or NaN: no valid sample)."""
    return "n/a" if x is None or x != x else f"{100 * x:.1f}%"


@handle_errors
def generate_cmd(
    out_path: str = out_option(..., "Output table (csv / tsv / parquet) of the samples."),
    model: str = MODEL,
    n: int = typer.Option(10_000, "--n", min=1, max=10_000_000, help="Molecules to sample."),
    temperature: float = float_option(
        1.0, "--temperature", min=0.05, max=10.0, help="Sampling temperature (1 = the model)."
    ),
    max_len: int = typer.Option(128, "--max-len", min=1, max=1000, help="Maximum tokens."),
    constrained: bool = typer.Option(
        False,
        "--constrained/--unconstrained",
        help="Syntax-aware sampling: never an unbalanced branch, unclosed ring label or end "
        "token inside a branch (log_likelihood is then the masked policy's).",
    ),
    fcd_ref: str = typer.Option(
        None,
        "--fcd-ref",
        callback=path_value,
        help="Reference SMILES table (or FCD .npz) for the Fréchet ChemNet Distance, e.g. MOSES "
        "test; its statistics are cached by sha256. Needs the generate extra (fcd_torch).",
    ),
    seed: int = SEED,
    device: str = DEVICE,
    resume: bool = RESUME,
    overwrite: bool = OVERWRITE,
    quiet: bool = QUIET,
) -> None:
    """Sample SMILES from a prior; report validity, uniqueness, novelty and (--fcd-ref) FCD.

    Columns: smiles, valid, canonical_smiles, unique, novel, log_likelihood. Samples are drawn
    in chunks of 100,000, each kept when done: after an interruption the same command with
    --resume samples only the rest.

    Example: helix chem generate --n 10000 --seed 0 -o gen.csv --fcd-ref moses_test.csv.gz
    """
    from helixforge.chem.generate.metrics import (
        FCD_CAUTION,
        fcd_available,
        fcd_report,
        load_fcd_reference,
    )
    from helixforge.chem.generate.sampling import generate_molecules
    from helixforge.core.tables import read_table
    from helixforge.core.training import resolve_device

    refuse_finished_resume(out_path, resume=resume, overwrite=overwrite)
    log = logger(quiet)
    if fcd_ref is not None:  # a directory was 'reference SMILES file not found'
        from helixforge.core.io import require_input_file

        require_input_file(fcd_ref, "a reference SMILES file (--fcd-ref)")
    if fcd_ref is not None and fcd_available():  # a bad reference fails before sampling
        load_fcd_reference(fcd_ref, log=log)
    s = generate_molecules(
        model, n, out_path, seed=seed, temperature=temperature, max_len=max_len,
        constrained=constrained, overwrite=overwrite, resume=resume,
        device=str(resolve_device(device)), log=log,
    )  # fmt: skip
    canon = []
    if fcd_ref is not None and fcd_available():
        col = read_table(s["out"], columns=["canonical_smiles"])["canonical_smiles"]
        canon = [c for c in col if isinstance(c, str) and c]
    fcd_value, fcd_text = fcd_report(canon, fcd_ref, log=log)
    fcd_part = f", FCD {fcd_value:.4f}" if fcd_value is not None else ""
    say(
        f"{s['n']} sampled → {s['out']}: validity {_pct(s['validity'])}, "
        f"uniqueness {_pct(s['uniqueness'])}, novelty {_pct(s['novelty'])}{fcd_part} "
        f"({s['sampling_seconds']:.1f} s sampling)",
        stderr=False,
    )
    if s.get("truncated"):
        say(
            f"note: {s['truncated']} of {s['n']} samples reached --max-len {s['max_len']} "
            "before their end token: counted invalid (a cut prefix is not the prior's "
            "molecule); raise --max-len to let them finish",
            "yellow",
        )
    if fcd_value is None and (fcd_ref is not None or not quiet):
        say(fcd_text, "yellow" if fcd_ref is not None else None)
    elif FCD_CAUTION in fcd_text:  # a value from too few molecules: said even with --quiet
        say(fcd_text, "yellow")
    elif not quiet:
        say(fcd_text)


@handle_errors
def finetune_prior_cmd(
    actives: str = typer.Argument(
        ..., callback=path_value, help="Table (csv / tsv / parquet / smi) or SD file of actives."
    ),
    out_path: str = out_option(..., "Run directory (prior/, history.csv, errors.csv)."),
    model: str = MODEL,
    smiles_col: str = input_col_option(
        None, "SMILES column (default: smiles, or the only column).", "--smiles-col"
    ),
    epochs: int = typer.Option(20, "--epochs", min=1, max=1000, help="Maximum epochs."),
    patience: int = typer.Option(
        3, "--patience", min=1, max=1000, help="Epochs without held-out improvement."
    ),
    augment: int = typer.Option(
        10, "--augment", min=1, max=100, help="SMILES spellings per molecule per epoch."
    ),
    lr: float = float_option(5e-4, "--lr", min=1e-7, max=1.0, help="Adam learning rate."),
    val_fraction: float = float_option(
        0.1, "--val-fraction", min=0.0, max=0.5, help="Held-out fraction for early stopping."
    ),
    batch_size: int = batch_size_option(32),
    seed: int = SEED,
    overwrite: bool = OVERWRITE,
    resume: bool = RESUME,
    quiet: bool = QUIET,
) -> None:
    """Transfer-learn a prior on a set of actives (randomised SMILES, early stopping).

    A checkpoint is kept beside the output after every epoch: --resume continues an interrupted
    run from its last finished epoch with the same result.

    Example: helix chem finetune-prior actives.csv -o runs/ft --epochs 20
    """
    from helixforge.chem.generate.finetune import finetune_prior

    refuse_finished_resume(out_path, resume=resume, overwrite=overwrite)
    s = finetune_prior(
        actives, out_path, model=model, smiles_col=smiles_col, epochs=epochs,
        batch_size=batch_size, lr=lr, augment=augment, val_fraction=val_fraction,
        patience=patience, seed=seed, overwrite=overwrite, resume=resume,
        log=logger(quiet),
    )  # fmt: skip
    nll = (
        f"held-out NLL {s['val_nll_before']:.2f} → {s['val_nll_best']:.2f}"
        if s["val_nll_best"] is not None
        else "no held-out molecules (the last epoch is kept)"
    )
    # '1 molecules' from 50 rows said nothing of the 49 repeats merged into it
    repeats = s["rows_ok"] - s["molecules"]
    merged = f", {repeats} repeats of a molecule merged" if repeats > 0 else ""
    say(
        f"{s['molecules']} molecules from {s['rows']} rows{merged} ({s['held_out']} held out), "
        f"best epoch {s['best_epoch']}, {nll} → {s['out']}/prior",
        stderr=False,
    )
    if s["errors"]:
        say(f"{s['errors']} rows rejected → {s['out']}/errors.csv", "yellow")


@handle_errors
def train_prior_cmd(
    corpus: str = typer.Argument(
        ..., callback=path_value, help="SMILES corpus: csv/tsv with a SMILES column or .smi."
    ),
    out_path: str = out_option(..., "Run directory (prior/, checkpoint/, history.jsonl)."),
    smiles_col: str = input_col_option(None, "SMILES column of a table corpus.", "--smiles-col"),
    vocab: str = typer.Option(
        "smiles", "--vocab", callback=choice("smiles", "selfies"), help="smiles | selfies"
    ),
    hidden: int = typer.Option(
        None, "--hidden", min=8, max=4096, help="LSTM units per layer (default 256)."
    ),
    layers: int = typer.Option(None, "--layers", min=1, max=8, help="LSTM layers (default 3)."),
    init: str = typer.Option(
        None,
        "--init",
        callback=path_value,
        help="Continue training this prior (directory, or 'default' for the shipped one) "
        "instead of random weights; its architecture and vocabulary are kept.",
    ),
    epochs: int = typer.Option(1, "--epochs", min=1, max=100, help="Passes over the corpus."),
    max_molecules: int = typer.Option(
        None, "--max-molecules", min=1, help="Stop after this many training molecules."
    ),
    max_minutes: float = float_option(
        None, "--max-minutes", min=0.01, help="Stop (resumable) after this much time."
    ),
    lr: float = float_option(
        1e-3, "--lr", min=1e-7, max=1.0, max_open=True, help="Adam learning rate."
    ),
    batch_size: int = batch_size_option(128),
    seed: int = SEED,
    overwrite: bool = OVERWRITE,
    resume: bool = RESUME,
    quiet: bool = QUIET,
) -> None:
    """Train a prior on a SMILES corpus (streaming, bounded memory, checkpoints + --resume).

    Example: helix chem train-prior moses_train.csv.gz -o runs/prior --max-minutes 40
    """
    refuse_finished_resume(
        out_path,
        resume=resume,
        overwrite=overwrite,
        pending=Path(out_path) / "checkpoint" / "state.json",
    )
    from helixforge.chem.generate.train_prior import train_prior
    from helixforge.core.errors import ConfigError
    from helixforge.core.options import require_choice

    require_choice(vocab, "--vocab", ["smiles", "selfies"])
    if init is not None and (hidden is not None or layers is not None):
        raise ConfigError("--init keeps the initial prior's architecture: drop --hidden/--layers")
    config = None
    if init is None:
        config = {"hidden_size": hidden or 256, "num_layers": layers or 3}
    elif init == "default":
        from helixforge.chem.generate.prior import default_prior_path

        init = str(default_prior_path())
    s = train_prior(
        corpus, out_path, kind=vocab, column=smiles_col, config=config, init=init, epochs=epochs,
        max_molecules=max_molecules, max_minutes=max_minutes, lr=lr, batch_size=batch_size,
        seed=seed, resume=resume, overwrite=overwrite, log=logger(quiet),
    )  # fmt: skip
    state = "complete" if s["complete"] else "stopped at the time limit (--resume continues)"
    say(
        f"{s['molecules']} molecules, {s['step']} steps, held-out NLL {s['val_nll']:.2f}, "
        f"validity {_pct(s['validity_1000'])}: {state} → {out_path}/prior",
        stderr=False,
    )
    if s["rows_skipped"]:
        say(f"{s['rows_skipped']:,} unusable corpus line(s) not trained on → {s['errors']}")
