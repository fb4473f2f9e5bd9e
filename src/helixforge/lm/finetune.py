"""`helix lm finetune`: fine-tune a pretrained checkpoint on a labelled table, through the
supervised-run layer (`helixforge.core.supervised`).

    run = finetune("runs/ecoli_lm", "train.csv", valid="dev.csv", test="test.csv", out="runs/prom")
    run.metrics["test"]["label"]["roc_auc"]

The training table is the train part; `valid` (early stopping and conformal calibration; without
it 10 % of the training rows are held out) and `test` (reported metrics) are optional tables of
the same shape. Task detection, label encoding, ensembles (`ensemble=N`), conformal columns,
metrics and the run directory (config.json, versions.json, model/ with its manifest,
conformal.json, metrics.json, predictions.csv, errors.csv, card.md, report.html — built beside
`out` and swapped in) are the shared layer's, as for `helix chem train`. Token classification
(one label per character) has its own path (`helixforge.lm.finetune_token`) writing the same
kind of run directory. Every input row is used or in errors.csv with its file line and reason.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from helixforge.core.errors import ConfigError, NoUsableRowsError, RowErrors
from helixforge.core.options import require_choice, require_float, require_int
from helixforge.core.supervised import SupervisedRun
from helixforge.core.supervised.tasks import check_learnable
from helixforge.lm.estimator import (  # noqa: F401 - older import paths
    FINETUNE_FILE,
    TASK_TYPES,
    TOKEN_TASK,
    FinetunedLM,
    LMPropertyModel,
)
from helixforge.lm.tokenizer_backends import SequenceCheck, sequence_check

Log = Callable[[str], None]
# auto / a type → `core.supervised.resolve_tasks`; classification = auto, but never regression
TASKS = ("auto", "classification", "binary", "multiclass", "regression", TOKEN_TASK)
PARTS = ("train", "valid", "test")
CARD_LIMITS = (
    "Sequences unlike the fine-tuning data (other organisms, lengths, chemistries) are "
    "extrapolations. Conformal coverage assumes calibration and new inputs are exchangeable. "
    "model/member_*/model is a plain transformers checkpoint; loading never runs code from it."
)


def source_name(src: Any) -> str:
    """How a table is named in messages and errors.csv."""
    return "<table>" if isinstance(src, pd.DataFrame) else str(src)


def read_rows(
    src: Any,
    seq_col: str,
    label_cols: Sequence[str],
    errors: RowErrors,
    check: SequenceCheck | None = None,
) -> pd.DataFrame:
    """Rows of a labelled table (index = file line) with a non-empty sequence in `seq_col`;
    unreadable lines, empty sequences and (with `check`) sequences with characters outside the
    tokenizer's alphabet go to `errors`."""
    from helixforge.core.tables import read_table, require_columns
    from helixforge.lm.corpus import corpus_kind
    from helixforge.lm.tables import usable_rows

    if isinstance(src, pd.DataFrame):
        require_columns(src, [seq_col, *label_cols], "<table>")
        df = src.copy()
    elif corpus_kind(src) == "fasta":
        df = read_labelled_fasta(src, seq_col, label_cols)
    else:
        df = read_table(src, columns=[seq_col, *label_cols], errors=errors)
    return usable_rows(df, seq_col, errors, check)[0]


