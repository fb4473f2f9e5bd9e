"""`helix chem design`: optimise molecules toward a TOML scoring function with RL or a GA.

    result = design("design.toml", "runs/design1", optimizer="rl", budget=10_000, seed=0)

The run directory holds `molecules.csv` (every scored molecule, best first, with each
component's score and raw value and the step it was found), `history.csv` (every scoring
call in order), `config.toml` (the file as given), `config.json` (resolved: defaults, the
optimiser, budget, seed, prior), `timings.json` and `report.html`; an RL run also keeps the
final agent as a prior directory (`agent/`, usable with `helix chem generate --model`).

The run is built in `.DIR.partial/` and checkpointed after every step that scored a new
molecule (a step that scored nothing is replayed identically on resume) (agent weights and
Adam state / GA population, RNG states, the diversity-filter buckets, replay memory and the
history), so `resume=True` after a crash continues from the last finished step and repeats
no scoring call. The resume key holds the config's sha256 (and the model files' hashes), the
prior's sha256, the optimiser, its options, the budget, the seed and the start molecules.
"""

from __future__ import annotations

import os
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from helixforge.chem.generate.history import (
    CHECKPOINT,
    HISTORY,
    LIVE_HISTORY,
    ScoringLedger,
    load_step,
    save_step,
)
from helixforge.chem.generate.scoring import ScoringFunction
from helixforge.chem.generate.scoring_components import check_similarity_references
from helixforge.chem.generate.scoring_config import DesignConfig, read_design_config
from helixforge.core.errors import ConfigError, InputError, NoUsableRowsError
from helixforge.core.training import restores_torch_threads, set_threads

OPTIMIZERS = ("rl", "ga")


@dataclass
class DesignResult:
    """What a design run produced: its directory, budget used and timings (seconds)."""

    out: Path
    used: int
    steps: int
    best_score: float
    timings: dict[str, float]
    stopped: str
    # components that scored 0 for every molecule of the run (a forbidden pattern every
    # molecule has, a window no molecule reaches): under the geometric mean, or as a filter,
    # they make every total 0 and the optimiser steers nowhere
    zero_components: list[str] = field(default_factory=list)


def _prior_key(prior, path) -> str:
    """sha256 of the prior: its manifest file, or its weights when given as an object."""

    from helixforge.core.artifacts import sha256_file

    if path is not None:
        p = Path(path)
        for m in (p / "manifest.json", p / "prior" / "manifest.json"):
            if m.is_file():
                return sha256_file(m)
    return prior.weights_sha256()


def _load_prior(prior):
    from helixforge.chem.generate.prior import Prior, default_prior_path
    from helixforge.core.errors import DataUnavailableError

    if prior is None or isinstance(prior, str | os.PathLike):
        try:
            loaded = Prior.load(prior, device="cpu")
        except DataUnavailableError as exc:
            raise DataUnavailableError(
                exc.message,
                hint="train one with `helix chem train-prior` and pass it with --prior, or "
                'use --optimizer ga with [ga] start = "your_molecules.smi"',
            ) from None
        return loaded, (prior if prior is not None else default_prior_path())
    return prior, None


def start_path(path: str | os.PathLike, base: Path) -> Path:
    """A GA start file's path: as given, else relative to the design file's folder `base`."""
    p = Path(path)
    if not p.is_absolute() and not p.exists() and (base / p).exists():
        p = base / p
    return p


def read_start_smiles(
    path: str | os.PathLike, base: Path, config: DesignConfig | None = None
) -> tuple[list[str], str]:
    """SMILES of a GA start file (.smi / .txt: first token per line; csv/tsv/parquet: the
    `smiles` column or the first one) and the file's sha256. With the design `config` it came
    from, a missing file is an error naming the TOML file and the line of `ga.start`, as
    every other error of the file is."""
    from helixforge.core.artifacts import sha256_file

    p = start_path(path, base)
    if not p.is_file():
        why = "is a directory, not a SMILES file" if p.is_dir() else "not found"
        hint = (
            'give ga.start = "prior" or a SMILES file path (relative to the working directory '
            "or the TOML file)"
        )
        if config is not None:
            raise config.error(("ga", "start"), f"ga.start: GA start file {path} {why}", hint)
        raise ConfigError(f"GA start file {path} {why}", hint=hint)
    name = p.name.lower().removesuffix(".gz")
    if name.endswith((".smi", ".txt", ".smiles")):
        from helixforge.core.io import open_text

        with open_text(p) as fh:
            lines = [
                (n, ln.split()[0].lstrip("\ufeff")) for n, ln in enumerate(fh, 1) if ln.strip()
            ]
        # a first line 'smiles' / 'SMILES name' is a header, as in every other .smi reader
        # (corpus, screen library); it was refused as a SMILES that does not parse
        lines = [(n, s) for n, s in lines if not (n == 1 and s.lower() in ("smiles", "smi"))]
        where = [(n, s) for n, s in lines if not s.startswith("#")]
        col = None
    else:
        from helixforge.core.tables import read_table, skipped_line_errors

        df = read_table(p)
        bad = skipped_line_errors(df, p)
        if bad:  # a start population is small and chosen by hand: refuse it rather than drop lines
            raise InputError(
                f"{p}: line {bad[0].row} could not be read ({bad[0].reason}); "
                f"{len(bad)} unreadable line(s) in the GA start file",
                hint="fix the line (a field too many or too few) and run again",
            )
        named = [c for c in df.columns if str(c).strip().lower() == "smiles"]
        col = named[0] if named else df.columns[0]
        where = [(n, s) for n, s in df[col].items() if isinstance(s, str) and s.strip()]
    if not where:
        raise InputError(f"{p}: no SMILES in the GA start file", hint="one SMILES per line")
    _check_start_smiles(p, col, where)
    return [_parent(s) for _, s in where], sha256_file(p)


