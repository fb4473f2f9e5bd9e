"""Pretraining: masked LM (encoders) or causal LM (decoders) on a streamed corpus.

    result = pretrain("genome.fna.gz", "dna-kmer:6", arch="encoder", size="tiny",
                      max_len=256, steps=500, out="runs/ecoli_lm")

The loop is `core.training.fit_steps` (a corpus is a stream, not a list of epochs): each
optimizer step draws `batch_size × accumulate` sequences, tokenizes them, masks 15 % of the
tokens (80/10/10) or shifts them for next-token prediction, and steps AdamW with linear warm-up
and cosine decay. Every `eval_every` steps it logs the validation loss and perplexity on held-out
sequences (a held-out chromosome or region for genomes, held-out lines for SMILES) with fixed
masks, so the curve is comparable across steps.

The run is built in `.OUT.partial/` beside `out` and renamed into place when finished, so `out`
never holds half a run. Every `save_every` steps a checkpoint (model, optimizer, stream state,
resume key) is swapped in atomically at `.OUT.partial/checkpoint`; `resume=True` continues from
there and gives the same model as an uninterrupted run. The resume key holds everything that
changes the result (corpus checksum, tokenizer, architecture, size, window, steps, batch,
learning rate, seed …); resuming with any of them changed is an error naming what changed.
The result is a save_pretrained directory loadable by transformers without HelixForge, with
report.html (loss curves), card.md, metrics.json and versions.json.
"""

from __future__ import annotations

import math
import os
import shutil
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from helixforge.core.checkpoints import check_resume_key, load_checkpoint, save_checkpoint
from helixforge.core.errors import ConfigError, InputError
from helixforge.core.options import require_float, require_int
from helixforge.lm.models import CAUSAL_ARCHS, build_model, count_parameters, quiet_transformers
from helixforge.lm.objectives import LMBatcher, masked_valid_loss, window_bases
from helixforge.lm.tokenizers import SequenceTokenizer, get_tokenizer, parse_spec

# Older names (benchmarks/lm.py imports them).
_Batcher = LMBatcher
_window_bases = window_bases
# save_pretrained leaves out weights tied to the input embeddings; nothing else may be missing.
_TIED = {
    "decoder.weight",
    "lm_head.weight",
    "cls.predictions.decoder.weight",
    "cls.predictions.decoder.bias",
}


@dataclass
class PretrainResult:
    out: str
    steps: int
    parameters: int
    tokens_seen: int
    tokens_per_second: float
    history: list[dict[str, float]] = field(default_factory=list)
    final_valid_loss: float | None = None
    final_valid_perplexity: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _tokenizer_key(tokenizer: str | os.PathLike) -> str:
    p = Path(str(tokenizer))
    if p.is_dir():
        from helixforge.core.artifacts import sha256_file

        files = sorted(f for f in p.iterdir() if f.is_file() and f.name.startswith("tokenizer"))
        return "dir sha256:" + ",".join(sha256_file(f)[:16] for f in files)
    return str(tokenizer)


def _check_options(steps, batch_size, accumulate, max_len, eval_every, save_every, valid_size, lr):
    require_int(steps, "--steps")
    require_int(batch_size, "--batch-size")
    require_int(accumulate, "--accumulate")
    require_int(eval_every, "--eval-every")
    require_int(save_every, "--save-every")
    require_int(valid_size, "--valid-size", min_value=0)
    require_float(lr, "--lr", low=0, low_open=True)
    if require_int(max_len, "--max-len") < 8:
        raise ConfigError(f"--max-len {max_len} is too short", hint="use at least 8 tokens")


def _prepare_dir(out_dir: Path, stage: Path, resume: bool, overwrite: bool, log) -> bool:
    """Check the output before any work; returns whether a checkpoint will be resumed."""
    from helixforge.core.io import check_output, recover_dir

    ckpt = stage / "checkpoint"
    recover_dir(ckpt)
    has_ckpt = (ckpt / "state.json").exists()
    if resume and not has_ckpt:
        log(f"no checkpoint at {ckpt}; starting from scratch")
        resume = False
    check_output(out_dir, overwrite=overwrite, kind="dir")
    if not resume and stage.exists():
        if has_ckpt and not overwrite:
            raise ConfigError(
                f"{out_dir}: an interrupted run left a checkpoint in {stage}",
                hint="pass --resume to continue it, or --overwrite to start over",
            )
        shutil.rmtree(stage)
    return resume


def _load_tokenizer(tokenizer, corpus, seed: int, corpus_kw: dict) -> SequenceTokenizer:
    from helixforge.lm.corpus import open_corpus

    tok_path = Path(str(tokenizer))
    if tok_path.is_dir():
        return SequenceTokenizer.load(tok_path)
    spec = parse_spec(str(tokenizer))
    sample = None
    if spec.needs_corpus or spec.kind == "smiles-atom":
        sample = open_corpus(corpus, window=1000, seed=seed, **corpus_kw).training_sample(5000)
    return get_tokenizer(str(tokenizer), sample)


