"""The budget of scoring calls, its cache, the history table and step checkpoints.

    ledger = ScoringLedger(scorer, budget=10_000)
    canon, scores = ledger.evaluate(smiles, step=3)    # NaN where the budget ran out

**The budget rule.** `budget` counts *scoring calls*: distinct valid molecules (by RDKit
canonical SMILES) sent to the scoring function. A molecule already scored in this run is
answered from the cache and costs nothing; a SMILES that does not parse scores 0 and costs
nothing (it never reaches the scoring function). When a batch holds more new molecules than
the budget has left, the first ones (in batch order) are scored and the rest get NaN (not
scored); the optimisers leave those out of their update. history.csv has one row per
scoring call, so its length is the budget used.

The canonical SMILES of a string is `scoring.canonical_smiles` (parse, then
`Chem.MolToSmiles`); an optimiser that made the molecule itself (the GA) hands over the
`MolToSmiles` it already wrote (`evaluate(..., canonical=True)`) instead of a second round trip.
"""

from __future__ import annotations

import base64
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from helixforge.chem.generate.scoring import ScoringFunction, canonical_smiles

CHECKPOINT = "checkpoint"
HISTORY = "history.csv"
# During a run the history is appended to this file in the staging folder, step by step (the
# checkpoint records how many rows count): rewriting the whole history at every step made a
# long run quadratic (2 s per step at 100,000 rows).
LIVE_HISTORY = "history.partial.csv"


class ScoringLedger:
    """Scoring calls of one run: cache by canonical SMILES, budget, history rows, timing."""

    def __init__(self, scorer: ScoringFunction, budget: int, rows: Sequence[dict] = ()):
        self.scorer = scorer
        self.budget = int(budget)
        self.rows: list[dict] = [dict(r) for r in rows]
        self.flushed = len(self.rows)  # rows already in the live history file
        self.cache: dict[str, dict] = {r["smiles"]: r for r in self.rows}
        self.scoring_seconds = 0.0

    @property
    def used(self) -> int:
        return len(self.rows)

    @property
    def remaining(self) -> int:
        return max(0, self.budget - self.used)

    @property
    def exhausted(self) -> bool:
        return self.used >= self.budget

    def evaluate(
        self, smiles: Sequence[str | None], step: int, *, canonical: bool = False
    ) -> tuple[list[str | None], np.ndarray]:
        """Canonical SMILES (None when invalid) and total scores: 0 for invalid, the cached
        score for a molecule seen before, a new scoring call for the rest while budget lasts,
        NaN for new molecules beyond the budget.

        `canonical`: the strings are already canonical — each `Chem.MolToSmiles` (default
        options, as `canonical_smiles` writes) of a sanitized molecule the caller holds, None
        for no molecule — and are the keys as they are, not parsed and written again (the
        GA's children: its operators write each child's SMILES once)."""
        canon = list(smiles) if canonical else [canonical_smiles(s) for s in smiles]
        new: list[str] = []
        seen: set[str] = set()
        for c in canon:
            if (
                c is not None
                and c not in self.cache
                and c not in seen
                and len(new) < self.remaining
            ):
                new.append(c)
                seen.add(c)
        if new:
            t0 = time.perf_counter()
            table = self.scorer.score(new)
            self.scoring_seconds += time.perf_counter() - t0
            cols = self.scorer.columns
            records = table[cols].to_dict("records")
            for c, rec in zip(new, records, strict=True):
                # keyed by this call's canonical SMILES (RDKit canonicalization is not
                # always idempotent, so never re-derive the key from the scored table)
                row = {"step": int(step), "smiles": c, **rec}
                self.rows.append(row)
                self.cache[c] = row
        scores = np.array(
            [
                0.0 if c is None else self.cache[c]["score"] if c in self.cache else np.nan
                for c in canon
            ],
            float,
        )
        return canon, scores

    def history_frame(self) -> pd.DataFrame:
        """Every scoring call in order: step, smiles, score and the component columns."""
        cols = ["step", "smiles", *self.scorer.columns]
        return pd.DataFrame(self.rows, columns=cols)

    def best(self, n: int) -> list[dict]:
        """The n highest-scoring rows (ties by first found)."""
        order = sorted(range(len(self.rows)), key=lambda i: (-self.rows[i]["score"], i))
        return [self.rows[i] for i in order[:n]]


def read_history(path: Path) -> list[dict]:
    """History rows back from a checkpoint's history.csv (types as written)."""
    if not path.is_file():
        return []
    return _read_frame(path).to_dict("records")


def _read_frame(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, keep_default_na=False, na_values=[""], dtype={"smiles": str})


def rng_state(rng: np.random.Generator) -> dict:
    """A NumPy generator's state as JSON."""
    return rng.bit_generator.state


def restore_rng(state: dict) -> np.random.Generator:
    rng = np.random.default_rng()
    rng.bit_generator.state = state
    return rng