def _parent(smiles: str) -> str:
    """A start SMILES of several fragments (a vendor's HCl salt, a hydrate) → its parent
    molecule, as every chem verb standardizes one: the GA's crossover and mutations work on
    one connected molecule and made no child at all from 'CCN(CC)CC.Cl' (the run idled
    `patience` generations and stopped). A mixture the standardizer cannot resolve is kept."""
    if "." not in smiles:
        return smiles
    from helixforge.chem.standardize import standardize_to_mol

    return standardize_to_mol(smiles)[1] or smiles


def _check_start_smiles(p: Path, col: str | None, where: list[tuple[int, str]]) -> None:
    """Refuse a start file with SMILES that do not parse (as unreadable lines are refused):
    dropping them would silently start from a smaller population than the one chosen."""
    from helixforge.chem.standardize import parse_smiles

    bad = [(n, s, why) for n, s in where for why in [parse_smiles(s)[1]] if why]
    if bad:
        n, s, why = bad[0]
        column = f", column {col!r}" if col is not None else ""
        raise InputError(
            f"{p}, line {n}{column}: {s[:80]!r}: {why}; {len(bad)} of {len(where)} start "
            "SMILES do not parse",
            hint="fix or remove those lines (a table's SMILES column is 'smiles', else the "
            "first column)",
        )


def _build_optimizer(name: str, cfg: DesignConfig, prior, seed: int, start: list[str] | None):
    if name == "rl":
        from helixforge.chem.generate.rl import ReinforcementOptimizer

        return ReinforcementOptimizer(prior, cfg.rl, seed=seed)
    from helixforge.chem.generate.ga import GeneticOptimizer

    t0 = time.perf_counter()
    if start is None:  # sample the start population from the prior
        ended: list[bool] = []
        start, _ = prior.sample(
            cfg.ga["start_size"], seed=seed, max_len=cfg.rl["max_len"], ended=ended
        )
        start = [s for s, done in zip(start, ended) if done]  # a cut sequence is no molecule
    ga = GeneticOptimizer(cfg.ga, seed=seed, start=start)
    ga.sampling_seconds = time.perf_counter() - t0
    return ga


def check_start_sizes(start: list[str], config: DesignConfig) -> None:
    """Refuse GA start molecules that all lie outside ga.min_atoms–ga.max_atoms heavy atoms:
    every child outside that window is refused, so the GA could make no new molecule (it
    idled `patience` generations and stopped without naming the window)."""
    from rdkit import Chem

    lo, hi = config.ga["min_atoms"], config.ga["max_atoms"]
    mols = (Chem.MolFromSmiles(s) for s in start)
    sizes = [m.GetNumHeavyAtoms() for m in mols if m is not None]
    if not sizes or any(lo <= n <= hi for n in sizes):
        return
    low, high = min(sizes), max(sizes)
    raise config.error(
        ("ga", "start"),
        f"ga.start: no start molecule has {lo}–{hi} heavy atoms (ga.min_atoms–ga.max_atoms; "
        f"they have {low}–{high}): children outside that window are refused, so the GA "
        "could make no new molecule",
        f"set ga.min_atoms = {min(low, lo)} and ga.max_atoms = {max(high, hi)}, or start from "
        f"molecules of {lo}–{hi} heavy atoms",
    )