def read_labelled_fasta(path: str | os.PathLike, seq_col: str, label_cols: Sequence[str]):
    """A FASTA file whose headers carry the labels ('>seq1 label=1', or 'NAME=VALUE' for each
    label column, as `helix dna train` reads them) as a table: index = header line, columns
    id, description, `seq_col` and the label columns (missing where a header lacks one). It
    was read as a CSV ("columns 'sequence', 'label' not found. Columns present: '>s0
    label=pos'")."""
    import re

    from helixforge.core.errors import InputError
    from helixforge.core.io import fasta_records

    patterns = {t: re.compile(rf"(?:^|[\s|;]){re.escape(t)}=([^\s|;]+)") for t in label_cols}
    rows, lines = [], []
    for line, header, seq in fasta_records(path):
        row = {"id": header.split()[0] if header.split() else "", "description": header,
               seq_col: seq}  # fmt: skip
        for t, pat in patterns.items():
            m = pat.search(header)
            row[t] = m.group(1) if m else None
        rows.append(row)
        lines.append(line)
    df = pd.DataFrame(rows, index=pd.Index(lines), columns=["id", "description", seq_col,
                                                              *label_cols])  # fmt: skip
    if not len(df):
        raise InputError(f"{path}: no FASTA records", hint="a FASTA file starts with '>name'")
    if df[list(label_cols)].isna().all().all():
        wanted = " ".join(f"{t}=VALUE" for t in label_cols)
        raise InputError(
            f"{path}: a FASTA file with no {wanted} in any header",
            hint=f"write headers like '>seq1 {wanted}', or give a table (CSV/TSV/Parquet) with "
            "sequence and label columns",
        )
    return df


def subsample(df: pd.DataFrame, max_rows: int | None, seed: int, notes: list[str]) -> pd.DataFrame:
    """At most `max_rows` rows, a seeded sample in file order (`--max-rows`)."""
    if not max_rows or len(df) <= max_rows:
        return df
    idx = np.sort(np.random.default_rng(seed).choice(len(df), max_rows, replace=False))
    notes.append(f"--max-rows: {max_rows} of {len(df)} usable training rows used (seeded sample)")
    return df.iloc[idx]


def resolve_lm_tasks(task: str, labels: pd.DataFrame, label_cols: Sequence[str]):
    """Task types by the shared rule; `classification` is auto that refuses regression."""
    from helixforge.core.supervised import resolve_tasks

    types, notes = resolve_tasks("auto" if task == "classification" else task, labels, label_cols)
    if task == "classification":
        for t, tt in zip(label_cols, types):
            if tt == "regression":
                raise ConfigError(
                    f"--task classification: the labels of {t!r} look continuous (more than "
                    "20 values, or classes with fewer than 5 rows)",
                    hint="use --task regression, or --task multiclass to force classes",
                )
    return types, notes


def drop_shared_sequences(
    by_part: dict[str, pd.DataFrame], seq_col: str, sources: dict[str, str], errors: RowErrors
) -> dict[str, int]:
    """Remove train / valid rows whose sequence also occurs in a later part (valid, test), as
    `dna train` does, so no row is scored on data it was trained on (e.g. --valid naming the
    training file); each removal goes to `errors` under its own file and line."""
    removed: dict[str, int] = {}
    for part, later in (("valid", ["test"]), ("train", ["valid", "test"])):
        if part not in by_part:
            continue
        seen: set[str] = set()
        for other in later:
            if other in by_part:
                seen |= set(by_part[other][seq_col].astype(str).str.strip())
        df = by_part[part]
        shared = df[seq_col].astype(str).str.strip().isin(seen).to_numpy()
        if not shared.any():
            continue
        errs = RowErrors(sources[part])
        why = f"also in the {'/'.join(o for o in later if o in by_part)} part: left out of {part} (no leakage)"
        for row in df.index[shared]:
            errs.add(int(row), seq_col, df.at[row, seq_col], why)
        errors.extend(errs)
        removed[part] = int(shared.sum())
        by_part[part] = df.loc[~shared]
    return removed


def align_classes(
    by_part: dict[str, pd.DataFrame],
    sources: dict[str, str],
    label_cols: Sequence[str],
    task: str,
    errors: RowErrors,
) -> None:
    """Labels of the --valid / --test files in the training file's classes (`core.supervised.label_classes`):
    'Pos' is the class 'pos', a class the training file lacks is an errors-table row (they
    became extra classes no training row has: a binary task turned four-class)."""
    from helixforge.core.supervised.label_classes import align_part_classes
    from helixforge.core.supervised.tasks import task_list

    if "train" not in by_part:
        return
    tasks = task_list("auto" if task == "classification" else task, len(label_cols))
    train = by_part["train"]
    for part in ("valid", "test"):
        if part not in by_part or by_part[part].empty:
            continue
        df, errs, keep = by_part[part].copy(), RowErrors(sources[part]), None
        for t, tt in zip(label_cols, tasks):
            kept, labels = align_part_classes(
                train[t].tolist(), df[t].tolist(), task=tt, rows=list(df.index),
                source=sources[part], column=t, errors=errs, option=f"--{part}",
            )  # fmt: skip
            df[t] = pd.Series(labels, index=df.index)
            keep = kept if keep is None else keep & kept
        errors.extend(errs)
        by_part[part] = df.loc[keep] if keep is not None else df


