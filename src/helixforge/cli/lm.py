"""helix lm …: tokenizers, pretraining, fine-tuning, embeddings, likelihood scores, model info.

Only typer/rich at module level; torch and transformers load inside the verbs.
"""

from __future__ import annotations

import typer

from helixforge.cli.common import DEVICE, QUIET, SEED, console, handle_errors, out

app = typer.Typer(help="Sequence language models for DNA and molecules.", no_args_is_help=True)
tokenizer_app = typer.Typer(help="Build and train tokenizers.", no_args_is_help=True)
app.add_typer(tokenizer_app, name="tokenizer")

TRUST = typer.Option(
    False,
    "--trust-remote-code",
    help="Allow a checkpoint's own Python code (DNABERT-2, NT v2, HyenaDNA). Only for checkpoints you trust.",
)
ID_COL = typer.Option(
    None, "--id-col", help="Identifier column copied to the output (default: file line number)."
)
THREADS = typer.Option(None, "--threads", help="torch CPU threads (default: torch's choice).")


def _log(quiet: bool):
    return (lambda msg: None) if quiet else (lambda msg: console.print(msg, highlight=False))


@tokenizer_app.command("train")
@handle_errors
def tokenizer_train(
    spec: str = typer.Argument(
        ..., help="dna-char | dna-kmer:K[:nonoverlap] | dna-bpe:V | smiles-atom | smiles-bpe:V"
    ),
    out_dir: str = typer.Option(..., "--out", help="Directory to write tokenizer.json into."),
    corpus: str = typer.Option(
        None, "--corpus", help="FASTA(.gz), .smi/.csv(.gz) or text file (needed for BPE)."
    ),
    max_sequences: int = typer.Option(
        20000, "--max-sequences", help="Sequences (or 1 kb genome windows) read for training."
    ),
    seed: int = SEED,
) -> None:
    """Build a tokenizer (training BPE on the corpus) and save it in Hugging Face format."""
    from helixforge.lm.tokenizers import train_tokenizer

    tok = train_tokenizer(spec, corpus, out_dir, max_sequences=max_sequences, seed=seed)
    out.print(f"{tok.spec}: vocabulary {len(tok):,} → {out_dir}")


@app.command("pretrain")
@handle_errors
def pretrain_cmd(
    corpus: str = typer.Option(
        ...,
        "--corpus",
        help="FASTA(.gz) genome, .smi/.csv(.gz) SMILES, or text (one sequence per line).",
    ),
    tokenizer: str = typer.Option(
        ...,
        "--tokenizer",
        help="A spec (dna-char, dna-kmer:6, dna-bpe:4096, smiles-atom, smiles-bpe:1000) or a tokenizer directory.",
    ),
    out_dir: str = typer.Option(
        ..., "--out", help="Output directory (a save_pretrained checkpoint)."
    ),
    arch: str = typer.Option(
        "encoder",
        "--arch",
        help="encoder (ModernBERT, masked LM) | bert | decoder (Llama, causal LM) | gpt2",
    ),
    size: str = typer.Option("small", "--size", help="micro | tiny | small | base"),
    max_len: int = typer.Option(512, "--max-len", help="Tokens per training window."),
    steps: int = typer.Option(1000, "--steps", help="Optimizer steps."),
    batch_size: int = typer.Option(16, "--batch-size"),
    accumulate: int = typer.Option(
        1, "--accumulate", help="Gradient accumulation (micro-batches per step)."
    ),
    lr: float = typer.Option(5e-4, "--lr"),
    eval_every: int = typer.Option(100, "--eval-every", help="Log validation loss every N steps."),
    save_every: int = typer.Option(500, "--save-every", help="Checkpoint every N steps."),
    enumerate_smiles: bool = typer.Option(
        False, "--enumerate-smiles", help="Randomized SMILES augmentation (RDKit)."
    ),
    holdout: list[str] = typer.Option(
        None, "--holdout", help="FASTA record(s) held out for validation."
    ),
    column: str = typer.Option(None, "--column", help="SMILES column of a CSV corpus."),
    resume: bool = typer.Option(False, "--resume", help="Continue from OUT/checkpoint."),
    seed: int = SEED,
    device: str = DEVICE,
    threads: int = THREADS,
    quiet: bool = QUIET,
) -> None:
    """Pretrain a masked-LM (encoder) or causal-LM (decoder) on a corpus."""
    from helixforge.lm.pretrain import pretrain

    r = pretrain(
        corpus, tokenizer, arch=arch, size=size, max_len=max_len, steps=steps, out=out_dir, batch_size=batch_size,
        accumulate=accumulate, lr=lr, eval_every=eval_every, save_every=save_every, enumerate_smiles=enumerate_smiles,
        holdout=holdout or None, column=column, resume=resume, seed=seed, device=device, threads=threads, log=_log(quiet),
    )  # fmt: skip
    vl = (
        "n/a"
        if r.final_valid_loss is None
        else f"{r.final_valid_loss:.4f} (perplexity {r.final_valid_perplexity:.3f})"
    )
    out.print(
        f"{r.parameters:,} parameters, {r.steps} steps, {r.tokens_seen:,} tokens, {r.tokens_per_second:.0f} tokens/s; valid loss {vl} → {r.out}"
    )


