"""The setup steps of `lm.pretrain.pretrain`, in the order they run.

1. `PretrainOptions.check` — every option checked before any work.
2. `prepare_output` — a bad corpus or output fails early; an existing checkpoint is either resumed
   (its resume key must match) or refused without `overwrite`.
3. `build_job` — seeds, device, tokenizer (saved into the run first, so a resume reuses it),
   corpus reader, model, optimizer, batcher, validation sequences and, on resume, the checkpoint.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from helixforge.core.checkpoints import check_resume_key, load_checkpoint
from helixforge.core.errors import ConfigError, InputError
from helixforge.core.options import require_float, require_int
from helixforge.lm.models import CAUSAL_ARCHS, build_model, count_parameters
from helixforge.lm.objectives import LMBatcher, window_bases
from helixforge.lm.tokenizers import SequenceTokenizer, get_tokenizer, parse_spec

Log = Callable[[str], None]

# save_pretrained leaves out weights tied to the input embeddings; nothing else may be missing.
TIED = {
    "decoder.weight",
    "lm_head.weight",
    "cls.predictions.decoder.weight",
    "cls.predictions.decoder.bias",
}


@dataclass(frozen=True)
class PretrainOptions:
    """Every argument of `pretrain` except `log`, built once and fixed for the run."""

    corpus: str | os.PathLike
    tokenizer: str | os.PathLike
    out: str | os.PathLike
    arch: str
    size: str | dict[str, int]
    max_len: int
    steps: int
    batch_size: int
    accumulate: int
    lr: float
    weight_decay: float
    warmup_fraction: float
    mlm_probability: float
    eval_every: int
    save_every: int
    valid_size: int
    enumerate_smiles: bool
    holdout: list[str] | None
    column: str | None
    resume: bool
    overwrite: bool
    seed: int
    device: str
    threads: int | None
    model_overrides: dict[str, Any] | None
    quiet: bool

    @property
    def out_dir(self) -> Path:
        return Path(self.out)

    @property
    def stage(self) -> Path:
        """Where the run is built (`.OUT.partial/` beside `out`)."""
        from helixforge.core.io import staging_path

        return staging_path(self.out_dir)

    @property
    def corpus_kw(self) -> dict[str, Any]:
        return {
            "holdout": self.holdout,
            "enumerate_smiles": self.enumerate_smiles,
            "column": self.column,
        }

    @property
    def causal(self) -> bool:
        return self.arch in CAUSAL_ARCHS

    def check(self) -> None:
        """Raise ConfigError naming the first option out of range."""
        require_int(self.steps, "--steps")
        require_int(self.batch_size, "--batch-size")
        require_int(self.accumulate, "--accumulate")
        require_int(self.eval_every, "--eval-every")
        require_int(self.save_every, "--save-every")
        require_int(self.valid_size, "--valid-size", min_value=0)
        require_float(self.lr, "--lr", low=0, low_open=True)
        if require_int(self.max_len, "--max-len") < 8:
            raise ConfigError(
                f"--max-len {self.max_len} is too short", hint="use at least 8 tokens"
            )
        from helixforge.lm.models import MAX_PRETRAIN_LEN

        if self.max_len > MAX_PRETRAIN_LEN:  # bert / gpt2 allocated a position table this long
            raise ConfigError(
                f"--max-len {self.max_len:,} is too long for pretraining",
                hint=f"use at most {MAX_PRETRAIN_LEN:,} tokens (512-2,048 is usual)",
            )
        require_float(self.mlm_probability, "--mlm-probability", low=0, high=1, low_open=True)
        self._check_memory()

    def _check_memory(self) -> None:
        """One micro-batch's activations (kept for the backward pass) must fit in this machine's
        memory: --batch-size 1e9 spent hours drawing windows, then failed to allocate them."""
        from helixforge.core.batching import require_fits_memory
        from helixforge.lm.models import SIZES

        dims = SIZES.get(self.size) if isinstance(self.size, str) else None
        if dims is None:
            return  # an unknown size is named where the model is built
        L = self.max_len
        # a lower bound (two hidden-size float32 activations per token and layer): only sizes
        # that cannot fit are refused, whatever the attention implementation
        per_token = dims["layers"] * 2 * dims["hidden"]
        require_fits_memory(
            self.batch_size * L * per_token * 4,
            f"--batch-size {self.batch_size:,} × --max-len {L:,} at --size {self.size}",
            hint="lower --batch-size (use --accumulate for a larger effective batch) or --max-len",
        )

    def resume_key(self, corpus_sha256: str) -> dict[str, Any]:
        """Everything that changes the result; a resume with any of it changed is refused."""
        return {
            "corpus": Path(self.corpus).name,
            "corpus_sha256": corpus_sha256,
            "tokenizer": tokenizer_key(self.tokenizer),
            "arch": self.arch,
            "size": self.size,
            "max_len": self.max_len,
            "steps": self.steps,
            "batch_size": self.batch_size,
            "accumulate": self.accumulate,
            "lr": self.lr,
            "weight_decay": self.weight_decay,
            "warmup_fraction": self.warmup_fraction,
            "mlm_probability": self.mlm_probability,
            "eval_every": self.eval_every,
            "valid_size": self.valid_size,
            "enumerate_smiles": self.enumerate_smiles,
            "holdout": list(self.holdout or []),
            "column": self.column,
            "seed": self.seed,
            "model_overrides": dict(self.model_overrides or {}),
        }


@dataclass
class PretrainJob:
    """What `build_job` made: the pieces the training loop and the outputs use."""

    stage: Path
    dev: Any
    tok: SequenceTokenizer
    reader: Any
    model: Any
    n_params: int
    optimizer: Any
    batcher: LMBatcher
    valid_ids: list
    state: dict[str, Any]

    @property
    def ckpt(self) -> Path:
        return self.stage / "checkpoint"


def tokenizer_key(tokenizer: str | os.PathLike) -> str:
    """The tokenizer as the resume key sees it (a saved directory by its files' checksums)."""
    p = Path(str(tokenizer))
    if p.is_dir():
        from helixforge.core.artifacts import sha256_file

        files = sorted(f for f in p.iterdir() if f.is_file() and f.name.startswith("tokenizer"))
        return "dir sha256:" + ",".join(sha256_file(f)[:16] for f in files)
    return str(tokenizer)


def prepare_dir(out_dir: Path, stage: Path, resume: bool, overwrite: bool, log: Log) -> bool:
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


def prepare_output(opts: PretrainOptions, log: Log) -> tuple[bool, dict[str, Any]]:
    """Fail early on a bad corpus or output; returns (resume?, resume key)."""
    from helixforge.core.artifacts import sha256_file
    from helixforge.lm.corpus import open_corpus

    # a bad corpus fails here; the window's length (known once the tokenizer is) is checked later
    open_corpus(opts.corpus, window=1, seed=opts.seed, **opts.corpus_kw)
    from helixforge.core.io import check_not_input

    check_not_input(opts.out_dir, [opts.corpus, opts.tokenizer if opts.tokenizer else None])
    resume = prepare_dir(opts.out_dir, opts.stage, opts.resume, opts.overwrite, log)
    resume_key = opts.resume_key(sha256_file(opts.corpus))
    if resume:
        state_file = opts.stage / "checkpoint" / "state.json"
        try:
            saved_state = json.loads(state_file.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise InputError(
                f"{state_file}: damaged checkpoint ({exc})",
                hint="pass --overwrite to start over",
            ) from None
        check_resume_key(saved_state.get("resume_key", {}), resume_key, str(opts.out_dir))
    return resume, resume_key


def line_check(spec) -> Callable[[str], str | None] | None:
    """Why a corpus line is not a sequence for this tokenizer (`SequenceCheck.row_problem`, the
    rule of `lm predict | embed | score`), or None for tokenizers without a check."""
    from helixforge.lm.tokenizer_backends import spec_check

    check = spec_check(spec)
    return check.row_problem if check is not None else None


def load_tokenizer(tokenizer, corpus, seed: int, corpus_kw: dict) -> SequenceTokenizer:
    """A saved tokenizer directory, or one built from its spec (trained on a corpus sample)."""
    from helixforge.lm.corpus import sample_sequences

    tok_path = Path(str(tokenizer))
    if tok_path.is_dir():
        return SequenceTokenizer.load(tok_path)
    spec = parse_spec(str(tokenizer))
    sample = None
    if spec.needs_corpus or spec.kind == "smiles-atom":
        check = line_check(spec)  # lines that are not sequences do not shape the vocabulary
        sample = sample_sequences(corpus, 5000, window=1000, seed=seed, check=check, **corpus_kw)
    return get_tokenizer(str(tokenizer), sample)


def _run_tokenizer(opts: PretrainOptions, stage: Path, resume: bool) -> SequenceTokenizer:
    """Saved into the run at the start, so a resumed run reuses the same vocabulary."""
    stage.mkdir(parents=True, exist_ok=True)
    if resume:
        return SequenceTokenizer.load(stage)
    tok = load_tokenizer(opts.tokenizer, opts.corpus, opts.seed, opts.corpus_kw)
    tok.hf.model_max_length = opts.max_len
    tok.save(stage)
    return tok


def _open_reader(opts: PretrainOptions, tok: SequenceTokenizer, log: Log):
    """The training corpus reader (genome windows sized to `max_len` tokens)."""
    from helixforge.lm.corpus import corpus_kind, open_corpus

    kind = corpus_kind(opts.corpus)
    if tok.spec.alphabet == "dna" and kind == "fasta":  # a protein FASTA, say
        from helixforge.lm.corpus import fasta_text_sample, require_dna_text

        require_dna_text(fasta_text_sample(opts.corpus), opts.corpus, str(tok.spec))
    elif tok.spec.alphabet == "dna":
        from helixforge.lm.corpus import require_dna_text, sample_sequences

        sample = sample_sequences(opts.corpus, 200, seed=opts.seed, **opts.corpus_kw)
        require_dna_text(sample, opts.corpus, str(tok.spec))
        log("note: a DNA tokenizer on a non-FASTA corpus; each line is read as one sequence")
    elif tok.spec.alphabet == "smiles":  # a genome or DNA lines under a SMILES tokenizer
        from helixforge.lm.corpus import require_smiles_text, sample_sequences

        sample = sample_sequences(opts.corpus, 200, seed=opts.seed, **opts.corpus_kw)
        require_smiles_text(sample, opts.corpus, str(tok.spec))
    window = (
        window_bases(tok, opts.corpus, opts.max_len, opts.seed) if kind == "fasta" else opts.max_len
    )
    check = line_check(tok.spec) if kind != "fasta" else None
    extra = {"check": check} if check is not None else {}
    reader = open_corpus(opts.corpus, window=window, seed=opts.seed, **opts.corpus_kw, **extra)
    log(reader.describe())
    if kind != "fasta":
        _report_rejected_lines(opts, reader, str(tok.spec), log)
    if tok.spec.alphabet == "smiles" and kind == "smiles":
        _note_invalid_smiles(reader, log)
    if kind != "fasta":
        _note_long_lines(reader, tok, opts.max_len, log)
    return reader


def _note_long_lines(reader, tok: SequenceTokenizer, max_len: int, log: Log, n: int = 1000) -> None:
    """Say so when sampled corpus lines are longer than the window: each training example is
    one line cut to `max_len` tokens, so the rest of a long line is never trained on. That was
    silent (a corpus of 5 kb lines at --max-len 128 trained on 2 % of its bases)."""
    sample = reader.training_sample(n)
    body = max_len - tok.n_special
    lengths = [len(ids) for ids in tok.tokenize_ids(sample)] if sample else []
    long = [k for k in lengths if k > body]
    if long:
        kept = sum(min(k, body) for k in lengths) / max(1, sum(lengths))
        log(
            f"note: {len(long)} of the first {len(sample)} corpus lines are longer than the "
            f"window ({body} tokens at --max-len {max_len}; the longest has {max(long):,}); a "
            f"line is one training example cut to the window, so only {kept:.0%} of these "
            "lines' tokens are trained on. Split long lines (or give a FASTA file, which is "
            "sampled in windows), or pass a larger --max-len"
        )


def _report_rejected_lines(opts: PretrainOptions, reader, tokenizer: str, log: Log) -> None:
    """Corpus lines that are not sequences for the tokenizer (a 'hello world' line in a DNA
    text corpus): left out of training and validation, listed in the run's errors.csv (file,
    line, column, value, reason) and counted in metrics.json; the log names the first lines.
    They were trained on silently when under `require_dna_text`'s corpus-level 10 %."""
    from helixforge.core.errors import RowErrors

    rejected = reader.rejected_lines()
    errors = RowErrors(str(opts.corpus))
    for line, (value, why) in rejected.items():
        errors.add(line, opts.column, value, why)
    errors.write(opts.stage / "errors.csv")
    if rejected:
        lines = list(rejected)
        shown = ", ".join(map(str, lines[:10])) + (", …" if len(lines) > 10 else "")
        log(
            f"note: {len(lines):,} corpus line(s) are not sequences for the {tokenizer} "
            f"tokenizer (or have none) and are left out of training and validation (line {shown}; "
            f"e.g. {rejected[lines[0]][1]}); see errors.csv in the run directory"
        )


def _note_invalid_smiles(reader, log: Log, n: int = 1000) -> None:
    """Say so when sampled corpus lines are not valid SMILES: they are trained on as they are
    (the corpus streams and is never checked whole), which was silent before."""
    from rdkit import Chem, RDLogger

    RDLogger.DisableLog("rdApp.*")
    sample = reader.training_sample(n)
    bad = [s for s in sample if Chem.MolFromSmiles(s) is None]
    if bad:
        log(
            f"note: {len(bad)} of the first {len(sample)} corpus lines are not valid SMILES "
            f"(e.g. {bad[0]!r}); they are trained on as they are. Clean the corpus first "
            "(helix chem standardize) unless that is meant"
        )


def _restore(job: PretrainJob, log: Log) -> None:
    """Load the checkpoint into the job's model, optimizer, state and corpus stream."""
    model, dev = job.model, job.dev

    def read_model(d: Path) -> None:
        from safetensors.torch import load_file

        weights = d / "model.safetensors"
        if not weights.exists():
            raise InputError(f"{d}: checkpoint has no model.safetensors")
        report = model.load_state_dict(load_file(str(weights), device=str(dev)), strict=False)
        bad = [k for k in report.missing_keys if k not in TIED] + list(report.unexpected_keys)
        if bad:
            raise InputError(f"{d}: checkpoint does not match the model ({', '.join(bad[:4])})")
        model.tie_weights()

    job.state = load_checkpoint(
        job.ckpt, model=model, optimizer=job.optimizer, device=dev, read_model=read_model
    )
    job.reader.restore(job.state.get("corpus", {}))
    log(f"resumed at step {job.state['step']}")


def build_job(opts: PretrainOptions, resume: bool, log: Log) -> PretrainJob:
    """Seed, then build tokenizer, reader, model and optimizer (restored from the checkpoint on resume)."""
    from helixforge.core.training import make_optimizer, resolve_device, seed_everything

    seed_everything(opts.seed)  # torch's thread count: pretrain() sets it for the whole run
    dev = resolve_device(opts.device)
    stage = opts.stage
    tok = _run_tokenizer(opts, stage, resume)
    reader = _open_reader(opts, tok, log)
    model = build_model(
        opts.arch, opts.size, len(tok), opts.max_len, **dict(opts.model_overrides or {})
    )
    n_params = count_parameters(model)
    size_name = opts.size if isinstance(opts.size, str) else "custom"
    log(f"{opts.arch} {size_name}: {n_params:,} parameters, vocabulary {len(tok):,}")
    model.to(dev)
    optimizer = make_optimizer(model, opts.lr, opts.weight_decay, decay_matrices_only=True)
    batcher = LMBatcher(tok, opts.max_len, opts.causal, opts.mlm_probability)
    valid_ids = batcher.encode(reader.validation(opts.valid_size))
    if not valid_ids:
        log("warning: no validation sequences (corpus too small for the hold-out)")
    job = PretrainJob(
        stage=stage,
        dev=dev,
        tok=tok,
        reader=reader,
        model=model,
        n_params=n_params,
        optimizer=optimizer,
        batcher=batcher,
        valid_ids=valid_ids,
        state={"step": 0, "tokens": 0, "train_seconds": 0.0, "history": []},
    )
    if resume:
        _restore(job, log)
    return job
