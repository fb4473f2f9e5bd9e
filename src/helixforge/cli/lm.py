"""helix lm …: tokenizers, pretraining, fine-tuning, predictions, embeddings, likelihood scores.

Only typer/rich at module level; torch and transformers load inside the verbs.
"""

from __future__ import annotations

import os

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
    coverage_option,
    float_option,
    handle_errors,
    id_col_option,
    input_col_option,
    jobs_option,
    label_col_option,
    logger,
    not_blank,
    out,
    out_option,
    output_path_value,
    path_value,
    refuse_finished_resume,
    resolve_jobs,
    say,
)
from helixforge.lm.checks import require_device, require_table_suffix

app = typer.Typer(help="Sequence language models for DNA and molecules.", no_args_is_help=True)
tokenizer_app = typer.Typer(help="Build and train tokenizers.", no_args_is_help=True)
app.add_typer(tokenizer_app, name="tokenizer")

TRUST = typer.Option(
    False,
    "--trust-remote-code/--no-trust-remote-code",
    help="Allow a checkpoint's own Python code (DNABERT-2, NT v2, HyenaDNA). Only for checkpoints "
    "you trust; a setting inside a model folder never enables it.",
)
SEQ_COL = input_col_option(
    None,
    "Column with the sequences or SMILES (default: sequence / seq / smiles).",
    "--sequence-col",
    "--seq-col",
)
MAX_LEN = typer.Option(
    None, "--max-len", min=8, help="Window length in tokens (default: the checkpoint's)."
)
JOBS = jobs_option()
SHOWN = ("roc_auc", "pr_auc", "mcc", "accuracy", "macro_f1", "rmse", "r2", "spearman", "coverage")


@tokenizer_app.command("train")
@handle_errors
def tokenizer_train(
    spec: str = typer.Argument(
        ..., help="dna-char | dna-kmer:K[:nonoverlap] | dna-bpe:V | smiles-atom | smiles-bpe:V"
    ),
    out_dir: str = out_option(..., "Directory to write tokenizer.json into."),
    corpus: str = typer.Option(
        None,
        "--corpus",
        callback=path_value,
        help="FASTA(.gz), .smi/.csv(.gz) or text file (needed for BPE).",
    ),
    max_sequences: int = typer.Option(
        20000, "--max-sequences", min=1, help="Sequences (or 1 kb windows) read for training."
    ),
    overwrite: bool = OVERWRITE,
    seed: int = SEED,
) -> None:
    """Build a tokenizer (training BPE on the corpus) and save it in Hugging Face format.

    Example: helix lm tokenizer train dna-bpe:4096 --corpus genome.fa.gz -o tok/
    """
    from helixforge.core.io import check_output
    from helixforge.lm.tokenizers import train_tokenizer

    check_output(out_dir, overwrite=overwrite, kind="dir", inputs=[corpus])
    tok = train_tokenizer(spec, corpus, out_dir, max_sequences=max_sequences, seed=seed)
    out.print(f"{tok.spec}: vocabulary {len(tok):,} → {out_dir}", markup=False)


