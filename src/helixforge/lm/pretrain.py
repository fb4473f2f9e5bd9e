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
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from typing import Any

from helixforge.core.checkpoints import save_checkpoint
from helixforge.core.training import restores_torch_threads, set_threads
from helixforge.lm.models import quiet_transformers
from helixforge.lm.objectives import LMBatcher, masked_valid_loss, window_bases
from helixforge.lm.pretrain_setup import (
    TIED,
    PretrainJob,
    PretrainOptions,
    build_job,
    prepare_output,
)

# Older names (benchmarks/lm.py imports them).
_Batcher = LMBatcher
_window_bases = window_bases
_TIED = TIED


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
    # corpus lines that are not sequences for the tokenizer: left out, listed in errors.csv
    rejected_lines: int = 0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@restores_torch_threads
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
    from helixforge.core.io import replace_dir
    from helixforge.lm.inputs import as_names, as_path

    as_path(corpus, "corpus")
    holdout = as_names(holdout, "holdout")  # 'chr1' is one record, not four
    opts = PretrainOptions(
        corpus=corpus,
        tokenizer=tokenizer,
        out=out,
        arch=arch,
        size=size,
        max_len=max_len,
        steps=steps,
        batch_size=batch_size,
        accumulate=accumulate,
        lr=lr,
        weight_decay=weight_decay,
        warmup_fraction=warmup_fraction,
        mlm_probability=mlm_probability,
        eval_every=eval_every,
        save_every=save_every,
        valid_size=valid_size,
        enumerate_smiles=enumerate_smiles,
        holdout=holdout,
        column=column,
        resume=resume,
        overwrite=overwrite,
        seed=seed,
        device=device,
        threads=threads,
        model_overrides=model_overrides,
        quiet=quiet,
    )
    quiet_transformers()
    log = log or (lambda msg: None)
    opts.check()
    resuming, resume_key = prepare_output(opts, log)
    set_threads(opts.threads)  # for the run; the caller's count is back when it returns
    try:
        job = build_job(opts, resuming, log)
    except BaseException:
        # a tokenizer or window refused before training leaves no stray stage directory beside
        # the output; one holding a checkpoint stays, for --resume
        if not (opts.stage / "checkpoint" / "state.json").exists():
            shutil.rmtree(opts.stage, ignore_errors=True)
        raise
    _train(opts, job, resume_key, log)
    result = _write_outputs(opts, job, resume_key)
    replace_dir(job.stage, opts.out_dir)
    shutil.rmtree(opts.out_dir / "checkpoint", ignore_errors=True)
    return result


