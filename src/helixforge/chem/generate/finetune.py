"""Transfer learning of a prior on a user's actives: `helix chem finetune-prior`.

    summary = finetune_prior("actives.csv", "runs/ft", model=None, epochs=20)
    agent = Prior.load("runs/ft")              # the run directory holds prior/

Rows whose SMILES RDKit cannot parse, or that the prior's vocabulary cannot spell, go to
errors.csv (file, row, column, value, reason); duplicates (same canonical SMILES) are merged.
A seeded `val_fraction` of the molecules is held out; every epoch trains on `augment`
randomised SMILES per training molecule (RDKit `MolToRandomSmilesVect`, seeded; the canonical
form is always included) and keeps the weights with the lowest held-out NLL per molecule,
stopping after `patience` epochs without improvement (REINVENT-style TL, Arús-Pous et al. 2019
for the augmentation). Output: prior/, history.csv, summary.json, errors.csv and timings.json
(the wall-clock seconds: the one file two identical runs differ in).

After every finished epoch the staging folder beside the output (`.NAME.partial/`) gets a
checkpoint (weights, optimizer, best weights and NLL, patience count, history rows, torch RNG
state); `resume=True` continues an interrupted run from its last finished epoch and writes the
bytes of an uninterrupted run (timings.json excepted). The resume key is the actives' sha256,
the prior's weights sha256 and every option that changes the result; a run without `resume`
discards an unfinished one.
"""

from __future__ import annotations

import copy
import json
import os
import random
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from helixforge.core.errors import ColumnNotFoundError, InputError, NoUsableRowsError, RowErrors


def read_actives(path, prior, smiles_col: str | None, errors: RowErrors) -> tuple[list[str], int]:
    """Distinct canonical SMILES of the usable rows and the number of rows read; the rest go
    to `errors`."""
    from rdkit import Chem

    from helixforge.chem.screen.library import is_sdf, read_sd_file
    from helixforge.chem.standardize import standardize_to_mol
    from helixforge.core.tables import read_table

    if is_sdf(path):  # as chem train / screen / admet read one: a `smiles` column per record
        unreadable = len(errors)
        df = read_sd_file(path, errors, all_properties=True)
        df.attrs["rows_in"] = len(df) + len(errors) - unreadable
    else:
        df = read_table(path, errors=errors)
    col = smiles_col
    if col is None:
        # the SMILES column names train-prior's corpus reader knows, in any capitals
        known = ("smiles", "canonical_smiles", "smi")
        col = next((c for c in df.columns if str(c).lower() in known), None)
        col = col or (df.columns[0] if len(df.columns) == 1 else None)
    if col is None or col not in df.columns:
        raise ColumnNotFoundError([smiles_col or "smiles"], list(df.columns), path)
    out: dict[str, None] = {}
    for line, s in zip(df.index, df[col], strict=True):
        # the standardizer every chem verb uses: salts stripped to the parent, charges
        # neutralised, and whitespace inside a SMILES, reactions, dummy atoms named (RDKit
        # alone reads 'C C O' as methane and keeps '[Na+]' as a token the prior lacks)
        mol, canon, reason = standardize_to_mol(s)
        if canon is None:
            errors.add(line, col, s, reason)
            continue
        if not prior.can_encode(canon):
            # a prior without stereo / isotope tokens (the MOSES one) learns the molecule
            flat = Chem.MolToSmiles(mol, isomericSmiles=False)
            canon = flat if prior.can_encode(flat) else canon
        try:
            prior.vocab.encode(canon)
        except InputError as exc:
            errors.add(line, col, s, f"{exc.message.split(': ', 1)[-1]} (as {canon!r})")
            continue
        if len(prior.vocab.encode(canon)) - 1 > prior.max_len:
            errors.add(line, col, s, f"longer than the prior's {prior.max_len} tokens")
            continue
        out.setdefault(canon, None)
    return list(out), int(df.attrs.get("rows_in", len(df)))