@app.command("pretrain")
@handle_errors
def pretrain_cmd(
    corpus: str = typer.Option(
        ...,
        "--corpus",
        callback=path_value,
        help="FASTA(.gz) genome, .smi/.csv(.gz) SMILES, or text (one per line).",
    ),
    tokenizer: str = typer.Option(
        ...,
        "--tokenizer",
        callback=path_value,
        help="A spec (dna-char, dna-kmer:6, dna-bpe:4096, smiles-atom, smiles-bpe:1000) or a tokenizer directory.",
    ),
    out_dir: str = out_option(..., "Run directory (a save_pretrained checkpoint + report)."),
    arch: str = typer.Option(
        "encoder",
        "--arch",
        callback=choice("encoder", "bert", "decoder", "gpt2"),
        help="encoder (ModernBERT, masked LM) | bert | decoder (Llama) | gpt2",
    ),
    size: str = typer.Option(
        "small",
        "--size",
        callback=choice("micro", "tiny", "small", "base"),
        help="micro | tiny | small | base",
    ),
    max_len: int = typer.Option(512, "--max-len", min=8, help="Tokens per training window."),
    steps: int = typer.Option(1000, "--steps", min=1, help="Optimizer steps."),
    batch_size: int = batch_size_option(16),
    accumulate: int = typer.Option(
        1, "--accumulate", min=1, help="Gradient accumulation (micro-batches per step)."
    ),
    lr: float = float_option(5e-4, "--lr", min=0.0, min_open=True, help="Peak learning rate."),
    eval_every: int = typer.Option(
        100, "--eval-every", min=1, help="Log validation loss every N steps."
    ),
    save_every: int = typer.Option(500, "--save-every", min=1, help="Checkpoint every N steps."),
    valid_size: int = typer.Option(64, "--valid-size", min=0, help="Validation sequences."),
    enumerate_smiles: bool = typer.Option(
        False, "--enumerate-smiles/--no-enumerate-smiles", help="Randomized SMILES augmentation."
    ),
    holdout: list[str] = typer.Option(
        None,
        "--holdout",
        callback=not_blank("chr21 (a FASTA record name)"),
        help="FASTA record(s) held out for validation.",
    ),
    column: str = input_col_option(None, "SMILES column of a CSV corpus.", "--column"),
    resume: bool = typer.Option(
        False, "--resume", help="Continue an interrupted run from its last checkpoint."
    ),
    overwrite: bool = OVERWRITE,
    seed: int = SEED,
    device: str = DEVICE,
    jobs: int = typer.Option(
        0, "--jobs", "-j", "--threads", min=0, help="torch CPU threads (0 = all)."
    ),
    quiet: bool = QUIET,
) -> None:
    """Pretrain a masked-LM (encoder) or causal-LM (decoder) on a corpus.

    Example: helix lm pretrain --corpus ecoli.fna.gz --tokenizer dna-kmer:6 --size tiny --steps 2000 -o runs/ecoli_lm
    """
    refuse_finished_resume(out_dir, resume=resume, overwrite=overwrite)
    from helixforge.lm.pretrain import pretrain

    r = pretrain(
        corpus, tokenizer, arch=arch, size=size, max_len=max_len, steps=steps, out=out_dir,
        batch_size=batch_size, accumulate=accumulate, lr=lr, eval_every=eval_every,
        save_every=save_every, valid_size=valid_size, enumerate_smiles=enumerate_smiles,
        holdout=holdout or None, column=column, resume=resume, overwrite=overwrite, seed=seed,
        device=require_device(device), threads=resolve_jobs(jobs), log=logger(quiet), quiet=quiet,
    )  # fmt: skip
    vl = (
        "n/a"
        if r.final_valid_loss is None
        else f"{r.final_valid_loss:.4f} (perplexity {r.final_valid_perplexity:.3f})"
    )
    left_out = (
        f"; {r.rejected_lines:,} corpus lines left out (errors.csv)" if r.rejected_lines else ""
    )
    out.print(
        f"{r.parameters:,} parameters, {r.steps} steps, {r.tokens_seen:,} tokens, "
        f"{r.tokens_per_second:.0f} tokens/s; valid loss {vl}{left_out} → {r.out}",
        markup=False,
    )


