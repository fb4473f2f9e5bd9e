"""Train a prior on a SMILES corpus with bounded memory: `helix chem train-prior`.

    summary = train_prior("moses_train.csv.gz", "runs/prior", max_molecules=600_000)
    prior = Prior.load("runs/prior")          # the run directory holds prior/

Two streaming passes: the first counts tokens (vocabulary) and rows; then the corpus is read
in blocks of `block_size` SMILES, each shuffled with a seed derived from (seed, epoch, block),
cut into batches of similar length (less padding) taken in shuffled order, and trained on
(teacher forcing, cross-entropy, Adam, gradient clipping, cosine learning-rate decay over the
planned molecules). Memory is one block, whatever the
corpus size (REINVENT loads the whole corpus). The first `val_size` SMILES are held out.

After every block the run directory gets an atomic checkpoint (model, optimizer, schedule,
position) and a line in history.jsonl (train loss, held-out NLL per molecule, validity of a
few hundred samples); `resume=True` continues from the last checkpoint exactly (same batches
as an uninterrupted run); the resume key is the corpus sha256 and every option that changes
the result. `max_minutes` stops cleanly after the block that passes the budget (resume
later). The run directory: prior/ (the trained prior), checkpoint/, history.jsonl, summary.json
and timings.json: the wall-clock seconds (logged with each block, returned in the summary
dict, summed over resumed sessions) live there alone, so that every other file of two runs of
the same command and seed is the same bytes.
Unusable lines (empty, not a SMILES RDKit can parse, characters outside the SMILES alphabet,
tokens outside an --init prior's vocabulary, longer than max_len tokens, bytes that are not
UTF-8 as the shared table reader judges them) are not trained on:
each is listed in errors.csv (file, row = line, column, value, reason) and counted in the log
and summary.json (rows_skipped).

`init=PRIOR` continues training an existing prior (its architecture and vocabulary; a new
cosine schedule from `lr`), e.g. another pass over MOSES for the shipped prior; its sha256 is
part of the resume key. Use `finetune_prior` instead for a few hundred actives.
"""

from __future__ import annotations

import json
import math
import os
import random
import shutil
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from helixforge.core.errors import (
    ConfigError,
    HelixError,
    InputError,
    NoUsableRowsError,
    RowErrors,
)

ERRORS_FILE = "errors.csv"  # unusable corpus lines: file, row (line), column, value, reason


def corpus_problem(smiles: str, kind: str = "smiles", max_len: int = 128, vocab=None) -> str | None:
    """Why one corpus entry cannot be trained on (None when it can): an empty line, a string
    RDKit cannot parse, one that cannot be tokenised (or, with `vocab`, has a token outside
    it), or more than `max_len` - 1 tokens."""
    from rdkit import Chem, RDLogger

    from helixforge.chem.generate.vocab import smiles_to_sequence, split_tokens

    if not smiles:
        return "empty line: no SMILES"
    RDLogger.DisableLog("rdApp.*")
    mol = Chem.MolFromSmiles(smiles)
    if mol is None:  # what is wrong, as every chem verb says it (syntax, valence, InChI …)
        from helixforge.chem.standardize import parse_smiles

        reason = parse_smiles(smiles)[1] or "RDKit cannot parse it"
        return (
            reason if reason.startswith("not a valid SMILES") else f"not a valid SMILES: {reason}"
        )
    if "*" in smiles and any(a.GetAtomicNum() == 0 for a in mol.GetAtoms()):
        # as every chem verb's standardizer: a fragment, not a molecule to learn to generate
        return "has a dummy atom '*' (attachment point / R group); give the whole molecule"
    try:
        toks = split_tokens(smiles_to_sequence(smiles, kind), kind)
    except InputError as exc:
        return exc.message.split(": ", 1)[-1]
    if vocab is not None:
        unknown = sorted({t for t in toks if t not in vocab.index})
        if unknown:
            return f"token(s) {', '.join(map(repr, unknown[:5]))} not in the prior's vocabulary"
    if len(toks) + 1 > max_len:
        return f"{len(toks)} tokens: longer than the prior's {max_len - 1}-token limit"
    return None


