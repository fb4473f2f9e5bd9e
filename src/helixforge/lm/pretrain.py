"""Pretraining: masked LM (encoders) or causal LM (decoders) on a streamed corpus.

    result = pretrain("genome.fna.gz", "dna-kmer:6", arch="encoder", size="tiny",
                      max_len=256, steps=500, out="runs/ecoli_lm")

The loop is step-based (a corpus is a stream, not a list of epochs): each optimizer step draws
`batch_size × accumulate` sequences, tokenizes them, masks 15 % of the tokens (80/10/10) or shifts
them for next-token prediction, and steps AdamW with linear warm-up and cosine decay. Every
`eval_every` steps it logs the validation loss and perplexity on held-out sequences (a held-out
chromosome or region for genomes, held-out lines for SMILES) with fixed masks, so the curve is
comparable across steps. Every `save_every` steps it writes `out/checkpoint/` (model, optimizer,
stream state) atomically; `resume=True` continues from there. The result is a save_pretrained
directory loadable by transformers without HelixForge. Mixed precision (bf16) only on CUDA.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from helixforge.core.errors import ConfigError, InputError
from helixforge.lm.models import (
    CAUSAL_ARCHS,
    META_FILE,
    build_model,
    count_parameters,
    quiet_transformers,
)
from helixforge.lm.tokenizers import SequenceTokenizer, get_tokenizer, parse_spec


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


def _window_bases(tok: SequenceTokenizer, corpus_path, max_len: int, seed: int) -> int:
    """Genome window (bp) that fills `max_len` tokens, from the tokenizer's bases per token."""
    body = max_len - tok.n_special
    sp = tok.spec
    if sp.kind == "dna-char":
        return body
    if sp.kind == "dna-kmer":
        return body + sp.k - 1 if sp.overlap else body * sp.k
    from helixforge.lm.corpus import open_corpus

    sample = open_corpus(corpus_path, window=2000, seed=seed).training_sample(16)
    ids = tok.tokenize_ids(sample)
    per_token = sum(len(s) for s in sample) / max(1, sum(len(i) for i in ids))
    return max(8, int(per_token * body * 1.05))  # a little extra; the tail is truncated


class _Batcher:
    """Strings → model inputs for the chosen objective."""

    def __init__(self, tok: SequenceTokenizer, max_len: int, causal: bool, mlm_probability: float):
        self.tok = tok
        self.max_len = max_len
        self.causal = causal
        self.mlm_probability = mlm_probability
        specials = set(tok.hf.all_special_ids)
        self.first_normal = max(specials) + 1 if specials and max(specials) < 16 else 5
        if not causal and tok.mask_id is None:
            raise ConfigError(
                "the tokenizer has no [MASK] token, needed for masked-LM pretraining",
                hint="use --arch decoder or another tokenizer",
            )

    def encode(self, seqs: list[str]) -> list[list[int]]:
        body = self.max_len - self.tok.n_special
        return [self.tok.with_specials(ids[:body]) for ids in self.tok.tokenize_ids(seqs)]

    def __call__(self, ids: list[list[int]], generator=None) -> dict[str, Any]:
        import torch

        from helixforge.lm.batching import mask_for_mlm, pad_batch

        input_ids, attn = pad_batch(ids, self.tok.pad_id)
        if self.causal:
            labels = input_ids.clone()
            labels[attn == 0] = -100
            return {"input_ids": input_ids, "attention_mask": attn, "labels": labels}
        special = torch.zeros_like(input_ids, dtype=torch.bool)
        for sid in self.tok.hf.all_special_ids:
            special |= input_ids == sid
        inputs, labels = mask_for_mlm(
            input_ids,
            special,
            mask_id=self.tok.mask_id,
            vocab_size=len(self.tok),
            first_normal_id=self.first_normal,
            probability=self.mlm_probability,
            radius=self.tok.overlap_radius,
            generator=generator,
        )
        return {"input_ids": inputs, "attention_mask": attn, "labels": labels}