@app.command("finetune")
@handle_errors
def finetune_cmd(
    model: str = typer.Argument(
        ..., callback=path_value, help="Checkpoint directory (ours or a published one)."
    ),
    data: str = typer.Argument(
        ...,
        callback=path_value,
        help="Training table (csv/tsv/parquet, .gz ok), or FASTA with label=V in the headers.",
    ),
    out_dir: str = out_option(..., "Run directory to create."),
    task: str = typer.Option(
        "auto",
        "--task",
        callback=choice(
            "auto", "classification", "binary", "multiclass", "regression", "token-classification"
        ),
        help="auto | classification | binary | multiclass | regression | token-classification",
    ),
    valid: str = typer.Option(
        None,
        "--valid",
        callback=path_value,
        help="Validation table (early stopping, calibration); default 10 % of train.",
    ),
    test: str = typer.Option(
        None, "--test", callback=path_value, help="Test table; metrics go to OUT/metrics.json."
    ),
    sequence_col: str = input_col_option(
        "sequence", "Column with sequences or SMILES.", "--sequence-col", "--seq-col"
    ),
    label_col: list[str] = label_col_option(
        ["label"], "Label column(s); repeat for multi-task.", "--target", "--target-col"
    ),
    lora: bool = typer.Option(
        False, "--lora/--no-lora", help="Train LoRA adapters (peft) instead of all weights."
    ),
    epochs: int = typer.Option(5, "--epochs", min=1),
    lr: float = float_option(
        None, "--lr", min=0.0, min_open=True, help="Default 2e-4 (full) / 1e-3 (LoRA)."
    ),
    batch_size: int = batch_size_option(32),
    max_len: int = MAX_LEN,
    max_rows: int = typer.Option(None, "--max-rows", min=1, help="Subsample the training table."),
    ensemble: int = typer.Option(
        1, "--ensemble", min=1, max=100, help="Number of ensemble members (seeds)."
    ),
    coverage: float = coverage_option(),
    overwrite: bool = OVERWRITE,
    resume: bool = RESUME,
    seed: int = SEED,
    device: str = DEVICE,
    jobs: int = typer.Option(
        0, "--jobs", "-j", "--threads", min=0, help="torch CPU threads (0 = all)."
    ),
    trust_remote_code: bool = TRUST,
    quiet: bool = QUIET,
) -> None:
    """Fine-tune a checkpoint on labelled sequences (full or LoRA); writes a run directory
    (config, model, metrics, predictions, errors, card.md, report.html). Every epoch is
    checkpointed: after an interruption, the same command with --resume continues it.

    Example: helix lm finetune runs/ecoli_lm promoters.csv --label-col is_promoter --lora -o runs/prom
    """
    refuse_finished_resume(out_dir, resume=resume, overwrite=overwrite)
    from helixforge.lm.finetune import finetune

    run = finetune(
        model, data, task=task, out=out_dir, valid=valid, test=test, sequence_col=sequence_col,
        label_cols=label_col, lora=lora, epochs=epochs, lr=lr, batch_size=batch_size,
        max_len=max_len, max_rows=max_rows, ensemble=ensemble, coverage=coverage, seed=seed,
        device=require_device(device), threads=resolve_jobs(jobs), trust_remote_code=trust_remote_code, quiet=quiet,
        overwrite=overwrite, resume=resume, log=logger(quiet),
    )  # fmt: skip
    part = "test" if "test" in run.metrics else "valid"
    shown = "; ".join(
        f"{t}: " + ", ".join(f"{k}={v:.3f}" for k, v in m.items() if k in SHOWN and v == v)
        for t, m in run.metrics.get(part, {}).items()
        if not t.startswith("_")
    )
    say(
        f"trained on {run.config['n_train']} rows ({run.config['n_rejected_rows']} rejected); "
        f"{part}: {shown or 'no metrics'}",
        stderr=False,
    )
    say(f"run: {run.run_dir}", stderr=False)
    if run.report:
        say(f"report: {run.report}", stderr=False)


@app.command("predict")
@handle_errors
def predict_cmd(
    model: str = typer.Argument(
        ..., callback=path_value, help="Run directory written by `helix lm finetune`."
    ),
    input_path: str = typer.Argument(
        ..., callback=path_value, help="Table or FASTA with sequences."
    ),
    out_path: str = out_option(..., "Output table (csv/tsv/parquet): input columns + T_pred …"),
    sequence_col: str = SEQ_COL,
    id_col: str = id_col_option(),
    batch_size: int = batch_size_option(32),
    chunk_size: int = chunk_size_option(10_000),
    resume: bool = RESUME,
    overwrite: bool = OVERWRITE,
    device: str = DEVICE,
    jobs: int = JOBS,
    trust_remote_code: bool = TRUST,
    quiet: bool = QUIET,
) -> None:
    """Predict with a fine-tuned run: T_pred, T_prob, T_std, conformal T_lower/T_upper or T_set;
    keeps every input column; resumable in chunks.

    Example: helix lm predict runs/prom new.csv -o new_pred.csv
    """
    refuse_finished_resume(out_path, resume=resume, overwrite=overwrite)
    from helixforge.lm.predict import predict_run

    require_table_suffix(out_path)
    res = predict_run(
        model, input_path, out_path, column=sequence_col, id_column=id_col, device=require_device(device),
        batch_size=batch_size,
        threads=resolve_jobs(jobs), chunk_size=chunk_size, resume=resume,
        trust_remote_code=trust_remote_code, overwrite=overwrite, quiet=quiet,
    )  # fmt: skip
    say(
        f"{res['predicted']} predictions ({res['errors']} rows rejected) → {out_path}",
        stderr=False,
    )


