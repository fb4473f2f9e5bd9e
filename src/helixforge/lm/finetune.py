"""`helix lm finetune`: fine-tune a pretrained checkpoint on a labelled table; write a run directory.

    finetune("runs/ecoli_lm", "train.csv", task="classification", valid="dev.csv", out="runs/prom")

task: classification (binary, or multiclass when one label column holds integers 0..k-1 with
k > 2), regression, token-classification (one label per character). The run directory is built
beside `out` and swapped in when finished (never half-written): config.json, versions.json,
model/ + helixforge_finetune.json (the `LMPropertyModel` folder), metrics.json, errors.csv,
predictions.csv (test rows: input columns + T_pred / T_prob …), card.md and report.html.
Every input row is used or in errors.csv with its line number and the reason.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import numpy as np

from helixforge.core.errors import ConfigError, NoUsableRowsError, RowErrors
from helixforge.core.options import require_choice, require_int
from helixforge.lm.estimator import (  # noqa: F401 - older import paths
    FINETUNE_FILE,
    TASK_TYPES,
    TOKEN_TASK,
    FinetunedLM,
    LMPropertyModel,
)
from helixforge.lm.heads import parse_position_labels

TASKS = ("classification", "regression", TOKEN_TASK)


def read_labelled(path_or_df, seq_col: str, label_cols: list[str], task: str, errors: RowErrors):
    """(kept input frame, sequences, labels) of a labelled table; every other row in `errors`."""
    import pandas as pd

    from helixforge.core.tables import read_table, skipped_line_errors, to_numeric_column

    if isinstance(path_or_df, pd.DataFrame):
        df, source = path_or_df, "<table>"
    else:
        df, source = read_table(path_or_df, columns=[seq_col, *label_cols]), str(path_or_df)
    errors.file = source
    errors.extend(skipped_line_errors(df, source))
    seq = df[seq_col]
    empty = (seq.isna() | seq.astype(str).str.strip().eq("")).to_numpy()
    for row in df.index[empty]:
        errors.add(row, seq_col, df.at[row, seq_col], "empty sequence")
    df = df.loc[~empty]
    if task == TOKEN_TASK:
        labs, ok = [], []
        for row, value in df[label_cols[0]].items():
            n = len(str(df.at[row, seq_col]).strip())
            try:
                lab = parse_position_labels(value)
            except ValueError:
                errors.add(row, label_cols[0], value, "position labels must be integers")
                continue
            if len(lab) != n or min(lab, default=0) < 0:
                errors.add(
                    row, label_cols[0], value, f"{len(lab)} labels for a sequence of length {n}"
                )
                continue
            labs.append(lab)
            ok.append(row)
        df = df.loc[ok]
        return df, [s.strip() for s in df[seq_col]], labs
    good = np.ones(len(df), dtype=bool)
    ys = []
    for col in label_cols:
        values, bad = to_numeric_column(df, col)
        v = values.to_numpy()
        bad = bad.to_numpy() | np.isinf(v)
        if task == "classification":
            bad |= ~np.isnan(v) & ~np.isinf(v) & ((v != np.round(v)) | (v < 0))
        for row in df.index[bad & good]:
            why = "label is not a number" if task == "regression" else "class label must be 0, 1, …"
            errors.add(
                row, col, df.at[row, col], "label is infinite" if np.isinf(values[row]) else why
            )
        good &= ~bad
        ys.append(v)
    y = np.stack(ys, axis=1)[good]
    df = df.loc[good]
    labelled = ~np.all(np.isnan(y), axis=1)
    for row in df.index[~labelled]:
        errors.add(row, ",".join(label_cols), None, "no label")
    return df.loc[labelled], [s.strip() for s in df[seq_col][labelled]], y[labelled]


def task_types_for(task: str, y: np.ndarray, n_cols: int) -> list[str]:
    """One rule: regression → one regression column each; classification → multiclass when a
    single column holds more than two classes, else binary columns."""
    if task == "regression":
        return ["regression"] * n_cols
    labels = y[~np.isnan(y)]
    if n_cols == 1 and len(labels) and labels.max() > 1:
        return ["multiclass"]
    return ["binary"] * n_cols


def _test_metrics(model, seqs, yy, types, label_cols) -> dict[str, Any]:
    from helixforge.core.metrics import (
        classification_metrics,
        multiclass_metrics,
        regression_metrics,
    )

    if types == [TOKEN_TASK]:
        flat_y = np.concatenate([np.asarray(lab) for lab in yy])
        flat_p = np.concatenate(model.predict(seqs))
        if flat_p.shape[1] > 2:
            return multiclass_metrics(flat_y, flat_p)
        return classification_metrics(flat_y, flat_p[:, 1])
    if types == ["multiclass"]:
        return multiclass_metrics(yy[:, 0].astype(int), model.predict_proba(seqs))
    pred = model.predict(seqs)
    per = {}
    for j, (col, t) in enumerate(zip(label_cols, types)):
        ok = ~np.isnan(yy[:, j])
        fn = regression_metrics if t == "regression" else classification_metrics
        per[col] = fn(yy[ok, j], pred[ok, j])
    return per[label_cols[0]] if len(per) == 1 else per


def finetune(
    model_path: str | os.PathLike,
    data,
    *,
    task: str = "classification",
    out: str | os.PathLike,
    valid=None,
    test=None,
    sequence_col: str = "sequence",
    label_cols: Sequence[str] = ("label",),
    lora: bool = False,
    epochs: int = 5,
    lr: float | None = None,
    batch_size: int = 32,
    max_len: int | None = None,
    max_rows: int | None = None,
    seed: int = 0,
    device: str = "auto",
    threads: int | None = None,
    trust_remote_code: bool = False,
    quiet: bool = True,
    overwrite: bool = False,
) -> dict[str, Any]:
    """Fine-tune on a table (`sequence_col`, `label_cols`); write the run directory `out`.

    `valid` (early stopping) and `test` (reported metrics, predictions.csv) are optional tables
    of the same shape. Returns the metrics dictionary.
    """
    from helixforge.core.artifacts import RunDir
    from helixforge.core.io import check_output, staging_dir
    from helixforge.lm.finetune_report import write_finetune_outputs
    from helixforge.lm.models import resolve_model_dir

    require_choice(task, "--task", TASKS)
    if max_rows is not None:
        require_int(max_rows, "--max-rows")
    label_cols = list(label_cols)
    if not label_cols:
        raise ConfigError("--label-col is empty", hint="name at least one label column")
    if task == TOKEN_TASK and len(label_cols) != 1:
        raise ConfigError("token-classification takes exactly one --label-col")
    kw = dict(lora=lora, epochs=epochs, lr=lr, batch_size=batch_size, max_len=max_len,
              device=device, threads=threads, trust_remote_code=trust_remote_code, quiet=quiet)  # fmt: skip
    model = LMPropertyModel(model_path, **kw)  # checks the options before any work
    check_output(out, overwrite=overwrite, kind="dir")
    resolve_model_dir(model_path)  # fail early with a clear message
    errors = RowErrors()
    df, seqs, y = read_labelled(data, sequence_col, label_cols, task, errors)
    if max_rows and len(seqs) > max_rows:
        idx = np.sort(np.random.default_rng(seed).choice(len(seqs), max_rows, replace=False))
        seqs = [seqs[i] for i in idx]
        y = [y[i] for i in idx] if task == TOKEN_TASK else y[idx]
    if not len(seqs):
        raise NoUsableRowsError(
            f"{data}: no usable rows ({len(errors)} rejected)", hint=errors.summary()
        )
    split: dict[str, tuple] = {}
    for name, src in (("valid", valid), ("test", test)):
        if src is not None:
            e = RowErrors()
            frame, s, yy = read_labelled(src, sequence_col, label_cols, task, e)
            errors.extend(e)
            split[name] = (frame, s, yy)
    types = [TOKEN_TASK] if task == TOKEN_TASK else task_types_for(task, y, len(label_cols))
    model.label_cols = label_cols
    v = split.get("valid")
    model.fit(seqs, y, types, valid=(v[1], v[2]) if v else None, seed=seed)
    metrics: dict[str, Any] = {
        "task": task,
        "task_types": types,
        "n_train": len(seqs),
        "lora": lora,
        "rows_rejected": len(errors),
        "trainable_parameters": model.trainable_parameters,
        "history": model.history,
    }
    if "test" in split:
        metrics["test"] = _test_metrics(
            model, split["test"][1], split["test"][2], types, label_cols
        )
    config = {"model": str(model_path), "task": task, "sequence_col": sequence_col,
              "label_cols": label_cols, **kw, "max_len": model.max_len, "max_rows": max_rows,
              "seed": seed}  # fmt: skip
    with staging_dir(out, keep_on_error=False) as stage:
        run = RunDir(stage)
        model.save(stage)
        errors.write(stage / "errors.csv")
        run.save_metrics(metrics)
        run.save_config(config)
        run.save_versions([p for p in (data, valid, test) if isinstance(p, str | os.PathLike)])
        write_finetune_outputs(stage, model, metrics, config, split.get("test"), data)
    return metrics


def predict(
    model_dir: str | os.PathLike,
    sequences: Sequence[str],
    device: str = "cpu",
    *,
    trust_remote_code: bool = False,
) -> np.ndarray:
    """Predictions of a model saved by `finetune` / `LMPropertyModel.save`."""
    model = LMPropertyModel.load(model_dir, device=device, trust_remote_code=trust_remote_code)
    return model.predict(sequences)