def _lr_lambda(warmup: int, total: int) -> Callable[[int], float]:
    def f(step: int) -> float:
        if step < warmup:
            return (step + 1) / warmup
        progress = (step - warmup) / max(1, total - warmup)
        return 0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * min(1.0, progress)))

    return f


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
    seed: int = 0,
    device: str = "auto",
    threads: int | None = None,
    model_overrides: dict[str, Any] | None = None,
    log: Callable[[str], None] | None = None,
) -> PretrainResult:
    """Pretrain a language model on `corpus`; writes a save_pretrained directory to `out`.

    `tokenizer` is a spec ('dna-char', 'dna-kmer:6', 'dna-bpe:4096', 'smiles-atom', …) or a saved
    tokenizer directory. `arch` encoder|bert → masked LM; decoder|gpt2 → causal LM.
    """
    import torch

    from helixforge.core.artifacts import RunDir, save_json
    from helixforge.core.training import resolve_device, seed_everything, set_threads
    from helixforge.lm.corpus import corpus_kind, open_corpus

    quiet_transformers()
    log = log or (lambda msg: None)
    if steps < 1 or batch_size < 1 or accumulate < 1:
        raise ConfigError("--steps, --batch-size and --accumulate must be at least 1")
    if max_len < 8:
        raise ConfigError(f"--max-len {max_len} is too short", hint="use at least 8 tokens")
    out_dir = Path(out)
    ckpt = out_dir / "checkpoint"
    if ckpt.exists() and not resume:
        raise ConfigError(
            f"{out_dir} already holds a checkpoint",
            hint="pass --resume to continue it, or choose another --out",
        )
    if resume and not ckpt.exists():
        log(f"no checkpoint in {out_dir}; starting from scratch")
        resume = False
    seed_everything(seed)
    set_threads(threads)
    dev = resolve_device(device)
    causal = arch in CAUSAL_ARCHS
    corpus_kw = {"holdout": holdout, "enumerate_smiles": enumerate_smiles, "column": column}

    # Tokenizer: saved next to the model at the start, so a resumed run reuses the same vocabulary.
    if resume:
        tok = SequenceTokenizer.load(out_dir)
    else:
        tok_path = Path(str(tokenizer))
        if tok_path.is_dir():
            tok = SequenceTokenizer.load(tok_path)
        else:
            spec = parse_spec(str(tokenizer))
            sample = None
            if spec.needs_corpus or spec.kind == "smiles-atom":
                sample = open_corpus(corpus, window=1000, seed=seed, **corpus_kw).training_sample(
                    5000
                )
            tok = get_tokenizer(str(tokenizer), sample)
        tok.hf.model_max_length = max_len
        out_dir.mkdir(parents=True, exist_ok=True)
        tok.save(out_dir)
    if tok.spec.alphabet == "dna" and corpus_kind(corpus) != "fasta":
        log("note: a DNA tokenizer on a non-FASTA corpus; each line is read as one sequence")
    window = (
        _window_bases(tok, corpus, max_len, seed) if corpus_kind(corpus) == "fasta" else max_len
    )
    reader = open_corpus(corpus, window=window, seed=seed, **corpus_kw)
    log(reader.describe())

    overrides = dict(model_overrides or {})
    model = build_model(arch, size, len(tok), max_len, **overrides)
    n_params = count_parameters(model)
    log(
        f"{arch} {size if isinstance(size, str) else 'custom'}: {n_params:,} parameters, vocabulary {len(tok):,}"
    )
    model.to(dev)
    decay = [p for n, p in model.named_parameters() if p.ndim >= 2]
    no_decay = [p for n, p in model.named_parameters() if p.ndim < 2]
    optimizer = torch.optim.AdamW(
        [
            {"params": decay, "weight_decay": weight_decay},
            {"params": no_decay, "weight_decay": 0.0},
        ],
        lr=lr,
    )
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, _lr_lambda(max(1, int(warmup_fraction * steps)), steps)
    )
    batcher = _Batcher(tok, max_len, causal, mlm_probability)

    valid_ids = batcher.encode(reader.validation(valid_size))
    if not valid_ids:
        log(
            "warning: no validation sequences (corpus too small for the hold-out); validation loss not logged"
        )

    state: dict[str, Any] = {"step": 0, "tokens": 0, "train_seconds": 0.0, "history": []}
    if resume:
        from safetensors.torch import load_file

        weights = ckpt / "model.safetensors"
        if not weights.exists():
            raise InputError(
                f"{ckpt}: checkpoint has no model.safetensors",
                hint="remove the checkpoint folder to start over",
            )
        report = model.load_state_dict(load_file(str(weights), device=str(dev)), strict=False)
        # save_pretrained leaves out weights tied to the input embeddings; nothing else may be missing
        tied = {
            "decoder.weight",
            "lm_head.weight",
            "cls.predictions.decoder.weight",
            "cls.predictions.decoder.bias",
        }
        bad = [k for k in report.missing_keys if k not in tied] + list(report.unexpected_keys)
        if bad:
            raise InputError(
                f"{ckpt}: checkpoint does not match --arch {arch} --size {size} ({', '.join(bad[:4])} …)",
                hint="resume with the options of the original run, or start a new --out",
            )
        model.tie_weights()
        optimizer.load_state_dict(
            torch.load(ckpt / "optimizer.pt", map_location=dev, weights_only=True)
        )
        state = json.loads((ckpt / "state.json").read_text(encoding="utf-8"))
        reader.restore(state.get("corpus", {}))
        scheduler = torch.optim.lr_scheduler.LambdaLR(
            optimizer,
            _lr_lambda(max(1, int(warmup_fraction * steps)), steps),
            last_epoch=state["step"] - 1,
        )
        log(f"resumed at step {state['step']}")

    use_amp = dev.type == "cuda"
    amp_dtype = torch.bfloat16

    def evaluate() -> float | None:
        if not valid_ids:
            return None
        model.eval()
        gen = torch.Generator().manual_seed(seed + 12345)  # same masks every evaluation
        total, count = 0.0, 0
        with torch.no_grad():
            for i in range(0, len(valid_ids), batch_size):
                b = {k: v.to(dev) for k, v in batcher(valid_ids[i : i + batch_size], gen).items()}
                with torch.autocast(dev.type, dtype=amp_dtype, enabled=use_amp):
                    loss = model(**b).loss
                n = int((b["labels"] != -100).sum())
                total += float(loss) * n
                count += n
        model.train()
        return total / max(count, 1)

    def save_checkpoint() -> None:
        tmp = out_dir / "checkpoint.tmp"
        if tmp.exists():
            shutil.rmtree(tmp)
        model.save_pretrained(str(tmp))
        torch.save(optimizer.state_dict(), tmp / "optimizer.pt")
        (tmp / "state.json").write_text(
            json.dumps({**state, "corpus": reader.state()}), encoding="utf-8"
        )
        if ckpt.exists():
            shutil.rmtree(ckpt)
        os.replace(tmp, ckpt)

    model.train()
    history: list[dict[str, float]] = state["history"]
    window_tokens, window_time = 0, 0.0
    step = state["step"]
    while step < steps:
        t0 = time.perf_counter()
        step_loss = 0.0
        for micro in range(accumulate):
            seqs = reader.sample(batch_size, step=step, micro=micro)
            gen = torch.Generator().manual_seed(seed * 1_000_003 + step * 101 + micro)
            batch = batcher(batcher.encode(seqs), gen)
            n_tok = int(batch["attention_mask"].sum())
            batch = {k: v.to(dev, non_blocking=True) for k, v in batch.items()}
            with torch.autocast(dev.type, dtype=amp_dtype, enabled=use_amp):
                loss = model(**batch).loss / accumulate
            loss.backward()
            step_loss += float(loss.detach())
            window_tokens += n_tok
            state["tokens"] += n_tok
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        scheduler.step()
        optimizer.zero_grad(set_to_none=True)
        step += 1
        state["step"] = step
        dt = time.perf_counter() - t0
        window_time += dt
        state["train_seconds"] += dt
        if step % eval_every == 0 or step == steps or step == 1:
            valid_loss = evaluate()
            row = {
                "step": step,
                "train_loss": step_loss,
                "valid_loss": valid_loss,
                "valid_perplexity": math.exp(min(valid_loss, 50))
                if valid_loss is not None
                else None,
                "tokens_per_second": window_tokens / window_time if window_time else 0.0,
                "lr": scheduler.get_last_lr()[0],
                "tokens": state["tokens"],
            }
            history.append(row)
            window_tokens, window_time = 0, 0.0
            vl = f"{valid_loss:.4f}" if valid_loss is not None else "n/a"
            log(
                f"step {step}/{steps} train_loss={step_loss:.4f} valid_loss={vl} tokens/s={row['tokens_per_second']:.0f}"
            )
        if step % save_every == 0 and step < steps:
            save_checkpoint()

    # Final model: a plain save_pretrained directory + our notes.
    model.save_pretrained(str(out_dir))
    tok.save(out_dir)
    tps = state["tokens"] / state["train_seconds"] if state["train_seconds"] else 0.0
    last_valid = next(
        (h["valid_loss"] for h in reversed(history) if h.get("valid_loss") is not None), None
    )
    meta = {
        "arch": arch,
        "size": size,
        "objective": "causal-lm" if causal else "masked-lm",
        "max_len": max_len,
        "tokenizer": str(tok.spec),
        "parameters": n_params,
        "steps": step,
        "batch_size": batch_size,
        "accumulate": accumulate,
        "tokens_seen": state["tokens"],
        "corpus": str(corpus),
        "corpus_description": reader.describe(),
        "seed": seed,
    }
    save_json(meta, out_dir / META_FILE)
    (out_dir / "log.jsonl").write_text(
        "".join(json.dumps(h) + "\n" for h in history), encoding="utf-8"
    )
    result = PretrainResult(
        out=str(out_dir),
        steps=step,
        parameters=n_params,
        tokens_seen=state["tokens"],
        tokens_per_second=tps,
        history=history,
        final_valid_loss=last_valid,
        final_valid_perplexity=math.exp(min(last_valid, 50)) if last_valid is not None else None,
    )
    run = RunDir(out_dir)
    run.save_metrics({k: v for k, v in result.to_dict().items() if k != "history"})
    run.save_versions([corpus])
    run.write_card(
        f"HelixForge {meta['objective']} ({arch}, {n_params:,} parameters)",
        {
            "Data": f"{reader.describe()}. Tokenizer {tok.spec}, windows of {max_len} tokens.",
            "Training": f"{step} steps × {batch_size * accumulate} sequences, {state['tokens']:,} tokens, lr {lr}, seed {seed}.",
            "Validation": f"final loss {last_valid if last_valid is None else round(last_valid, 4)} "
            f"(perplexity {result.final_valid_perplexity and round(result.final_valid_perplexity, 3)}).",
            "Use": "Load with transformers (AutoModelForMaskedLM / AutoModelForCausalLM, AutoTokenizer) or "
            "`helix lm finetune|embed|score`.",
        },
    )
    if ckpt.exists():
        shutil.rmtree(ckpt)
    return result