def scan_corpus(
    path,
    kind: str = "smiles",
    column: str | None = None,
    max_len: int = 128,
    errors: RowErrors | None = None,
    vocab=None,
    show_progress: bool = False,
):
    """First pass: token counts and row counts (bounded memory). Every unusable line (see
    `corpus_problem`; and a line the table reader rejects, e.g. one holding bytes that are
    not UTF-8) is counted as bad and, with `errors`, recorded with its line and why.
    `show_progress`: a progress line with lines/s (SELFIES encoding makes this pass take
    minutes on a full corpus)."""
    from helixforge.chem.generate.corpus import iter_corpus_rows
    from helixforge.chem.generate.vocab import smiles_to_sequence, split_tokens
    from helixforge.core.progress import progress
    from helixforge.core.table_reader import BadLine

    counts: Counter[str] = Counter()
    rows = bad = 0
    with progress("scanning corpus", quiet=not show_progress, unit="lines") as advance:
        for rec in iter_corpus_rows(path, column):
            rows += 1
            advance(1)
            if isinstance(rec, BadLine):
                bad += 1
                if errors is not None:
                    errors.extend([rec.row_error(errors.file)])  # as read_table records it
                continue
            line, s = rec
            why = corpus_problem(s, kind, max_len, vocab)
            if why is not None:
                bad += 1
                if errors is not None:
                    errors.add(line, column or "smiles", s or None, why)
                continue
            counts.update(split_tokens(smiles_to_sequence(s, kind), kind))
    return counts, rows, bad


def nll_loss(prior, targets):
    """Mean negative log-likelihood per token of padded target ids (B, T)."""
    import torch

    from helixforge.chem.generate.prior import never_start_or_pad
    from helixforge.chem.generate.vocab import BOS, PAD

    bos = torch.full((targets.shape[0], 1), BOS, dtype=torch.long, device=targets.device)
    logits, _ = prior.model(torch.cat([bos, targets[:, :-1]], dim=1))
    logits = never_start_or_pad(logits)
    return torch.nn.functional.cross_entropy(
        logits.reshape(-1, logits.shape[-1]), targets.reshape(-1), ignore_index=PAD
    )


def encode_many(prior, smiles: list[str]) -> tuple[list[list[int]], int]:
    """Target id lists (tokens + EOS) of the encodable SMILES within max_len; and the skips."""
    out, skipped = [], 0
    for s in smiles:
        try:
            ids = prior.vocab.encode(s)[1:]
        except InputError:
            skipped += 1
            continue
        if len(ids) > prior.max_len:
            skipped += 1
            continue
        out.append(ids)
    return out, skipped


def pad(rows: list[list[int]]):
    import torch

    t = torch.zeros((len(rows), max(len(r) for r in rows)), dtype=torch.long)
    for i, r in enumerate(rows):
        t[i, : len(r)] = torch.tensor(r)
    return t


def length_buckets(rows: list[list[int]], batch_size: int, rng: random.Random) -> list:
    """Batches of similar length (less padding: ~1.5x faster on MOSES), in shuffled order.
    Rows are sorted by length with a stable sort of the already shuffled block."""
    order = sorted(range(len(rows)), key=lambda i: len(rows[i]))
    batches = [
        [rows[i] for i in order[j : j + batch_size]] for j in range(0, len(order), batch_size)
    ]
    rng.shuffle(batches)
    return batches


def heldout_nll(prior, rows: list[list[int]], batch_size: int = 512) -> float:
    """Mean negative log-likelihood per molecule (nats) of encoded held-out rows."""
    import torch

    if not rows:
        return float("nan")
    total = 0.0
    prior.model.eval()
    with torch.no_grad():
        for i in range(0, len(rows), batch_size):
            total += -float(prior._ll_ids(pad(rows[i : i + batch_size])).sum())
    return total / len(rows)


