"""`helix dna train`: a sequence model through the supervised-run layer (`core.supervised`).

    run = train_sequence_model("train.csv", model="resnet", out="runs/tf0")
    run.metrics["test"]["label"]["mcc"]

DNA supplies the reader (`dna.reader`: tables, FASTA/FASTQ, BED + genome), the split
(`dna.splits`: random / stratified / predefined / chromosome, or separate --valid / --test
files, with sequences shared between parts removed) and the models (`dna.models`). Task
detection, label encoding, ensembles, conformal columns, metrics and the run directory
(config.json, versions.json, model/ with its manifest, conformal.json, metrics.json,
predictions.csv, errors.csv, card.md, report.html) come from `core.supervised`.

Resume: per-epoch checkpoints of each ensemble member live in the staging directory
(`.OUT.partial/checkpoints/member_<i>/`) with `resume.json`, the resume key (sha256 of every
input file, the model and every option that changes the result). With `resume=True` a run
continues from its last checkpoint (finished members are loaded, not retrained) when the key
matches, and stops with a `ConfigError` naming what changed when it does not; without
`resume` an unfinished run is discarded and training starts afresh.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np

from helixforge.core.errors import ConfigError, NoUsableRowsError, RowErrors
from helixforge.core.io import check_not_input
from helixforge.core.supervised import SupervisedRun
from helixforge.dna import splits as _dna_splits  # noqa: F401  (registers the "chromosome" split)
from helixforge.dna.auto import TRIALS_FILE, AutoSearch, append_card_section, auto_selector
from helixforge.dna.reader import SequenceInput, is_bed, read_sequence_input
from helixforge.dna.splits import drop_shared_sequences, split_parts

RESUME_FILE = "resume.json"
CHECKPOINTS = "checkpoints"
# options that change a trained model (the resume key); device/threads/quiet do not
KEY_OPTIONS = (
    "seq_col", "label_col", "id_col", "model", "task", "split", "split_col", "chrom_col",
    "test_chroms", "valid_chroms", "fractions", "flank", "iupac", "epochs", "lr",
    "batch_size", "patience", "rc_augment", "seed", "arch_params", "coverage", "ensemble",
    "auto",
)  # fmt: skip
CARD_LIMITS = (
    "Sequences like the training data (same length range, organism and assay). Scores are not "
    "calibrated across datasets; a CNN sees only its input window. Conformal coverage assumes "
    "calibration and new sequences are exchangeable; under a chromosome split it can fall "
    "below the nominal level (see the test coverage in metrics.json)."
)


def _file_digests(files: dict[str, Any]) -> dict[str, str | None]:
    from helixforge.core.artifacts import sha256_file

    return {k: (sha256_file(v) if v and Path(v).is_file() else None) for k, v in files.items()}


def _clean_labels(data: SequenceInput, label_col: str, errors: RowErrors) -> SequenceInput:
    """`core.supervised.clean_labels` on one file's labels: text in a numeric column → errors;
    the kept rows carry the cleaned labels (numbers as floats, text stripped, classes that
    differ only in case or spacing merged: 'Pos ' and 'pos' were two classes here)."""
    import pandas as pd

    from helixforge.core.supervised import clean_labels

    if not len(data):
        return data
    frame = pd.DataFrame({label_col: list(data.labels)}, index=data.frame.index)
    errs = RowErrors(data.source)
    kept = clean_labels(frame, [label_col], errs, source=data.source)
    errors.extend(errs)
    out = data.take(np.flatnonzero(frame.index.isin(kept.index)))
    out.labels = kept[label_col].to_numpy(dtype=object)
    return out


def _align_classes(
    train: SequenceInput, other: SequenceInput, task: str, label_col: str, errors: RowErrors,
    option: str,
) -> SequenceInput:  # fmt: skip
    """A --valid / --test file's rows with their labels in the training classes' spelling; a
    row whose label is no training class goes to `errors` (`core.supervised.label_classes`)."""
    from helixforge.core.supervised.label_classes import align_part_classes

    if not len(other) or other.labels is None or train.labels is None:
        return other
    errs = RowErrors(other.source)
    keep, labels = align_part_classes(
        list(train.labels), list(other.labels), task=task, rows=list(other.frame.index),
        source=other.source, column=label_col, errors=errs, option=option,
    )  # fmt: skip
    errors.extend(errs)
    out = other.take(np.flatnonzero(keep))
    out.labels = np.array([v for v, k in zip(labels, keep) if k], dtype=object)
    return out


def _labelled(parts: dict[str, SequenceInput], order: list[str], o: dict[str, Any], errors):
    """One `LabelledData` over the parts (rows in file order, file by file) and the `Split` of
    its positions (each part in its own order, as the split drew it)."""
    import pandas as pd

    from helixforge.core.splits import Split
    from helixforge.core.supervised import LabelledData, encode_labels, resolve_tasks

    names = ["train", "valid", "test"]
    rows = [(parts[n], n) for n in names]
    col = o["label_col"]
    input_col = o["seq_col"] if parts["train"].kind == "table" else "sequence"
    frame = pd.concat([_with_columns(p, input_col, col) for p, _ in rows])
    inputs = [s for p, _ in rows for s in p.sequences]
    rank = np.concatenate([np.full(len(p), order.index(p.source)) for p, _ in rows] + [[]])
    sort = np.lexsort((frame.index.to_numpy(dtype=int), rank))  # file order
    where = np.empty(len(sort), dtype=int)
    where[sort] = np.arange(len(sort))
    bounds = np.cumsum([0] + [len(p) for p, _ in rows])
    sp = Split(*(where[bounds[i] : bounds[i + 1]] for i in range(3)))
    labels = pd.DataFrame({col: [v for p, _ in rows for v in p.labels]}).iloc[sort]
    labels = labels.reset_index(drop=True)
    task_types, notes = resolve_tasks(o["task"], labels, [col], source=str(o["data"]))
    y, classes = encode_labels(labels, [col], task_types)
    data = LabelledData(
        frame=frame.iloc[sort],
        inputs=[inputs[i] for i in sort],
        y=y,
        targets=[col],
        task_types=task_types,
        errors=errors,
        classes=classes,
        notes=notes,
        source=str(o["data"]),
        input_col=input_col,
    )
    return data, sp


def _with_columns(part: SequenceInput, input_col: str, label_col: str):
    """A part's input columns with its sequence and label columns filled in where its file
    has none (FASTA / BED rows among table rows, labels from FASTA headers or --labels): the
    predictions table showed those rows without sequence or true label."""
    frame = part.frame.copy()
    if input_col not in frame.columns:
        frame[input_col] = list(part.sequences)
    if label_col not in frame.columns and part.labels is not None:
        frame[label_col] = list(part.labels)
    return frame


def _read_parts(
    o: dict[str, Any], errors: RowErrors, log, min_len: int = 1
) -> tuple[dict, list[str], int]:
    """Read the training file (and --valid / --test files), clean labels, split, drop shared
    sequences: (parts, file order, rows read). Sequences shorter than `min_len` (one k-mer of
    a language model's tokenizer) go to the errors table."""
    from helixforge.core.supervised import detect_task

    kw = dict(id_col=o["id_col"], labels=o["labels"], genome=o["genome"], flank=o["flank"],
              iupac=o["iupac"], min_len=min_len)  # fmt: skip
    extra = [c for c in (o["split_col"],) if c]
    if o["split"] == "chromosome" and not is_bed(o["data"]):
        extra.append(o["chrom_col"])
    seq_col, label_col = o["seq_col"], o["label_col"]
    df = read_sequence_input(o["data"], seq_col, label_col, extra_cols=extra, errors=errors, **kw)
    rows_in, order = df.rows_in, [df.source]
    others: dict[str, SequenceInput] = {}
    for name in ("valid", "test"):
        if o[name] is not None:
            errs = RowErrors(o[name])
            others[name] = read_sequence_input(o[name], seq_col, label_col, errors=errs, **kw)
            errors.extend(errs)
            rows_in += others[name].rows_in
            order.append(others[name].source)
    if len(df) == 0:
        raise NoUsableRowsError(
            f"{o['data']}: no usable rows ({len(errors)} rejected)", hint=errors.summary()
        )
    df = _clean_labels(df, label_col, errors)
    others = {k: _clean_labels(v, label_col, errors) for k, v in others.items()}
    from helixforge.dna.models.estimator import check_lengths

    check_lengths(df.sequences, rows=list(df.frame.index), source=df.source)  # before any work
    task = o["task"] if o["task"] != "auto" else detect_task(list(df.labels))
    others = {
        k: _align_classes(df, v, task, label_col, errors, f"--{k}") for k, v in others.items()
    }
    split_name, parts = split_parts(
        df, task, split=o["split"], split_col=o["split_col"], chrom_col=o["chrom_col"],
        test_chroms=o["test_chroms"], valid_chroms=o["valid_chroms"], fractions=o["fractions"],
        seed=o["seed"], others=others,
    )  # fmt: skip
    parts.setdefault("test", df.take([]))
    leaked = drop_shared_sequences(parts, errors)
    if len(parts["train"]) == 0:
        if leaked.get("train") and not others:  # all from one file: it repeats its sequences
            distinct = len(set(df.sequences))
            raise NoUsableRowsError(
                f"the training part of the split is empty: {o['data']} holds only {distinct} "
                f"distinct sequence{'s' if distinct != 1 else ''} among its {len(df)} usable "
                "rows, and a sequence in the validation / test part is left out of training "
                "(no leakage)",
                hint="remove the repeated sequences or add distinct ones",
            )
        if leaked.get("train"):  # every training sequence is also in --valid / --test
            raise NoUsableRowsError(
                f"the training part of the split is empty: all {leaked['train']} of its "
                "sequences are also in the validation / test part and were left out (no leakage)",
                hint="give --valid / --test files that differ from the training file",
            )
        raise NoUsableRowsError("the training part of the split is empty", hint="check --split")
    log(f"split {split_name}: " + ", ".join(f"{k} {len(v)}" for k, v in parts.items()))
    o.update(split_name=split_name, duplicates_removed=leaked)
    return parts, order, rows_in


def _build(o: dict[str, Any], spec: str, epochs: int, **extra: Any):
    """A fresh untrained estimator of `spec` with the run's options."""
    from helixforge.dna.models import make_sequence_model

    return make_sequence_model(
        spec, epochs=epochs, lr=o["lr"], batch_size=o["batch_size"], patience=o["patience"],
        rc_augment=o["rc_augment"], seed=o["seed"], device=o["device"], threads=o["threads"],
        quiet=o["quiet"], arch_params=o["arch_params"], **extra,
    )  # fmt: skip


def _factory(o: dict[str, Any], stage: Path, resume: bool, spec: str) -> Callable[[], Any]:
    """Fresh members of `spec`, member i checkpointing into stage/checkpoints/member_<i>."""
    count = iter(range(1_000_000))

    def make():
        ckpt = stage / CHECKPOINTS / f"member_{next(count)}"
        return _build(o, spec, o["epochs"], checkpoint_dir=ckpt, resume=resume)

    return make


def refuse_non_dna_lm(spec: str, option: str = "--model", *, instead: str = "") -> None:
    """`ConfigError` when `spec` ('lm:PATH' or a path) names a language model whose tokenizer
    HelixForge built for something other than DNA (a SMILES / chemistry LM, smiles-atom or
    smiles-bpe): it would read A, C, G, T as atoms and train without a word. The tokenizer
    kind is read from the checkpoint (or run directory) as `lm.tokenizer_backends.
    sequence_check` reads it; published checkpoints with their own tokenizer are left to the
    model. `instead`: what else the verb can use, added to the hint."""
    from helixforge.lm.tokenizer_backends import sequence_check

    path = str(spec).removeprefix("lm:")
    check = sequence_check(path) if path.strip() else None
    if check is not None and check.kind != "dna":  # kind: the family, "dna" or "smiles"
        raise ConfigError(
            f"{option} {spec}: a {check.kind.upper()} (chemistry) language model (tokenizer "
            f"{check.tokenizer}), not one for DNA",
            hint="give a DNA language model (helix lm pretrain --tokenizer dna-char or "
            f"dna-kmer:6 makes one){instead}; SMILES models are for helix chem train --model "
            "lm:PATH",
        )


def _check_models(o: dict[str, Any], search: AutoSearch | None) -> int:
    """Refuse a bad --model / --auto-* / architecture option before any work. Returns the
    shortest sequence every model can read: one k-mer for a language model with a dna-kmer
    tokenizer (a shorter one is [UNK] alone), else 1."""
    from helixforge.dna.models import make_sequence_model, parse_model_spec
    from helixforge.lm.tokenizer_backends import sequence_check

    specs = [o["model"]]
    if o["model"] == "auto":
        specs = list(search.check().candidates)
        if o["arch_params"]:
            keys = ", ".join(sorted(o["arch_params"]))
            raise ConfigError(
                f"--param / --position-bins ({keys}) apply to one architecture, not to "
                "--model auto",
                hint="name the model (e.g. --model resnet_pos) to set its parameters",
            )
    min_len = 1
    for spec in specs:
        parse_model_spec(spec)
        if str(spec).startswith("lm:"):
            refuse_non_dna_lm(
                spec,
                "--auto-candidates" if o["model"] == "auto" else "--model",
                instead=", or use --model cnn / resnet",
            )
            check = sequence_check(str(spec).removeprefix("lm:"))
            min_len = max(min_len, check.k if check is not None else 1)
        make_sequence_model(
            spec,
            epochs=o["epochs"],
            lr=o["lr"],
            batch_size=o["batch_size"],
            patience=o["patience"],
            seed=o["seed"],
            arch_params=o["arch_params"],
        )  # fmt: skip  (checks every option)
    return min_len


def train_sequence_model(
    data: str | os.PathLike,
    seq_col: str = "sequence",
    label_col: str = "label",
    *,
    model: str = "auto",
    auto: AutoSearch | None = None,
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
    ensemble: int = 1,
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
) -> SupervisedRun:
    """Train (an ensemble of) sequence models and write a run directory; returns the
    `SupervisedRun` (metrics: {"train"|"valid"|"test": {label_col: {metric: value}}}).

    Splits: `valid=` / `test=` files (without `valid`, 10 % of train is held out for early
    stopping), a `split_col` of train/valid/test ("predefined"), "random", "stratified"
    (default for classification) or "chromosome" (with `test_chroms` / `valid_chroms`, or whole
    chromosomes drawn at random). `ensemble` members use seeds seed, seed+1, ….

    `model="auto"` (the default) chooses among `auto.candidates` (cnn, resnet, resnet_pos;
    add `lm:PATH` for a local pretrained LM) by validation loss with successive halving
    (`dna.auto`), then trains the chosen one with the full `epochs` (and `ensemble`); the
    candidates' validation scores go to config.json (`auto`), metrics.json (`selection`),
    report.html and card.md.
    """
    from helixforge.core.io import check_output
    from helixforge.core.options import require_choice, require_float, require_int
    from helixforge.core.supervised import train_supervised

    search = (auto or AutoSearch()) if model == "auto" else None
    o = dict(locals())
    o["auto"] = asdict(search) if search else None
    say = log or (lambda _msg: None)
    require_choice(task, "--task", ["auto", "binary", "multiclass", "regression"])
    require_float(coverage, "--coverage", low=0, high=1, low_open=True, high_open=True)
    require_int(ensemble, "--ensemble", min_value=1, max_value=100)  # as lm / crispr training
    if len(fractions) != 3 or any(f < 0 for f in fractions) or not 0.99 < sum(fractions) < 1.01:
        raise ConfigError(f"--fractions {list(fractions)} must be three numbers ≥ 0 summing to 1")
    min_len = _check_models(o, search)
    files = {"data": data, "valid": valid, "test": test, "labels": labels, "genome": genome}
    check_not_input(out, files.values())
    final = check_output(out, overwrite=overwrite, kind="dir")
    key = {
        "inputs": _file_digests(files),
        **{k: o[k] for k in KEY_OPTIONS},
        "fractions": [float(f) for f in fractions],
    }
    from helixforge.core.supervised import resumable_stage

    with resumable_stage(final, key, resume, say) as stage:
        errors = RowErrors(data)
        parts, order, rows_in = _read_parts(o, errors, say, min_len)
        table, sp = _labelled(parts, order, o, errors)
        sizes = {k: len(v) for k, v in parts.items()}
        record: dict[str, Any] = {}
        trial_seconds: list[dict[str, Any]] = []  # wall clock: timings.json, not config/card
        select = None
        if search is not None:
            select = auto_selector(
                search, lambda spec, n: _build(o, spec, n),
                lambda spec: _factory(o, stage, resume, spec),
                max_epochs=epochs, seed=seed, record=record, cache=stage / TRIALS_FILE, log=say,
                timings=trial_seconds,
            )  # fmt: skip
        run = train_supervised(
            table,
            _factory(o, stage, resume, model),
            domain="dna",
            model_name=model,
            out=final,
            split_assignment=sp,
            ensemble=ensemble,
            seed=seed,
            coverage=coverage,
            overwrite=overwrite,
            select=select,
            config={
                **{k: o[k] for k in KEY_OPTIONS if not (k == "model" and search)},
                "task": task,
                "split": o["split_name"],
                "fractions": [float(f) for f in fractions],
                "valid": str(valid) if valid else None,
                "test": str(test) if test else None,
                "genome": str(genome) if genome else None,
                "device": device,
                "sizes": sizes,
                "rows_in": rows_in,
                "rows_rejected": len(errors),
                "duplicates_removed": o["duplicates_removed"],
                "card_limits": CARD_LIMITS,
                "auto": record if search else None,  # filled in by the selector
            },
            report=report,
            quiet=quiet,
            log=say,
            scratch=(CHECKPOINTS, RESUME_FILE, TRIALS_FILE),
        )
    if record:
        append_card_section(final, record)
    if trial_seconds:
        from helixforge.core.artifacts import RunDir

        RunDir(final, create=False).save_timing(auto_trials=trial_seconds)
    return run
