"""`helix dna train`: train a sequence model and write a run directory.

    metrics = train_sequence_model("train.csv", model="resnet", out="runs/tf0")

The run directory (config.json, versions.json, metrics.json, history.json, model/,
predictions_test.csv, errors.csv, report.html, card.md) is built in a staging directory beside
`out` and swapped in only when complete; an existing `out` is replaced only with `overwrite`.

Resume: per-epoch checkpoints live in the staging directory with `resume.json`, the resume key
(sha256 of every input file, the model and every option that changes the result). With
`resume=True` a run continues from its last checkpoint when the key matches, and stops with a
`ConfigError` naming what changed when it does not; without `resume` an unfinished run is
discarded and training starts afresh.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from helixforge.core.errors import ConfigError, InputError, NoUsableRowsError, RowErrors
from helixforge.dna import splits as _dna_splits  # noqa: F401  (registers the "chromosome" split)
from helixforge.dna.outputs import (
    conformal_metrics,
    conformal_ok,
    fit_conformal,
    infer_task,
    prediction_frame,
    score,
    write_card,
    write_report,
)
from helixforge.dna.reader import SequenceInput, is_bed, read_sequence_input

RESUME_FILE = "resume.json"
# options that change a trained model (the resume key); device/threads/quiet do not
KEY_OPTIONS = (
    "seq_col", "label_col", "id_col", "model", "task", "split", "split_col", "chrom_col",
    "test_chroms", "valid_chroms", "fractions", "flank", "iupac", "epochs", "lr",
    "batch_size", "patience", "rc_augment", "seed", "arch_params", "coverage",
)  # fmt: skip


def _file_digests(files: dict[str, Any]) -> dict[str, str | None]:
    from helixforge.core.artifacts import sha256_file

    return {k: (sha256_file(v) if v and Path(v).is_file() else None) for k, v in files.items()}


def _prepare_stage(final: Path, key: dict[str, Any], resume: bool, log) -> Path:
    """Check a previous unfinished run against `key`: keep it (resume), refuse it (changed),
    or clear it (no resume)."""
    from helixforge.core.artifacts import load_json
    from helixforge.core.io import staging_path

    stage = staging_path(final)
    if not stage.exists():
        if resume:
            log(f"nothing to resume at {stage}; starting afresh")
        return stage
    if not resume:
        shutil.rmtree(stage)
        log(f"discarded an unfinished run at {stage} (pass --resume to continue one)")
        return stage
    try:
        old = load_json(stage / RESUME_FILE)
    except (InputError, ValueError):
        raise ConfigError(
            f"{stage}: the unfinished run has no readable {RESUME_FILE}",
            hint="run again without --resume to start afresh",
        ) from None
    changed = sorted(k for k in set(old) | set(key) if old.get(k) != key.get(k))
    if changed:
        raise ConfigError(
            f"--resume: the unfinished run at {stage} was made with different {', '.join(changed)}",
            hint="repeat the original command, or run without --resume to start afresh",
        )
    log(f"resuming the unfinished run at {stage}")
    return stage


def _split_parts(df: SequenceInput, task: str, o: dict[str, Any], have_files: bool):
    from helixforge.core.splits import make_split

    labels = np.array([str(v) for v in df.labels])
    strat = "stratified" if task != "regression" else "random"
    if have_files:
        sp = make_split(strat, len(df), fractions=(0.9, 0.1, 0.0), seed=o["seed"], y=labels)
        return "files", {"train": df.take(sp.train), "valid": df.take(sp.valid)}
    name = o["split"] or ("predefined" if o["split_col"] else strat)
    kwargs: dict[str, Any] = {}
    if name == "predefined":
        if not o["split_col"]:
            raise ConfigError("--split predefined needs --split-col COLUMN (train/valid/test)")
        kwargs["assignment"] = df.frame[o["split_col"]].astype(str).to_numpy()
    elif name == "stratified":
        kwargs["y"] = labels
    elif name == "chromosome":
        chrom = "chrom" if df.kind == "bed" else o["chrom_col"]
        kwargs.update(
            groups=df.frame[chrom].astype(str).to_numpy(),
            test_chroms=o["test_chroms"],
            valid_chroms=o["valid_chroms"],
        )
    sp = make_split(name, len(df), fractions=o["fractions"], seed=o["seed"], **kwargs)
    return name, {"train": df.take(sp.train), "valid": df.take(sp.valid), "test": df.take(sp.test)}


def drop_shared_sequences(parts: dict[str, SequenceInput], errors: RowErrors) -> dict[str, int]:
    """Remove train / valid rows whose sequence also occurs in a later part (valid, test), so no
    sequence is scored on data it was trained on; each removal is recorded in `errors`."""
    removed: dict[str, int] = {}
    for part, later in (("valid", ["test"]), ("train", ["valid", "test"])):
        if part not in parts or not len(parts[part]):
            continue
        seen = {s for o in later if o in parts for s in parts[o].sequences}
        data = parts[part]
        keep = [i for i, s in enumerate(data.sequences) if s not in seen]
        for i in sorted(set(range(len(data))) - set(keep)):
            errors.add(
                int(data.frame.index[i]), "sequence", data.ids[i],
                f"also in the {'/'.join(later)} part: left out of {part} (no leakage)",
            )  # fmt: skip
        removed[part] = len(data) - len(keep)
        parts[part] = data.take(keep)
    return removed


def train_sequence_model(
    data: str | os.PathLike,
    seq_col: str = "sequence",
    label_col: str = "label",
    *,
    model: str = "cnn",
    task: str = "auto",
    split: str | None = None,
    split_col: str | None = None,
    valid: str | os.PathLike | None = None,
    test: str | os.PathLike | None = None,
    chrom_col: str = "chrom",
    test_chroms: Sequence[str] | str | None = None,
    valid_chroms: Sequence[str] | str | None = None,
    fractions: Sequence[float] = (0.8, 0.1, 0.1),
    id_col: str | None = None,
    labels: str | os.PathLike | None = None,
    genome: str | os.PathLike | None = None,
    flank: int = 0,
    iupac: str = "error",
    out: str | os.PathLike = "dna_run",
    epochs: int = 20,
    lr: float = 1e-3,
    batch_size: int = 128,
    patience: int = 4,
    rc_augment: bool = True,
    seed: int = 0,
    device: str = "auto",
    threads: int | None = None,
    quiet: bool = True,
    arch_params: dict[str, Any] | None = None,
    report: bool = True,
    coverage: float = 0.9,
    overwrite: bool = False,
    resume: bool = False,
    log: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Train a sequence model and write a run directory; returns {"valid": {...}, "test": {...}}.

    Splits: `valid=` / `test=` files (without `valid`, 10 % of train is held out for early
    stopping), a `split_col` of train/valid/test ("predefined"), "random", "stratified"
    (default for classification) or "chromosome" (with `test_chroms` / `valid_chroms`, or whole
    chromosomes drawn at random).
    """
    from helixforge.core.artifacts import RunDir, save_json
    from helixforge.core.io import check_output, staging_dir
    from helixforge.core.options import require_choice, require_float
    from helixforge.core.tables import write_table
    from helixforge.dna.models import make_sequence_model, parse_model_spec

    o = dict(locals())
    say = log or (lambda _msg: None)
    require_choice(task, "--task", ["auto", "binary", "multiclass", "regression"])
    require_float(coverage, "--coverage", low=0, high=1, low_open=True, high_open=True)
    if len(fractions) != 3 or any(f < 0 for f in fractions) or not 0.99 < sum(fractions) < 1.01:
        raise ConfigError(f"--fractions {list(fractions)} must be three numbers ≥ 0 summing to 1")
    parse_model_spec(model)
    est = make_sequence_model(model, task="binary", epochs=epochs, lr=lr, batch_size=batch_size,
                              patience=patience, seed=seed, arch_params=arch_params)  # fmt: skip
    del est  # built once only to check every option before any work
    final = check_output(out, overwrite=overwrite, kind="dir")
    files = {"data": data, "valid": valid, "test": test, "labels": labels, "genome": genome}
    key = {
        "inputs": _file_digests(files),
        **{k: o[k] for k in KEY_OPTIONS},
        "fractions": [float(f) for f in fractions],
    }
    _prepare_stage(final, key, resume, say)
    errors = RowErrors(data)
    extra = [c for c in (split_col,) if c]
    if split == "chromosome" and not is_bed(data):
        extra.append(chrom_col)
    kw = dict(id_col=id_col, labels=labels, genome=genome, flank=flank, iupac=iupac)
    df = read_sequence_input(data, seq_col, label_col, extra_cols=extra, errors=errors, **kw)
    rows_in = df.rows_in
    others: dict[str, SequenceInput] = {}
    for name, path in (("valid", valid), ("test", test)):
        if path is not None:
            errs = RowErrors(path)
            others[name] = read_sequence_input(path, seq_col, label_col, errors=errs, **kw)
            errors.extend(errs)
            rows_in += others[name].rows_in
    if len(df) == 0:
        raise NoUsableRowsError(
            f"{data}: no usable rows ({len(errors)} rejected)", hint=errors.summary()
        )
    task = infer_task(df.labels) if task == "auto" else task
    if "valid" in others:
        split_name, parts = "files", {"train": df, **others}
    else:
        split_name, parts = _split_parts(df, task, o, have_files=bool(others))
        parts.update(others)
    parts.setdefault("test", df.take([]))
    leaked = drop_shared_sequences(parts, errors)
    if len(parts["train"]) == 0:
        raise NoUsableRowsError("the training part of the split is empty", hint="check --split")
    with staging_dir(final) as stage:
        run = RunDir(stage)
        save_json(key, run / RESUME_FILE)
        est = make_sequence_model(
            model, task=task, epochs=epochs, lr=lr, batch_size=batch_size, patience=patience,
            rc_augment=rc_augment, seed=seed, device=device, threads=threads, quiet=quiet,
            checkpoint_dir=str(run / "checkpoints"), resume=resume, arch_params=arch_params,
        )  # fmt: skip
        tr, va = parts["train"], parts["valid"]
        est.fit(tr.sequences, tr.labels, valid=(va.sequences, va.labels) if len(va) else None)
        est.save(run / "model")
        classes = getattr(est, "classes_", None)
        metrics: dict[str, Any] = {}
        preds: dict[str, np.ndarray] = {}
        for name in ("valid", "test"):
            if len(parts[name]):
                preds[name] = est.predict(parts[name].sequences)
                metrics[name] = score(task, parts[name].labels, preds[name], classes)
        cal = None
        if "valid" in preds:
            cal = fit_conformal(task, va.labels, preds["valid"], classes, coverage)
            save_json(cal, run / "conformal.json")
            if "test" in preds and conformal_ok(cal):
                te = parts["test"]
                metrics["test"].update(
                    conformal_metrics(cal, task, te.labels, preds["test"], classes)
                )
        run.save_metrics(metrics)
        save_json(getattr(est, "history", []), run / "history.json")
        sizes = {k: len(v) for k, v in parts.items()}
        config = {
            "command": "dna train", **{k: o[k] for k in KEY_OPTIONS}, "task": task,
            "data": str(data), "valid": str(valid) if valid else None,
            "test": str(test) if test else None, "split": split_name, "sizes": sizes,
            "classes": classes, "device": device, "genome": str(genome) if genome else None,
            "train_seconds": getattr(est, "train_seconds", None), "rows_in": rows_in,
            "rows_rejected": len(errors), "duplicates_removed": leaked,
        }  # fmt: skip
        run.save_config(config)
        run.save_versions([f for f in files.values() if f is not None])
        errors.write(run / "errors.csv")
        if "test" in preds:
            frame = prediction_frame(parts["test"], preds["test"], task, classes, label_col, cal)
            write_table(frame, run / "predictions_test.csv")
        if report:
            write_report(run / "report.html", task, parts["test"], preds.get("test"), metrics,
                         getattr(est, "history", []), classes, config)  # fmt: skip
        write_card(run, config, metrics)
        shutil.rmtree(run / "checkpoints", ignore_errors=True)
        (run / RESUME_FILE).unlink()
    return metrics