def pretrain(
    corpus: str | os.PathLike,
    tokenizer: str | os.PathLike,
    *,
    arch: str = "encoder",
    size: str | dict[str, int] = "small",
    max_len: int = 512,
    steps: int = 1000,
    out: str | os.PathLike,
    batch_size: int = 16,
    accumulate: int = 1,
    lr: float = 5e-4,
    weight_decay: float = 0.01,
    warmup_fraction: float = 0.05,
    mlm_probability: float = 0.15,
    eval_every: int = 100,
    save_every: int = 500,
    valid_size: int = 64,
    enumerate_smiles: bool = False,
    holdout: list[str] | None = None,
    column: str | None = None,
    resume: bool = False,
    overwrite: bool = False,
    seed: int = 0,
    device: str = "auto",
    threads: int | None = None,
    model_overrides: dict[str, Any] | None = None,
    log: Callable[[str], None] | None = None,
    quiet: bool = True,
) -> PretrainResult:
    """Pretrain a language model on `corpus`; writes a save_pretrained directory to `out`.

    `tokenizer` is a spec ('dna-char', 'dna-kmer:6', 'dna-bpe:4096', 'smiles-atom', …) or a saved
    tokenizer directory. `arch` encoder|bert → masked LM; decoder|gpt2 → causal LM.
    """
    import torch

    from helixforge.core.artifacts import sha256_file
    from helixforge.core.io import replace_dir, staging_path
    from helixforge.core.training import (
        TrainConfig,
        fit_steps,
        make_optimizer,
        resolve_device,
        seed_everything,
        set_threads,
    )
    from helixforge.lm.corpus import corpus_kind, open_corpus
    from helixforge.lm.pretrain_report import write_pretrain_outputs

    quiet_transformers()
    log = log or (lambda msg: None)
    _check_options(steps, batch_size, accumulate, max_len, eval_every, save_every, valid_size, lr)
    require_float(mlm_probability, "--mlm-probability", low=0, high=1, low_open=True)
    out_dir = Path(out)
    stage = staging_path(out_dir)
    ckpt = stage / "checkpoint"
    corpus_kw = {"holdout": holdout, "enumerate_smiles": enumerate_smiles, "column": column}
    reader0 = open_corpus(corpus, window=64, seed=seed, **corpus_kw)  # fail early on a bad corpus
    del reader0
    resume = _prepare_dir(out_dir, stage, resume, overwrite, log)
    resume_key = {
        "corpus": Path(corpus).name,
        "corpus_sha256": sha256_file(corpus),
        "tokenizer": _tokenizer_key(tokenizer),
        "arch": arch,
        "size": size,
        "max_len": max_len,
        "steps": steps,
        "batch_size": batch_size,
        "accumulate": accumulate,
        "lr": lr,
        "weight_decay": weight_decay,
        "warmup_fraction": warmup_fraction,
        "mlm_probability": mlm_probability,
        "eval_every": eval_every,
        "valid_size": valid_size,
        "enumerate_smiles": enumerate_smiles,
        "holdout": list(holdout or []),
        "column": column,
        "seed": seed,
        "model_overrides": dict(model_overrides or {}),
    }
    saved_state = None
    if resume:
        import json

        try:
            saved_state = json.loads((ckpt / "state.json").read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise InputError(
                f"{ckpt / 'state.json'}: damaged checkpoint ({exc})",
                hint="pass --overwrite to start over",
            ) from None
        check_resume_key(saved_state.get("resume_key", {}), resume_key, str(out_dir))
    seed_everything(seed)
    set_threads(threads)
    dev = resolve_device(device)
    causal = arch in CAUSAL_ARCHS

    # Tokenizer: saved into the run at the start, so a resumed run reuses the same vocabulary.
    stage.mkdir(parents=True, exist_ok=True)
    if resume:
        tok = SequenceTokenizer.load(stage)
    else:
        tok = _load_tokenizer(tokenizer, corpus, seed, corpus_kw)
        tok.hf.model_max_length = max_len
        tok.save(stage)
    kind = corpus_kind(corpus)
    if tok.spec.alphabet == "dna" and kind != "fasta":
        log("note: a DNA tokenizer on a non-FASTA corpus; each line is read as one sequence")
    window = window_bases(tok, corpus, max_len, seed) if kind == "fasta" else max_len
    reader = open_corpus(corpus, window=window, seed=seed, **corpus_kw)
    log(reader.describe())

    model = build_model(arch, size, len(tok), max_len, **dict(model_overrides or {}))
    n_params = count_parameters(model)
    size_name = size if isinstance(size, str) else "custom"
    log(f"{arch} {size_name}: {n_params:,} parameters, vocabulary {len(tok):,}")
    model.to(dev)
    optimizer = make_optimizer(model, lr, weight_decay, decay_matrices_only=True)
    batcher = LMBatcher(tok, max_len, causal, mlm_probability)
    valid_ids = batcher.encode(reader.validation(valid_size))
    if not valid_ids:
        log("warning: no validation sequences (corpus too small for the hold-out)")

    state: dict[str, Any] = {"step": 0, "tokens": 0, "train_seconds": 0.0, "history": []}
    if resume:

        def read_model(d: Path) -> None:
            from safetensors.torch import load_file

            weights = d / "model.safetensors"
            if not weights.exists():
                raise InputError(f"{d}: checkpoint has no model.safetensors")
            report = model.load_state_dict(load_file(str(weights), device=str(dev)), strict=False)
            bad = [k for k in report.missing_keys if k not in _TIED] + list(report.unexpected_keys)
            if bad:
                raise InputError(f"{d}: checkpoint does not match the model ({', '.join(bad[:4])})")
            model.tie_weights()

        state = load_checkpoint(
            ckpt, model=model, optimizer=optimizer, device=dev, read_model=read_model
        )
        reader.restore(state.get("corpus", {}))
        log(f"resumed at step {state['step']}")

    cfg = TrainConfig(
        lr=lr,
        weight_decay=weight_decay,
        accumulate=accumulate,
        device=str(dev),
        warmup_fraction=warmup_fraction,
        schedule="cosine",
        min_lr_fraction=0.1,
        grad_clip=1.0,
        quiet=quiet,
    )
    history: list[dict[str, Any]] = state["history"]
    window_stats = {"tokens": 0, "seconds": 0.0, "t": time.perf_counter()}

    def micro_batches(step: int):
        torch.manual_seed(seed * 1_000_003 + step)  # dropout: the same draw after a resume
        for micro in range(accumulate):
            seqs = reader.sample(batch_size, step=step, micro=micro)
            gen = torch.Generator().manual_seed(seed * 1_000_003 + step * 101 + micro)
            batch = batcher(batcher.encode(seqs), gen)
            n_tok = int(batch["attention_mask"].sum())
            window_stats["tokens"] += n_tok
            state["tokens"] += n_tok
            yield batch

    def on_step(step: int, loss: float) -> None:
        now = time.perf_counter()
        dt = now - window_stats["t"]
        window_stats["seconds"] += dt
        state["train_seconds"] += dt
        state["step"] = step
        if step % eval_every == 0 or step == steps or step == 1:
            valid_loss = masked_valid_loss(model, batcher, valid_ids, batch_size, seed, dev)
            secs = window_stats["seconds"]
            row = {
                "step": step,
                "train_loss": loss,
                "valid_loss": valid_loss,
                "valid_perplexity": None if valid_loss is None else math.exp(min(valid_loss, 50)),
                "tokens_per_second": window_stats["tokens"] / secs if secs else 0.0,
                "lr": optimizer.param_groups[0]["lr"],
                "tokens": state["tokens"],
            }
            history.append(row)
            window_stats["tokens"], window_stats["seconds"] = 0, 0.0
            vl = "n/a" if valid_loss is None else f"{valid_loss:.4f}"
            log(
                f"step {step}/{steps} train_loss={loss:.4f} valid_loss={vl} "
                f"tokens/s={row['tokens_per_second']:.0f}"
            )
        if step % save_every == 0 and step < steps:
            save_checkpoint(
                ckpt,
                model=model,
                optimizer=optimizer,
                state={**state, "corpus": reader.state(), "resume_key": resume_key},
                write_model=lambda d: model.save_pretrained(str(d)),
            )
        window_stats["t"] = time.perf_counter()

    fit_steps(
        model,
        micro_batches,
        loss_fn=lambda m, b: m(**b).loss,
        steps=steps,
        config=cfg,
        optimizer=optimizer,
        start_step=state["step"],
        on_step=on_step,
    )
    result = write_pretrain_outputs(
        stage,
        model=model,
        tok=tok,
        state=state,
        history=history,
        meta={
            "arch": arch,
            "size": size,
            "objective": "causal-lm" if causal else "masked-lm",
            "max_len": max_len,
            "tokenizer": str(tok.spec),
            "parameters": n_params,
            "steps": state["step"],
            "batch_size": batch_size,
            "accumulate": accumulate,
            "lr": lr,
            "tokens_seen": state["tokens"],
            "corpus": str(corpus),
            "corpus_description": reader.describe(),
            "seed": seed,
        },
        corpus=corpus,
        config={"resume_key": resume_key, "save_every": save_every, "device": str(dev)},
        result_cls=PretrainResult,
        out_dir=out_dir,
    )
    replace_dir(stage, out_dir)
    shutil.rmtree(out_dir / "checkpoint", ignore_errors=True)
    return result