def torch_rng_state(gen) -> str:
    """A torch.Generator's state as base64 text."""
    return base64.b64encode(gen.get_state().numpy().tobytes()).decode("ascii")


def restore_torch_rng(gen, text: str) -> None:
    import torch

    raw = np.frombuffer(base64.b64decode(text), dtype=np.uint8).copy()
    gen.set_state(torch.from_numpy(raw))


def save_step(
    stage: Path,
    *,
    step: int,
    ledger: ScoringLedger,
    state: dict[str, Any],
    write_files: Callable[[Path], None],
    optimizer=None,
) -> None:
    """Checkpoint one finished step: the step's new history rows appended (and fsynced) to
    the live history, then files (weights / population), optimizer and state — with the number
    of history rows that count — swapped in atomically (`core.checkpoints.save_checkpoint`).
    Then the progress record `state.json` (finished steps, budget used) is written beside it."""
    from helixforge.core.artifacts import save_json
    from helixforge.core.checkpoints import save_checkpoint

    append_history(stage / LIVE_HISTORY, ledger)
    full = {**state, "step": int(step), "used": ledger.used}
    save_checkpoint(
        stage / CHECKPOINT, model=None, optimizer=optimizer, state=full, write_model=write_files
    )
    save_json(
        {"done": list(range(step + 1)), "used": ledger.used, "budget": ledger.budget},
        stage / "state.json",
    )


# The entries of a design's resume key a user sets (`design.design` builds the key), as a
# refused --resume names them: the decisive difference first, with what follows from it
# collapsed (another --optimizer brings the other optimizer's every setting, its prior or
# start file), and which values continue the run.
RESUME_FLAGS = {
    "optimizer": "--optimizer", "budget": "--budget", "seed": "--seed",
    "prior_sha256": "--prior model", "config_sha256": "--config file",
    "start_sha256": "ga.start file",
}  # fmt: skip
RESUME_FOLLOWS = {
    "optimizer": ("options", "prior_sha256", "start_sha256"),
    # the [rl] / [ga] settings are read from the config file, ga.start among them
    "config_sha256": ("options", "prior_sha256", "start_sha256"),
}


def check_design_resume(out: Path, saved: dict[str, Any], key: dict[str, Any]) -> None:
    """`core.checkpoints.check_resume_key` for the design run `out` (its -o): the refusal names
    the run and leads with the options the user set that differ (`RESUME_FLAGS`)."""
    from helixforge.core.checkpoints import check_resume_key

    same = saved.get("optimizer") == key.get("optimizer")
    check_resume_key(
        saved, key, where=f"-o {out}", flags=RESUME_FLAGS, follows=RESUME_FOLLOWS,
        labels={"options": str(key.get("optimizer")) if same else "optimizer settings"},
        restart=f"give a new -o DIR (or --overwrite to start {out.name} over)",
    )  # fmt: skip


def load_step(
    stage: Path,
    key: dict[str, Any],
    read_files: Callable[[Path], None],
    optimizer=None,
    out: Path | None = None,
) -> tuple[dict, list[dict]] | None:
    """The last checkpoint in `stage` (state, history rows), or None when there is none;
    a checkpoint made with another resume key is a ConfigError naming what changed
    (`check_design_resume`; `out`, the run's -o, names it: default `stage`)."""
    from helixforge.core.checkpoints import load_checkpoint

    d = stage / CHECKPOINT
    from helixforge.core.io import recover_dir

    recover_dir(d)
    if not (d / "state.json").is_file():
        return None
    import json

    saved = json.loads((d / "state.json").read_text(encoding="utf-8"))
    check_design_resume(out or stage, saved.get("resume_key", {}), key)
    state = load_checkpoint(d, model=None, optimizer=optimizer, read_model=read_files)
    live = stage / LIVE_HISTORY
    if not live.is_file() and (d / HISTORY).is_file():  # a checkpoint of an older version
        return state, read_history(d / HISTORY)
    # rows appended after the last checkpoint belong to a step that runs again: dropped
    from helixforge.core.io import atomic_file
    from helixforge.core.tables import write_csv

    frame = _read_frame(live).iloc[: int(state["used"])]
    with atomic_file(live) as tmp:
        write_csv(frame, tmp)
    return state, frame.to_dict("records")


def append_history(path: Path, ledger: ScoringLedger) -> None:
    """Append the ledger's rows not yet written to `path` (with the header when it starts the
    file) and fsync it: one step's rows per call, so a long run stays linear."""
    import os

    from helixforge.core.tables import write_csv

    start = ledger.flushed if path.exists() else 0  # a run resumed from an older checkpoint
    new = ledger.rows[start:]
    if not new and path.exists():
        return
    frame = pd.DataFrame(new, columns=["step", "smiles", *ledger.scorer.columns])
    with open(path, "a" if start else "w", newline="", encoding="utf-8") as fh:
        write_csv(frame, fh, header=start == 0)
        fh.flush()
        os.fsync(fh.fileno())
    ledger.flushed = len(ledger.rows)