def load_labelled(
    data: Any,
    valid: Any,
    test: Any,
    seq_col: str,
    label_cols: list[str],
    task: str,
    *,
    max_rows: int | None = None,
    seed: int = 0,
    check: SequenceCheck | None = None,
):
    """(`LabelledData` of train + valid + test rows, their split assignment); `check` is the
    base checkpoint's alphabet check (`tokenizer_backends.sequence_check`)."""
    from helixforge.core.supervised import LabelledData, clean_labels, encode_labels

    errors = RowErrors(source_name(data))
    by_part: dict[str, pd.DataFrame] = {}
    sources: dict[str, str] = {}
    notes: list[str] = []
    raw: dict[str, pd.DataFrame] = {}  # each file's rows as read: the output keeps its labels
    for part, src in zip(PARTS, (data, valid, test)):
        if src is None:
            continue
        errs = RowErrors(source_name(src))
        raw[part] = read_rows(src, seq_col, label_cols, errs, check)
        df = clean_labels(raw[part], label_cols, errs, source=source_name(src))
        if part == "train":
            df = subsample(df, max_rows, seed, notes)
        errors.extend(errs)
        by_part[part], sources[part] = df, source_name(src)
    align_classes(by_part, sources, label_cols, task, errors)
    removed = drop_shared_sequences(by_part, seq_col, sources, errors)
    if removed.get("train") and by_part["train"].empty:
        raise NoUsableRowsError(
            f"the training part is empty: all {removed['train']} of its sequences are also in "
            "the validation / test file and were left out (no leakage)",
            hint="give --valid / --test files that differ from the training file",
        )
    frames = list(by_part.values())
    parts = [part for part, df in by_part.items() for _ in range(len(df))]
    frame = pd.concat(frames) if len(frames) > 1 else frames[0]
    flat = frame.reset_index(drop=True)  # line numbers repeat across files
    types, task_notes = resolve_lm_tasks(task, flat, label_cols)
    y, classes = encode_labels(flat, label_cols, types)
    labelled = LabelledData(
        frame=_as_read(by_part, raw, label_cols, frame),
        inputs=flat[seq_col].astype(str).str.strip().tolist(),
        y=y,
        targets=label_cols,
        task_types=types,
        errors=errors,
        classes=classes,
        notes=notes + task_notes,
        source=None if isinstance(data, pd.DataFrame) else str(data),
        input_col=seq_col,
    )
    return labelled, parts


def _as_read(by_part: dict, raw: dict, label_cols: Sequence[str], frame: pd.DataFrame):
    """The kept rows with their label cells as the file wrote them ('1', ' pos', 'POS'): the
    predictions table showed the cleaned values (1.0, 'pos'), unlike dna train's. `frame`
    (the cleaned rows) when a part's row index is not unique (a DataFrame given so)."""
    out = []
    for part, df in by_part.items():
        if not raw[part].index.is_unique:
            return frame
        df = df.copy()
        for t in label_cols:
            df[t] = raw[part].loc[df.index, t].to_numpy()
        out.append(df)
    return pd.concat(out) if len(out) > 1 else out[0]