def sample_validity(prior, n: int = 256, seed: int = 0) -> float:
    """Fraction of `n` samples RDKit parses (a sample cut at max_len before its end token
    counts as invalid, whatever its prefix)."""
    from rdkit import Chem, RDLogger

    RDLogger.DisableLog("rdApp.*")
    ended: list[bool] = []
    smiles, _ = prior.sample(n, seed=seed, ended=ended)
    return sum(
        done and bool(s) and Chem.MolFromSmiles(s) is not None for s, done in zip(smiles, ended)
    ) / max(n, 1)


def train_prior(
    corpus: str | os.PathLike,
    out: str | os.PathLike,
    *,
    kind: str = "smiles",
    column: str | None = None,
    config: dict[str, Any] | None = None,
    epochs: int = 1,
    max_molecules: int | None = None,
    max_minutes: float | None = None,
    batch_size: int = 128,
    lr: float = 1e-3,
    block_size: int = 20000,
    val_size: int = 2000,
    seed: int = 0,
    resume: bool = False,
    overwrite: bool = False,
    save_dtype: str = "float32",
    init: str | os.PathLike | None = None,
    log: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Train a prior on `corpus` into the run directory `out`; returns the summary dict.
    `init`: a saved prior (or run directory) to continue from instead of random weights."""
    from helixforge.chem.inputs import check_paths

    check_paths(
        "train_prior",
        "write the SMILES to a .smi / .csv(.gz) file, one molecule per line",
        optional=("init",),
        corpus=corpus,
        out=out,
        init=init,
    )
    import torch

    from helixforge.chem.generate.corpus import iter_blocks, iter_smiles
    from helixforge.chem.generate.prior import DEFAULT_CONFIG, Prior
    from helixforge.chem.generate.vocab import Vocabulary
    from helixforge.core.artifacts import TIMING_FILE, RunDir, sha256_file
    from helixforge.core.checkpoints import check_resume_key, load_checkpoint, save_checkpoint
    from helixforge.core.io import atomic_file, check_output
    from helixforge.core.options import require_int
    from helixforge.core.training import TrainConfig, TrainStep, make_scheduler, seed_everything

    say = log or (lambda _m: None)
    corpus = Path(corpus)
    if not corpus.is_file():  # before the run directory is made (it was left behind, empty)
        raise InputError(
            f"{corpus}: "
            + ("is a directory, not a corpus file" if corpus.is_dir() else "file not found"),
            hint="pass a SMILES corpus: .smi, or csv / tsv / parquet with a SMILES column",
        )
    for name, v, lo in (("epochs", epochs, 1), ("batch_size", batch_size, 1),
                        ("block_size", block_size, 1), ("val_size", val_size, 0)):  # fmt: skip
        require_int(v, name, min_value=lo)
    if max_molecules is not None:
        require_int(max_molecules, "max_molecules")
    if not (isinstance(lr, int | float) and 0 < lr < 1):
        raise ConfigError(f"lr must be in (0, 1), not {lr!r}")
    if max_minutes is not None and not max_minutes > 0:
        raise ConfigError(f"max_minutes must be positive, not {max_minutes!r}")
    base = None
    if init is not None:
        if config:
            raise ConfigError(
                "config and init are exclusive: the architecture comes from the initial prior"
            )
        base = Prior.load(init)  # checks every file against its manifest
        if base.vocab.kind != kind:
            raise ConfigError(f"init prior {init} uses {base.vocab.kind!r} tokens, not {kind!r}")
        cfg = {k: v for k, v in base.config.items() if k in DEFAULT_CONFIG}
    else:
        cfg = {**DEFAULT_CONFIG, **(config or {})}
    out = Path(out)
    ckpt = out / "checkpoint"
    if not (resume and (ckpt / "state.json").exists()):
        check_output(out, overwrite=overwrite, kind="dir", inputs=[corpus])
        if out.exists():
            shutil.rmtree(out)
    made_out = not out.exists()
    out.mkdir(parents=True, exist_ok=True)
    key = {
        "corpus_sha256": sha256_file(corpus), "kind": kind, "column": column, "config": cfg,
        "epochs": epochs, "max_molecules": max_molecules, "batch_size": batch_size, "lr": lr,
        "block_size": block_size, "val_size": val_size, "seed": seed,
    }  # fmt: skip
    if base is not None:
        key["init"] = {
            "weights_sha256": base.weights_sha256(),
            "trained": base.config.get("trained"),
        }
    seed_everything(seed)
    if resume and (ckpt / "state.json").exists():
        saved = json.loads((ckpt / "state.json").read_text(encoding="utf-8"))
        check_resume_key(saved["resume_key"], json.loads(json.dumps(key)), str(out))
        vocab = Vocabulary.from_dict(saved["vocab"])
        rows, bad = saved["rows"], saved["bad"]
        if "bad_lines" in saved:
            bad_lines = set(saved["bad_lines"])
        else:  # a checkpoint written before they were kept: find them again
            errors = RowErrors(corpus)
            scan_corpus(corpus, kind, column, cfg["max_len"], errors, base.vocab if base else None)
            bad_lines = errors.rows()
    else:
        say(f"scanning {corpus} for the vocabulary")
        errors = RowErrors(corpus)
        try:
            counts, rows, bad = scan_corpus(
                corpus,
                kind,
                column,
                cfg["max_len"],
                errors,
                base.vocab if base else None,
                show_progress=log is not None,
            )
            if rows - bad < 2:
                raise NoUsableRowsError(
                    f"{corpus}: only {rows - bad} usable SMILES in {rows:,} line(s)",
                    hint="use a bigger corpus"
                    + (f"; the first problems:\n{errors.summary()}" if len(errors) else ""),
                )
        except HelixError:  # a refused corpus leaves no run directory (nor one errors.csv)
            if made_out:
                shutil.rmtree(out, ignore_errors=True)
            raise
        errors.write(out / ERRORS_FILE)  # every unusable line: its line number and why
        bad_lines = errors.rows()  # left out of every pass without re-checking them
        if bad:
            say(f"{bad:,} of {rows:,} corpus lines unusable, not trained on → {out / ERRORS_FILE}")
        vocab = base.vocab if base is not None else Vocabulary.from_counts(counts, kind)
        saved = None
    # A small corpus keeps at most a tenth for validation.
    val_size = min(val_size, max(1, (rows - bad) // 10)) if val_size else 0
    if base is not None:
        prior = base
        if (base.config.get("trained") or {}).get("corpus") != corpus.name:
            prior.novelty = None  # the shipped training-set reference no longer covers it
    else:
        prior = Prior.from_config(vocab, cfg, seed=seed)
    planned = max_molecules or epochs * (rows - bad - val_size)  # usable lines only
    total_steps = max(1, math.ceil(planned / batch_size))
    tcfg = TrainConfig(lr=lr, grad_clip=1.0, schedule="cosine", min_lr_fraction=0.05,
                       warmup_fraction=0.01, device="cpu")  # fmt: skip
    optimizer = torch.optim.Adam(prior.model.parameters(), lr=lr)
    val_rows, _ = encode_many(
        prior, [s for _, s in zip(range(val_size), iter_smiles(corpus, column, bad_lines))]
    )
    state = {"epoch": 0, "block": 0, "step": 0, "molecules": 0, "skipped": 0}
    seconds_before = 0.0  # wall-clock seconds of earlier sessions of this run (timings.json)
    if saved is not None:
        state = load_checkpoint(ckpt, model=prior.model, optimizer=optimizer)["train"]
        seconds_before = float(state.pop("seconds", 0.0))  # a checkpoint that still held them
        timing = out / TIMING_FILE
        if timing.is_file():
            try:
                seconds_before = float(json.loads(timing.read_text("utf-8"))["seconds"])
            except (OSError, ValueError, KeyError, TypeError):
                pass  # unreadable: only the reported seconds are lost, not the training
        say(f"resuming at step {state['step']} (epoch {state['epoch']}, block {state['block']})")
    scheduler = make_scheduler(optimizer, tcfg, total_steps, last_step=state["step"])
    stepper = TrainStep(
        prior.model, optimizer, scheduler, nll_loss_fn(prior), torch.device("cpu"), tcfg
    )
    session_start = time.perf_counter()  # --max-minutes counts this session only

    def seconds() -> float:
        """Wall-clock seconds of training so far, earlier sessions included."""
        return seconds_before + time.perf_counter() - session_start

    finished, stopped = False, False
    while state["epoch"] < epochs and not finished and not stopped:
        blocks = iter_blocks(corpus, block_size, skip=val_size, column=column, drop=bad_lines)
        for b, block in enumerate(blocks):
            if b < state["block"]:
                continue
            rng = random.Random(f"{seed}:{state['epoch']}:{b}")
            rng.shuffle(block)
            encoded, skipped = encode_many(prior, block)
            batches = length_buckets(encoded, batch_size, rng)
            prior.model.train()
            losses = []
            for batch in batches:
                if state["molecules"] >= planned:
                    finished = True
                    break
                batch = batch[: planned - state["molecules"]]
                losses.append(stepper.backward(pad(batch)))
                stepper.step()
                state["step"] += 1
                state["molecules"] += len(batch)
            state["skipped"] += skipped
            state["block"] = b + 1
            rec = {
                "epoch": state["epoch"], "block": b, "step": state["step"],
                "molecules": state["molecules"], "train_loss": sum(losses) / max(len(losses), 1),
                "val_nll": heldout_nll(prior, val_rows), "validity_256": sample_validity(prior),
                "lr": optimizer.param_groups[0]["lr"],
            }  # fmt: skip
            # the seconds are logged and kept in timings.json, the one file two runs of the
            # same command and seed differ in; history.jsonl and the checkpoint hold none
            say(json.dumps({**rec, "seconds": round(seconds(), 1)}))
            with open(out / "history.jsonl", "a", encoding="utf-8") as f:
                f.write(json.dumps(rec) + "\n")
            meta = {"resume_key": key, "vocab": vocab.to_dict(), "rows": rows, "bad": bad,
                    "bad_lines": sorted(bad_lines),
                    "train": state}  # fmt: skip
            save_checkpoint(ckpt, model=prior.model, optimizer=optimizer, state=meta)
            prior.save(out / "prior", dtype=save_dtype)
            RunDir(out, create=False).save_timing(seconds=seconds())
            if finished:
                break
            if max_minutes and (time.perf_counter() - session_start) / 60 >= max_minutes:
                stopped = True
                break
        else:
            state["epoch"] += 1
            state["block"] = 0
    trained = {"corpus": corpus.name, "molecules": state["molecules"], "steps": state["step"]}
    if base is not None:
        trained["init"] = key["init"]
    prior.config["trained"] = trained
    prior.save(out / "prior", dtype=save_dtype)
    summary = {
        "corpus": str(corpus), "rows": rows, "rows_skipped": bad, "vocab_size": len(vocab),
        "errors": str(out / ERRORS_FILE),
        "parameters": prior.num_parameters(), "complete": not stopped, **state,
        "val_nll": heldout_nll(prior, val_rows), "validity_1000": sample_validity(prior, 1000, 1),
    }  # fmt: skip
    with atomic_file(out / "summary.json") as tmp:
        tmp.write_text(json.dumps(summary, indent=1))
    total = seconds()
    RunDir(out, create=False).save_timing(seconds=total)  # kept out of summary.json
    return {**summary, "seconds": round(total, 3)}


def nll_loss_fn(prior):
    """Loss function in core.training's (model, batch) form for this prior."""

    def loss(_model, batch):
        return nll_loss(prior, batch)

    return loss