@app.command("finetune")
@handle_errors
def finetune_cmd(
    model: str = typer.Argument(
        ..., help="Checkpoint directory (ours or a published one in HF layout)."
    ),
    data: str = typer.Argument(..., help="Training table (csv/tsv/parquet, .gz ok)."),
    out_dir: str = typer.Option(..., "--out", help="Run directory to create."),
    task: str = typer.Option(
        "classification", "--task", help="classification | regression | token-classification"
    ),
    valid: str = typer.Option(
        None, "--valid", help="Validation table (early stopping); default 10 % of train."
    ),
    test: str = typer.Option(None, "--test", help="Test table; metrics go to OUT/metrics.json."),
    sequence_col: str = typer.Option(
        "sequence", "--sequence-col", help="Column with sequences or SMILES."
    ),
    label_col: list[str] = typer.Option(
        ["label"], "--label-col", help="Label column(s); repeat for multi-task."
    ),
    lora: bool = typer.Option(
        False, "--lora", help="Train LoRA adapters (peft) instead of all weights."
    ),
    epochs: int = typer.Option(5, "--epochs"),
    lr: float = typer.Option(None, "--lr", help="Default 2e-4 (full) / 1e-3 (LoRA)."),
    batch_size: int = typer.Option(32, "--batch-size"),
    max_len: int = typer.Option(
        None, "--max-len", help="Window length in tokens (default: the checkpoint's)."
    ),
    max_rows: int = typer.Option(None, "--max-rows", help="Subsample the training table."),
    seed: int = SEED,
    device: str = DEVICE,
    threads: int = THREADS,
    trust_remote_code: bool = TRUST,
    quiet: bool = QUIET,
) -> None:
    """Fine-tune a checkpoint on labelled sequences (full or LoRA)."""
    from helixforge.lm.finetune import finetune

    m = finetune(
        model, data, task=task, out=out_dir, valid=valid, test=test, sequence_col=sequence_col, label_cols=label_col,
        lora=lora, epochs=epochs, lr=lr, batch_size=batch_size, max_len=max_len, max_rows=max_rows, seed=seed,
        device=device, threads=threads, trust_remote_code=trust_remote_code, quiet=quiet,
    )  # fmt: skip
    test_m = m.get("test")
    shown = (
        ", ".join(f"{k}={v:.3f}" for k, v in test_m.items() if isinstance(v, float))
        if isinstance(test_m, dict)
        else "no test set"
    )
    out.print(
        f"trained on {m['n_train']} rows ({m['rows_rejected']} rejected); test: {shown} → {out_dir}"
    )