def base_checkpoint(path: str | os.PathLike) -> str | os.PathLike:
    """A finetune run directory as the base model means its first member's checkpoint."""
    from pathlib import Path

    from helixforge.lm.models import resolve_model_dir
    from helixforge.lm.predict import is_run_dir

    p = Path(str(path).removeprefix("lm:"))
    if is_run_dir(p):
        resolve_model_dir(p)  # a chem / dna / crispr run has model/ too: named, not 'not found'
        return str(p / "model" / "member_0" / "model")
    return path


def _sha256s(*tables: Any) -> dict[str, str]:
    """sha256 of the valid / test files (the training file's is in versions.json)."""
    from helixforge.core.artifacts import sha256_file

    return {
        str(t): sha256_file(t)
        for t in tables
        if isinstance(t, str | os.PathLike) and os.path.isfile(t)
    }


def _check_options(task, label_cols, max_rows, ensemble, coverage, sequence_col) -> list[str]:
    require_choice(task, "--task", TASKS)
    if max_rows is not None:
        require_int(max_rows, "--max-rows")
    require_int(ensemble, "--ensemble", min_value=1)
    require_float(coverage, "--coverage", low=0, high=1, low_open=True, high_open=True)
    label_cols = list(label_cols)
    if not label_cols:
        raise ConfigError("--label-col is empty", hint="name at least one label column")
    if sequence_col in label_cols:
        raise ConfigError(
            f"--label-col {sequence_col} is also the --input-col; the label must be another column"
        )
    if task == TOKEN_TASK and len(label_cols) != 1:
        raise ConfigError("token-classification takes exactly one --label-col")
    return label_cols