@restores_torch_threads
def design(
    config: str | os.PathLike | DesignConfig,
    out: str | os.PathLike,
    *,
    optimizer: str = "rl",
    budget: int = 1000,
    seed: int = 0,
    prior: Any = None,
    resume: bool = False,
    overwrite: bool = False,
    n_jobs: int = 1,
    quiet: bool = True,
    report: bool = True,
    log=None,
) -> DesignResult:
    """Run one design (see module doc). `prior`: a prior directory, a loaded `Prior`, or
    None for the shipped one. All inputs are checked before the first scoring call."""
    import torch

    from helixforge.core.io import (
        check_not_input,
        check_output,
        refuse_resume_of_finished,
        staging_path,
    )
    from helixforge.core.options import require_choice, require_int
    from helixforge.core.progress import progress

    require_choice(optimizer, "--optimizer", OPTIMIZERS)
    require_int(budget, "--budget", min_value=1)
    require_int(seed, "--seed", min_value=0)
    require_int(n_jobs, "--jobs", min_value=1)
    cfg = config if isinstance(config, DesignConfig) else read_design_config(config)
    out = check_output(out, overwrite=overwrite or resume, kind="dir", inputs=[cfg.path])
    if resume and not overwrite:  # a finished run and no interrupted one: say it is complete
        refuse_resume_of_finished(out)
    check_similarity_references(cfg)
    scorer = ScoringFunction(cfg)
    start, start_sha = None, None
    if optimizer == "ga" and cfg.ga["start"] != "prior":
        start, start_sha = read_start_smiles(cfg.ga["start"], cfg.path.parent, cfg)
        check_start_sizes(start, cfg)
    prior_obj, prior_path, prior_sha = None, None, None
    if optimizer == "rl" or start is None:
        prior_obj, prior_path = _load_prior(prior)
        prior_sha = _prior_key(prior_obj, prior_path)
    # -o DIR --overwrite (or a finished --resume) replaces DIR: it must not hold a model run
    # the components read, the GA start file or the prior (they were deleted with it)
    inputs = [getattr(c, "path", None) for c in scorer.components]
    if start is not None:
        inputs.append(start_path(cfg.ga["start"], cfg.path.parent))
    check_not_input(out, [*inputs, prior_path], "--out")
    options = cfg.rl if optimizer == "rl" else cfg.ga
    key = {
        **scorer.key(),
        "prior_sha256": prior_sha,
        "optimizer": optimizer,
        "options": dict(options),
        "budget": budget,
        "seed": seed,
        "start_sha256": start_sha,
    }
    set_threads(n_jobs)
    torch.manual_seed(seed)
    stage = staging_path(out)
    if stage.exists() and not resume:
        shutil.rmtree(stage)
    stage.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()  # the GA's start population is sampled here: part of the total
    opt = _build_optimizer(optimizer, cfg, prior_obj, seed, start)
    ledger = ScoringLedger(scorer, budget)
    step, idle = 0, 0
    if resume:
        loaded = load_step(stage, key, opt.read_files, getattr(opt, "optimizer", None), Path(out))
        if loaded is not None:
            state, rows = loaded
            opt.restore(state)
            ledger = ScoringLedger(scorer, budget, rows)
            step, idle = state["step"] + 1, state["idle"]
            if log:
                log(f"resuming at step {step}: {ledger.used} of {budget} scoring calls done")
    patience = options["patience"]
    stopped = "budget"
    with progress("scoring calls", total=budget, quiet=quiet, unit="mol") as advance:
        advance(ledger.used)
        while not ledger.exhausted:
            if idle >= patience:
                stopped = f"no new molecule in {patience} steps"
                break
            before = ledger.used
            opt.step(step, ledger)
            if step == 0 and optimizer == "ga" and not opt.population:
                raise NoUsableRowsError(
                    "no start molecule of the GA is a valid molecule",
                    hint="give ga.start a file of valid SMILES",
                )
            idle = 0 if ledger.used > before else idle + 1
            advance(ledger.used - before)
            if ledger.used == before:  # nothing scored: a resume replays this step exactly
                step += 1
                continue
            save_step(
                stage,
                step=step,
                ledger=ledger,
                state={"resume_key": key, "idle": idle, **opt.state()},
                write_files=opt.write_files,
                optimizer=getattr(opt, "optimizer", None),
            )
            step += 1
    timings = {
        "total_s": time.perf_counter() - t0,
        "scoring_s": ledger.scoring_seconds,
        "sampling_s": getattr(opt, "sampling_seconds", 0.0),
        "learning_s": getattr(opt, "learning_seconds", 0.0),
    }
    from helixforge.chem.generate.design_output import write_outputs

    best = write_outputs(
        stage,
        cfg=cfg,
        ledger=ledger,
        resolved={
            **cfg.resolved(),
            "run": {
                "optimizer": optimizer,
                "budget": budget,
                "seed": seed,
                "prior": str(prior_path)
                if prior_path is not None
                else ("given object" if prior_obj is not None else None),
                "prior_sha256": prior_sha,
                "start_sha256": start_sha,
                "steps": step,
                "used": ledger.used,
                "stopped": stopped,
            },
        },
        timings=timings,
        agent=getattr(opt, "agent", None),
        report=report,
        novelty=getattr(prior_obj, "novelty", None),
    )
    shutil.rmtree(stage / CHECKPOINT, ignore_errors=True)
    (stage / "state.json").unlink(missing_ok=True)
    (stage / LIVE_HISTORY).unlink(missing_ok=True)  # history.csv holds it all now
    from helixforge.core.io import replace_dir

    replace_dir(stage, out)
    zero = [n for n in scorer.names if ledger.rows and all(r[n] == 0 for r in ledger.rows)]
    return DesignResult(out, ledger.used, step, best, timings, stopped, zero)


__all__ = [
    "OPTIMIZERS",
    "DesignResult",
    "check_similarity_references",
    "check_start_sizes",
    "design",
    "read_start_smiles",
    "HISTORY",
]