@app.command("embed")
@handle_errors
def embed_cmd(
    model: str = typer.Argument(..., callback=path_value, help="Checkpoint directory."),
    input_path: str = typer.Argument(
        ..., callback=path_value, help="Table (column sequence/smiles) or FASTA."
    ),
    out_path: str = out_option(..., "X.parquet (input columns + emb_0…) or X.npy."),
    sequence_col: str = SEQ_COL,
    id_col: str = id_col_option(),
    batch_size: int = batch_size_option(32),
    max_len: int = MAX_LEN,
    layer: int = typer.Option(-1, "--layer", help="Hidden layer to pool (-1 = last)."),
    overwrite: bool = OVERWRITE,
    device: str = DEVICE,
    jobs: int = JOBS,
    trust_remote_code: bool = TRUST,
    quiet: bool = QUIET,
) -> None:
    """Mean-pooled embeddings of every sequence.

    Example: helix lm embed runs/ecoli_lm seqs.csv -o X.parquet
    """
    from helixforge.lm.tables import embed_table

    shape, n_err = embed_table(
        model, input_path, out_path, column=sequence_col, id_column=id_col,
        batch_size=batch_size, max_len=max_len, layer=layer, device=require_device(device),
        threads=resolve_jobs(jobs), trust_remote_code=trust_remote_code, overwrite=overwrite,
        quiet=quiet,
    )  # fmt: skip
    from helixforge.lm.tables import npy_ids_path

    ids = f" (row ids: {npy_ids_path(out_path)})" if str(out_path).endswith(".npy") else ""
    out.print(
        f"embeddings {shape[0]} × {shape[1]} ({n_err} rows rejected) → {out_path}{ids}",
        markup=False,
    )


@app.command("score")
@handle_errors
def score_cmd(
    model: str = typer.Argument(
        ..., callback=path_value, help="Checkpoint directory (masked or causal LM)."
    ),
    input_path: str = typer.Argument(
        ..., callback=path_value, help="Table (column sequence/smiles) or FASTA."
    ),
    out_path: str = out_option(..., "Per-sequence table (csv/tsv/parquet)."),
    per_position: str = typer.Option(
        None,
        "--per-position",
        callback=output_path_value,
        help="Also write per-position log-probs to this table.",
    ),
    sequence_col: str = SEQ_COL,
    id_col: str = id_col_option(),
    batch_size: int = batch_size_option(64),
    max_len: int = MAX_LEN,
    overwrite: bool = OVERWRITE,
    device: str = DEVICE,
    jobs: int = JOBS,
    trust_remote_code: bool = TRUST,
    quiet: bool = QUIET,
) -> None:
    """Pseudo-log-likelihood (encoders) or log-likelihood (decoders) per sequence and position.

    Example: helix lm score runs/ecoli_lm seqs.fa -o scores.csv --per-position pos.csv
    """
    from helixforge.lm.tables import score_table

    n, objective, n_err = score_table(
        model, input_path, out_path, per_position=per_position, column=sequence_col,
        id_column=id_col, batch_size=batch_size, max_len=max_len, device=require_device(device),
        threads=resolve_jobs(jobs), trust_remote_code=trust_remote_code, overwrite=overwrite,
        quiet=quiet, log=logger(quiet),
    )  # fmt: skip
    out.print(
        f"{n} sequences scored ({objective}; {n_err} rows rejected) → {out_path}", markup=False
    )


@app.command("info")
@handle_errors
def info_cmd(
    model: str = typer.Argument(
        None, callback=path_value, help="Checkpoint directory; without it, list the size presets."
    ),
    trust_remote_code: bool = TRUST,
) -> None:
    """Parameters, architecture and tokenizer of a checkpoint (or the size presets).

    Example: helix lm info runs/ecoli_lm
    """
    from rich.table import Table

    from helixforge.lm.models import describe_sizes, model_info

    if model is None:
        t = Table("arch", "size", "hidden", "layers", "heads", "ffn", "parameters (vocab 64)")
        for r in describe_sizes():
            t.add_row(
                r["arch"],
                r["size"],
                str(r["hidden"]),
                str(r["layers"]),
                str(r["heads"]),
                str(r["ffn"]),
                f"{r['parameters']:,}",
            )
        out.print(t)
        return
    from rich.text import Text

    from helixforge.lm.models import SIZES

    if model in SIZES and not os.path.exists(model):  # `lm info tiny`: a preset, not a folder
        from helixforge.core.errors import ConfigError

        raise ConfigError(
            f"{model!r} is a size preset, not a checkpoint directory",
            hint="run `helix lm info` without an argument to list the presets",
        )
    info = model_info(model, trust_remote_code=trust_remote_code)
    t = Table("field", "value", show_header=False)
    for k, v in info.items():  # Text: user data is shown verbatim, never read as markup
        t.add_row(Text(k), Text(f"{v:,}" if isinstance(v, int) else str(v)))
    out.print(t)