def finetune(
    model_path: str | os.PathLike,
    data: Any,
    *,
    task: str = "auto",
    out: str | os.PathLike,
    valid: Any = None,
    test: Any = None,
    sequence_col: str = "sequence",
    label_cols: Sequence[str] = ("label",),
    lora: bool = False,
    epochs: int = 5,
    lr: float | None = None,
    batch_size: int = 32,
    max_len: int | None = None,
    max_rows: int | None = None,
    ensemble: int = 1,
    coverage: float = 0.9,
    seed: int = 0,
    device: str = "auto",
    threads: int | None = None,
    trust_remote_code: bool = False,
    quiet: bool = True,
    overwrite: bool = False,
    resume: bool = False,
    report: bool = True,
    log: Log | None = None,
) -> SupervisedRun:
    """Fine-tune on a table (`sequence_col`, `label_cols`); write the run directory `out`.

    Each ensemble member checkpoints every epoch into the staging directory
    (`.OUT.partial/checkpoints/member_<i>/`, with the resume key in `resume.json`); after a
    kill, `resume=True` continues from the last finished epoch (finished members are loaded,
    not retrained) and gives the model an uninterrupted run gives; a changed input or option
    is refused, naming it. Without `resume` an unfinished run is discarded.

    task: auto | classification | binary | multiclass | regression (the shared rule of
    `helixforge.core.supervised.tasks`) | token-classification. `ensemble` members use seeds
    seed, seed+1, …; `coverage` is the conformal coverage. Returns the finished run
    (run_dir, config, metrics, report)."""
    from helixforge.core.io import check_output
    from helixforge.core.supervised import train_supervised
    from helixforge.lm.models import resolve_model_dir

    label_cols = _check_options(task, label_cols, max_rows, ensemble, coverage, sequence_col)
    model_path = base_checkpoint(model_path)
    kw = dict(lora=lora, epochs=epochs, lr=lr, batch_size=batch_size, max_len=max_len,
              device=device, threads=threads, trust_remote_code=trust_remote_code, quiet=quiet)  # fmt: skip
    LMPropertyModel(model_path, **kw)  # checks the options before any work
    check_output(
        out,
        overwrite=overwrite,
        kind="dir",
        inputs=[x for x in (data, valid, test, model_path) if isinstance(x, str | os.PathLike)],
    )
    # fail early with a clear message: folder, architecture, weight files
    from helixforge.lm.models import auto_config, check_remote_code, check_weight_files

    base_dir = resolve_model_dir(model_path)
    check_remote_code(base_dir, trust_remote_code)
    auto_config(base_dir, trust_remote_code)
    check_weight_files(base_dir)
    config = {
        "base_model": str(model_path),
        "task": task,
        "sequence_col": sequence_col,
        "label_cols": label_cols,
        **{k: v for k, v in kw.items() if k not in ("device", "quiet", "trust_remote_code")},
        "max_rows": max_rows,
        "valid": None if valid is None else source_name(valid),
        "test": None if test is None else source_name(test),
        "device": device,
        "card_limits": f"{'LoRA' if lora else 'Full'} fine-tuning of {model_path}. {CARD_LIMITS}",
        "tables_sha256": _sha256s(valid, test),
    }
    if task == TOKEN_TASK:
        from helixforge.lm.finetune_token import finetune_tokens

        if ensemble != 1:
            raise ConfigError(
                "--ensemble applies to sequence-level tasks, not token-classification"
            )
        return finetune_tokens(model_path, data, valid, test, kw=kw, config=config, out=out,
                               max_rows=max_rows, seed=seed, overwrite=overwrite, report=report,
                               resume=resume, log=log)  # fmt: skip
    table, parts = load_labelled(data, valid, test, sequence_col, label_cols, task,
                                 max_rows=max_rows, seed=seed, check=sequence_check(model_path))  # fmt: skip
    n_train = parts.count("train")
    check_learnable(table, source_name(data))
    if not n_train:
        raise NoUsableRowsError(
            f"{source_name(data)}: no usable training rows ({len(table.errors)} rejected)",
            hint=table.errors.summary(),
        )
    if log:
        log(
            f"{n_train} training rows ({len(table.errors)} rows rejected); tasks: "
            + ", ".join(f"{t}={tt}" for t, tt in zip(table.targets, table.task_types))
        )

    from helixforge.core.supervised import RESUME_FILE, resumable_stage

    key = finetune_resume_key(model_path, data, config, seed, ensemble, coverage)
    members = iter(range(1_000_000))
    with resumable_stage(out, key, resume, log) as stage:

        def factory() -> LMPropertyModel:
            ckpt = stage / CHECKPOINTS / f"member_{next(members)}"
            model = LMPropertyModel(model_path, **kw, checkpoint_dir=ckpt, resume=resume)
            model.label_cols = label_cols
            return model

        return train_supervised(
            table,
            factory,
            domain="lm",
            model_name="lm",
            out=out,
            split_assignment=parts,
            ensemble=ensemble,
            seed=seed,
            coverage=coverage,
            overwrite=overwrite,
            config={**config, "n_train": n_train},
            report=report,
            quiet=quiet,
            log=log,
            scratch=(CHECKPOINTS, RESUME_FILE),
        )


CHECKPOINTS = "checkpoints"


def finetune_resume_key(model_path, data, config: dict, seed: int, ensemble: int, coverage: float):
    """What a resumed fine-tune must share with the run it continues: the training table's
    sha256, the base checkpoint's files (name and size) and every option that changes the
    result (device and verbosity do not)."""
    from helixforge.core.artifacts import sha256_file
    from helixforge.lm.models import resolve_model_dir

    base = Path(resolve_model_dir(model_path))
    return {
        "data": sha256_file(data) if isinstance(data, str | os.PathLike) else source_name(data),
        "base_files": {p.name: p.stat().st_size for p in sorted(base.iterdir()) if p.is_file()},
        **{k: v for k, v in config.items() if k not in ("device", "card_limits", "quiet")},
        "seed": seed,
        "ensemble": ensemble,
        "coverage": coverage,
    }


def predict(
    model_dir: str | os.PathLike,
    sequences: Sequence[str],
    device: str = "cpu",
    *,
    trust_remote_code: bool = False,
) -> np.ndarray:
    """Predictions of one saved model folder (`LMPropertyModel.save`); for a run directory
    (with its ensemble and conformal columns) use `helixforge.lm.predict.load_run`."""
    model = LMPropertyModel.load(model_dir, device=device, trust_remote_code=trust_remote_code)
    return model.predict(sequences)