def randomized(smiles: list[str], n: int, seed: int, prior) -> list[str]:
    """Each SMILES plus up to n-1 seeded random spellings that the prior can encode."""
    from rdkit import Chem

    out = []
    for i, s in enumerate(smiles):
        out.append(s)
        if n > 1:
            mol = Chem.MolFromSmiles(s)
            # RDKit takes an unsigned 32-bit seed (--seed 5000 overflowed it), and 0 means
            # "unseeded": a different augmentation on every run
            rdkit_seed = (seed * 1_000_003 + i) % 2**32 or 1
            alts = Chem.MolToRandomSmilesVect(mol, n - 1, randomSeed=rdkit_seed)
            out.extend(a for a in alts if prior.can_encode(a))
    return out


def finetune_prior(
    actives: str | os.PathLike,
    out: str | os.PathLike,
    *,
    model: str | os.PathLike | None = None,
    smiles_col: str | None = None,
    epochs: int = 20,
    batch_size: int = 32,
    lr: float = 5e-4,
    augment: int = 10,
    val_fraction: float = 0.1,
    patience: int = 3,
    seed: int = 0,
    overwrite: bool = False,
    resume: bool = False,
    log: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Fine-tune the prior at `model` (None: shipped) on `actives`; returns the summary.
    `resume`: continue the unfinished run of the same command from its last finished epoch."""
    import pandas as pd
    import torch

    from helixforge.chem.generate.prior import Prior
    from helixforge.chem.generate.train_prior import encode_many, heldout_nll, nll_loss, pad
    from helixforge.core.artifacts import RunDir, sha256_file
    from helixforge.core.checkpoints import load_checkpoint, save_checkpoint
    from helixforge.core.io import check_output, staging_dir
    from helixforge.core.options import require_float, require_int
    from helixforge.core.supervised import RESUME_FILE, resumable_stage
    from helixforge.core.tables import write_table
    from helixforge.core.training import seed_everything

    say = log or (lambda _m: None)
    require_int(epochs, "--epochs", min_value=1, max_value=1000)
    require_int(batch_size, "--batch-size", min_value=1)
    require_int(augment, "--augment", min_value=1, max_value=100)
    require_int(patience, "--patience", min_value=1)
    require_float(lr, "--lr", low=0.0, high=1.0, low_open=True)
    require_float(val_fraction, "--val-fraction", low=0.0, high=0.5)
    check_output(out, overwrite=overwrite, kind="dir", inputs=[actives, model])
    prior = Prior.load(model)
    errors = RowErrors(actives)
    mols, rows_in = read_actives(actives, prior, smiles_col, errors)
    if not mols:
        # nothing is written (no run directory, so no errors.csv): the message names the rows
        raise NoUsableRowsError(
            f"{actives}: none of the {rows_in} rows is a molecule the prior can learn",
            hint=f"check --input-col; the first problems:\n{errors.summary()}",
        )
    key = {
        "actives_sha256": sha256_file(actives), "prior_sha256": prior.weights_sha256(),
        "smiles_col": smiles_col, "epochs": epochs, "batch_size": batch_size, "lr": lr,
        "augment": augment, "val_fraction": val_fraction, "patience": patience, "seed": seed,
    }  # fmt: skip
    rng = random.Random(seed)
    order = mols[:]
    rng.shuffle(order)
    n_val = max(1, round(val_fraction * len(order))) if len(order) >= 5 and val_fraction else 0
    val, train = order[:n_val], order[n_val:]
    val_rows, _ = encode_many(prior, val)
    seed_everything(seed)
    agent = prior.clone()
    opt = torch.optim.Adam(agent.model.parameters(), lr=lr)
    history: list[dict[str, Any]] = []
    start = heldout_nll(agent, val_rows) if val_rows else float("nan")
    best, best_state, best_epoch, bad_epochs = start, copy.deepcopy(agent.model.state_dict()), 0, 0
    history.append({"epoch": 0, "train_loss": float("nan"), "val_nll": start})
    t0 = time.perf_counter()
    with resumable_stage(out, key, resume, say) as stage:
        ckpt, done, stopped = stage / "checkpoint", 0, False
        if resume and (ckpt / "state.json").exists():

            def read_model(d: Path) -> None:
                from safetensors.torch import load_file, load_model

                load_model(agent.model, str(d / "model.safetensors"))
                best_state.update(load_file(str(d / "best.safetensors")))
                torch.set_rng_state(torch.load(d / "rng.pt", weights_only=True))

            st = load_checkpoint(ckpt, model=agent.model, optimizer=opt, read_model=read_model)
            done, stopped, history = st["epoch"], st["stopped"], st["history"]
            best, best_epoch, bad_epochs = st["best"], st["best_epoch"], st["bad_epochs"]
            t0 -= st["seconds"]  # timings.json: the seconds of every session
            say(f"resuming after epoch {done}")
        for epoch in range(done + 1, 0 if stopped else epochs + 1):
            rows, _ = encode_many(agent, randomized(train, augment, seed + epoch, agent))
            random.Random(f"{seed}:{epoch}").shuffle(rows)
            agent.model.train()
            losses = []
            for i in range(0, len(rows), batch_size):
                loss = nll_loss(agent, pad(rows[i : i + batch_size]))
                opt.zero_grad()
                loss.backward()
                torch.nn.utils.clip_grad_norm_(agent.model.parameters(), 1.0)
                opt.step()
                losses.append(float(loss.detach()))
            v = heldout_nll(agent, val_rows) if val_rows else float("nan")
            history.append({"epoch": epoch, "train_loss": sum(losses) / len(losses), "val_nll": v})
            held = (
                f"held-out NLL {v:.2f}"
                if val_rows
                else "no held-out molecules: the last epoch is kept"
            )
            say(f"epoch {epoch}: train loss {history[-1]['train_loss']:.3f}, {held}")
            if not val_rows or v < best:
                best, best_epoch, bad_epochs = v, epoch, 0
                best_state = copy.deepcopy(agent.model.state_dict())
            else:
                bad_epochs += 1
                stopped = bad_epochs >= patience

            def write_model(d: Path, best_weights=best_state) -> None:
                from safetensors.torch import save_file, save_model

                save_model(agent.model, str(d / "model.safetensors"))
                save_file(best_weights, str(d / "best.safetensors"))
                torch.save(torch.get_rng_state(), d / "rng.pt")

            state = {"resume_key": key, "epoch": epoch, "stopped": stopped, "history": history,
                     "best": best, "best_epoch": best_epoch, "bad_epochs": bad_epochs,
                     "seconds": time.perf_counter() - t0}  # fmt: skip
            save_checkpoint(ckpt, model=agent.model, optimizer=opt, state=state,
                            write_model=write_model)  # fmt: skip
            if stopped:
                say(f"early stop: no held-out improvement for {patience} epochs")
                break
    agent.model.load_state_dict(best_state)
    agent.config["finetuned"] = {"actives": Path(actives).name, "molecules": len(mols),
                                 "best_epoch": best_epoch}  # fmt: skip
    summary = {
        "rows": rows_in, "rows_ok": rows_in - len(errors), "errors": len(errors),
        "molecules": len(mols),
        "train": len(train), "held_out": len(val), "best_epoch": best_epoch,
        "epochs_run": history[-1]["epoch"], "val_nll_before": start if val_rows else None,
        "val_nll_best": best if val_rows else None,
        "out": str(out),
    }  # fmt: skip
    seconds = round(time.perf_counter() - t0, 2)
    with staging_dir(out) as stage:  # the checkpoint stays for --resume if writing fails
        agent.save(stage / "prior")
        write_table(pd.DataFrame(history), stage / "history.csv")
        errors.write(stage / "errors.csv")
        (stage / "summary.json").write_text(json.dumps(summary, indent=1), encoding="utf-8")
        RunDir(stage, create=False).save_timing(seconds=seconds)  # kept out of summary.json
        shutil.rmtree(stage / "checkpoint", ignore_errors=True)  # scratch of the unfinished run
        (stage / RESUME_FILE).unlink(missing_ok=True)
    return {**summary, "seconds": seconds}