class _StepHooks:
    """The callbacks of `fit_steps`: each step's micro-batches, then validation and checkpoints."""

    def __init__(self, opts: PretrainOptions, job: PretrainJob, resume_key: dict, log) -> None:
        self.opts, self.job, self.resume_key, self.log = opts, job, resume_key, log
        self.history: list[dict[str, Any]] = job.state["history"]
        self.window = {"tokens": 0, "seconds": 0.0, "t": time.perf_counter()}

    def micro_batches(self, step: int) -> Iterator[dict[str, Any]]:
        """`accumulate` batches for optimizer step `step`, seeded by (seed, step, micro)."""
        import torch

        seed, job = self.opts.seed, self.job
        torch.manual_seed(seed * 1_000_003 + step)  # dropout: the same draw after a resume
        for micro in range(self.opts.accumulate):
            seqs = job.reader.sample(self.opts.batch_size, step=step, micro=micro)
            gen = torch.Generator().manual_seed(seed * 1_000_003 + step * 101 + micro)
            batch = job.batcher(job.batcher.encode(seqs), gen)
            n_tok = int(batch["attention_mask"].sum())
            self.window["tokens"] += n_tok
            job.state["tokens"] += n_tok
            yield batch

    def on_step(self, step: int, loss: float) -> None:
        """Account time; validate every `eval_every` steps; checkpoint every `save_every`."""
        opts, state = self.opts, self.job.state
        now = time.perf_counter()
        dt = now - self.window["t"]
        self.window["seconds"] += dt
        state["train_seconds"] += dt
        state["step"] = step
        if step % opts.eval_every == 0 or step == opts.steps or step == 1:
            self._evaluate(step, loss)
        if step % opts.save_every == 0 and step < opts.steps:
            self._checkpoint()
        self.window["t"] = time.perf_counter()

    def _evaluate(self, step: int, loss: float) -> None:
        opts, job = self.opts, self.job
        valid_loss = masked_valid_loss(
            job.model, job.batcher, job.valid_ids, opts.batch_size, opts.seed, job.dev
        )
        secs = self.window["seconds"]
        row = {
            "step": step,
            "train_loss": loss,
            "valid_loss": valid_loss,
            "valid_perplexity": None if valid_loss is None else math.exp(min(valid_loss, 50)),
            "tokens_per_second": self.window["tokens"] / secs if secs else 0.0,
            "lr": job.optimizer.param_groups[0]["lr"],
            "tokens": job.state["tokens"],
        }
        self.history.append(row)
        self.window["tokens"], self.window["seconds"] = 0, 0.0
        vl = "n/a" if valid_loss is None else f"{valid_loss:.4f}"
        self.log(
            f"step {step}/{opts.steps} train_loss={loss:.4f} valid_loss={vl} "
            f"tokens/s={row['tokens_per_second']:.0f}"
        )

    def _checkpoint(self) -> None:
        job = self.job
        save_checkpoint(
            job.ckpt,
            model=job.model,
            optimizer=job.optimizer,
            state={**job.state, "corpus": job.reader.state(), "resume_key": self.resume_key},
            write_model=lambda d: job.model.save_pretrained(str(d)),
        )


def _train(opts: PretrainOptions, job: PretrainJob, resume_key: dict, log) -> None:
    """Run `fit_steps` from the job's step to `opts.steps` (AdamW, warm-up + cosine decay)."""
    from helixforge.core.training import TrainConfig, fit_steps

    cfg = TrainConfig(
        lr=opts.lr,
        weight_decay=opts.weight_decay,
        accumulate=opts.accumulate,
        device=str(job.dev),
        warmup_fraction=opts.warmup_fraction,
        schedule="cosine",
        min_lr_fraction=0.1,
        grad_clip=1.0,
        quiet=opts.quiet,
    )
    hooks = _StepHooks(opts, job, resume_key, log)
    fit_steps(
        job.model,
        hooks.micro_batches,
        loss_fn=lambda m, b: m(**b).loss,
        steps=opts.steps,
        config=cfg,
        optimizer=job.optimizer,
        start_step=job.state["step"],
        on_step=hooks.on_step,
    )


def _write_outputs(opts: PretrainOptions, job: PretrainJob, resume_key: dict) -> PretrainResult:
    """Model, tokenizer, helixforge_lm.json, log, metrics, card and report into the stage."""
    from helixforge.lm.pretrain_report import write_pretrain_outputs

    state = job.state
    meta = {
        "arch": opts.arch,
        "size": opts.size,
        "objective": "causal-lm" if opts.causal else "masked-lm",
        "max_len": opts.max_len,
        "tokenizer": str(job.tok.spec),
        "parameters": job.n_params,
        "steps": state["step"],
        "batch_size": opts.batch_size,
        "accumulate": opts.accumulate,
        "lr": opts.lr,
        "tokens_seen": state["tokens"],
        "corpus": str(opts.corpus),
        "corpus_description": job.reader.describe(),
        "rejected_lines": len(getattr(job.reader, "rejected", {})),
        "seed": opts.seed,
    }
    return write_pretrain_outputs(
        job.stage,
        model=job.model,
        tok=job.tok,
        state=state,
        history=state["history"],
        meta=meta,
        corpus=opts.corpus,
        config={"resume_key": resume_key, "save_every": opts.save_every, "device": str(job.dev)},
        result_cls=PretrainResult,
        out_dir=opts.out_dir,
    )