@app.command("predict")
@handle_errors
def predict_cmd(
    model: str = typer.Argument(..., help="Run directory written by `helix lm finetune`."),
    input_path: str = typer.Argument(..., help="Table or FASTA with sequences."),
    out_path: str = typer.Option(..., "-o", "--out", help="Output table (csv/parquet)."),
    sequence_col: str = typer.Option(None, "--sequence-col"),
    id_col: str = ID_COL,
    device: str = typer.Option("cpu", "--device"),
    trust_remote_code: bool = TRUST,
) -> None:
    """Predict with a fine-tuned model (sequence-level tasks)."""
    from helixforge.lm.inference import predict_table

    n = predict_table(
        model, input_path, out_path, column=sequence_col, id_column=id_col, device=device,
        trust_remote_code=trust_remote_code,
    )  # fmt: skip
    out.print(f"{n} predictions → {out_path}")


@app.command("embed")
@handle_errors
def embed_cmd(
    model: str = typer.Argument(..., help="Checkpoint directory."),
    input_path: str = typer.Argument(..., help="Table (column sequence/smiles) or FASTA."),
    out_path: str = typer.Option(..., "--out", help="X.parquet (id + emb_0…) or X.npy."),
    sequence_col: str = typer.Option(None, "--sequence-col"),
    id_col: str = ID_COL,
    batch_size: int = typer.Option(32, "--batch-size"),
    max_len: int = typer.Option(
        None, "--max-len", help="Window length (longer inputs are averaged over windows)."
    ),
    layer: int = typer.Option(-1, "--layer", help="Hidden layer to pool (-1 = last)."),
    device: str = typer.Option("cpu", "--device"),
    trust_remote_code: bool = TRUST,
) -> None:
    """Mean-pooled embeddings of every sequence."""
    from helixforge.lm.inference import embed_table

    shape = embed_table(
        model,
        input_path,
        out_path,
        column=sequence_col,
        id_column=id_col,
        batch_size=batch_size,
        max_len=max_len,
        layer=layer,
        device=device,
        trust_remote_code=trust_remote_code,
    )
    out.print(f"embeddings {shape[0]} × {shape[1]} → {out_path}")


@app.command("score")
@handle_errors
def score_cmd(
    model: str = typer.Argument(..., help="Checkpoint directory (masked or causal LM)."),
    input_path: str = typer.Argument(..., help="Table (column sequence/smiles) or FASTA."),
    out_path: str = typer.Option(..., "--out", help="Per-sequence table (csv/parquet)."),
    per_position: str = typer.Option(
        None, "--per-position", help="Also write per-position log-probs to this table."
    ),
    sequence_col: str = typer.Option(None, "--sequence-col"),
    id_col: str = ID_COL,
    batch_size: int = typer.Option(64, "--batch-size"),
    max_len: int = typer.Option(None, "--max-len"),
    device: str = typer.Option("cpu", "--device"),
    trust_remote_code: bool = TRUST,
) -> None:
    """Pseudo-log-likelihood (encoders) or log-likelihood (decoders) per sequence and position."""
    from helixforge.lm.inference import score_table

    n, objective = score_table(
        model,
        input_path,
        out_path,
        per_position=per_position,
        column=sequence_col,
        id_column=id_col,
        batch_size=batch_size,
        max_len=max_len,
        device=device,
        trust_remote_code=trust_remote_code,
    )
    out.print(f"{n} sequences scored ({objective}) → {out_path}")


@app.command("info")
@handle_errors
def info_cmd(
    model: str = typer.Argument(
        None, help="Checkpoint directory; without it, list the size presets."
    ),
    trust_remote_code: bool = TRUST,
) -> None:
    """Parameters, architecture and tokenizer of a checkpoint (or the size presets)."""
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
    info = model_info(model, trust_remote_code=trust_remote_code)
    t = Table("field", "value", show_header=False)
    for k, v in info.items():
        t.add_row(k, f"{v:,}" if isinstance(v, int) else str(v))
    out.print(t)
