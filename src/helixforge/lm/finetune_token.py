"""Token classification (one label per base or character) for `helix lm finetune`.

Per-position labels do not fit the table-level supervised layer (its label matrix has one value
per row and target), so this path trains and scores itself, and writes the same kind of run
directory with the shared pieces (`helixforge.lm.finetune_report.write_token_run`): config.json
(a supervised-run config, task type "token-classification"), versions.json, model/member_0 +
manifest.json, metrics.json ({"valid"|"test": {label: per-position metrics}}), predictions.csv
(valid and test rows: input columns + `T_pred`, the predicted label of every position; its
header even when no row was scored), errors.csv, card.md and report.html. `helix lm predict`
reads it like any other lm run. Without a validation table 10 % of the training rows (seeded;
with at least 20 training rows) are held out as the "valid" part, as for sequence tasks.
Every epoch is checkpointed in `.OUT.partial/checkpoints/member_0/` (the resume key, the same
as a sequence-level run's, in `resume.json`), so `resume=True` continues a killed run.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np
import pandas as pd

from helixforge.core.errors import NoUsableRowsError, RowErrors
from helixforge.core.supervised import SupervisedRun
from helixforge.lm.estimator import TOKEN_TASK, LMPropertyModel
from helixforge.lm.finetune import PARTS, read_rows, source_name, subsample
from helixforge.lm.heads import parse_position_labels


def read_token_rows(
    src: Any, seq_col: str, label_col: str, errors: RowErrors, check=None
) -> tuple[pd.DataFrame, list[str], list[list[int]]]:
    """(kept rows, sequences, per-position labels); rows whose labels are not one non-negative
    integer per character, or (with `check`) whose sequence leaves the tokenizer's alphabet,
    go to `errors`."""
    df = read_rows(src, seq_col, [label_col], errors, check)
    labels, keep = [], []
    for row, value in df[label_col].items():
        n = len(str(df.at[row, seq_col]).strip())
        try:
            lab = parse_position_labels(value)
        except ValueError:
            errors.add(int(row), label_col, value, "position labels must be integers")
            continue
        if len(lab) != n or min(lab, default=0) < 0:
            errors.add(
                int(row), label_col, value, f"{len(lab)} labels for a sequence of length {n}"
            )
            continue
        labels.append(lab)
        keep.append(row)
    df = df.loc[keep]
    return df, [str(s).strip() for s in df[seq_col]], labels


def _take(part: tuple, pos) -> tuple:
    """The rows at positions `pos` of a (frame, sequences, labels) part."""
    df, seqs, labels = part
    return df.iloc[pos], [seqs[i] for i in pos], [labels[i] for i in pos]


def hold_out(
    df: pd.DataFrame, seqs: list[str], labels: list[list[int]], *, seed: int
) -> dict[str, tuple]:
    """Without a validation table, 10 % of the training rows (a seeded random pick, the same
    rule as `core.supervised.train.split_rows` for sequence-level tasks) become the "valid"
    part: early stopping and the reported metrics. Below 20 training rows nothing is held out."""
    from helixforge.core.splits import make_split

    if len(seqs) < 20:
        return {}
    sp = make_split("random", len(seqs), fractions=(0.9, 0.1, 0.0), seed=seed)
    train, held = np.sort(sp.train), np.sort(np.concatenate([sp.valid, sp.test]))
    return {"train": _take((df, seqs, labels), train), "valid": _take((df, seqs, labels), held)}


def _drop_shared(
    parts: dict[str, tuple], seq_col: str, sources: dict[str, str], errors: RowErrors
) -> None:
    """Train / valid rows whose sequence is also in a later part (valid, test) leave that part
    and go to `errors`, as for sequence-level tasks (`lm.finetune.drop_shared_sequences`): no
    row is scored on a sequence the model was trained on."""
    from helixforge.lm.finetune import drop_shared_sequences

    by_part = {part: df for part, (df, _, _) in parts.items()}
    if not drop_shared_sequences(by_part, seq_col, sources, errors):
        return
    for part, rows in list(parts.items()):
        parts[part] = _take(rows, np.flatnonzero(rows[0].index.isin(by_part[part].index)))


def token_metrics(model: LMPropertyModel, seqs: list[str], labels: list[list[int]]) -> dict:
    """Per-position metrics (binary: ROC-AUC, …; more classes: macro F1, …) and the predicted
    label strings."""
    from helixforge.core.metrics import classification_metrics, multiclass_metrics

    probs = model.predict(seqs)
    flat_y = np.concatenate([np.asarray(lab) for lab in labels])
    flat_p = np.concatenate(probs)
    if flat_p.shape[1] > 2:
        m = multiclass_metrics(flat_y, flat_p)
    else:
        m = classification_metrics(flat_y, flat_p[:, 1])
    return {"metrics": m, "pred": position_labels(probs)}


def position_labels(probs: list[np.ndarray]) -> list[str]:
    """Per-character class probabilities → the predicted labels as a string ("0011…"; classes
    above 9 are space-separated), the format the label column is read in."""
    out = []
    for p in probs:
        top = np.asarray(p).argmax(axis=1) if len(p) else np.zeros(0, int)
        sep = "" if np.asarray(p).shape[-1] <= 10 else " "
        out.append(sep.join(str(int(c)) for c in top))
    return out


def finetune_tokens(
    model_path: str | os.PathLike,
    data: Any,
    valid: Any,
    test: Any,
    *,
    kw: dict[str, Any],
    config: dict[str, Any],
    out: str | os.PathLike,
    max_rows: int | None,
    seed: int,
    overwrite: bool,
    report: bool,
    resume: bool = False,
    log: Any = None,
) -> SupervisedRun:
    """Fine-tune a token classifier and write its run directory (see the module docstring)."""
    import shutil
    from pathlib import Path

    from helixforge.core.io import staging_dir
    from helixforge.core.supervised import RESUME_FILE, resumable_stage
    from helixforge.core.supervised.train import RUN_KIND
    from helixforge.lm.finetune import CHECKPOINTS, finetune_resume_key
    from helixforge.lm.finetune_report import write_token_run

    seq_col, label_col = config["sequence_col"], config["label_cols"][0]
    from helixforge.lm.tokenizer_backends import sequence_check

    errors = RowErrors(source_name(data))
    parts: dict[str, tuple] = {}
    notes: list[str] = []
    check = sequence_check(model_path)
    for part, src in zip(PARTS, (data, valid, test)):
        if src is None:
            continue
        errs = RowErrors(source_name(src))
        df, seqs, labs = read_token_rows(src, seq_col, label_col, errs, check)
        if part == "train":
            pos = subsample(df.reset_index(drop=True), max_rows, seed, notes).index
            df, seqs, labs = _take((df, seqs, labs), pos)
        errors.extend(errs)
        parts[part] = (df, seqs, labs)
    _drop_shared(parts, seq_col, {p: source_name(s) for p, s in zip(PARTS, (data, valid, test))},
                 errors)  # fmt: skip
    if not parts["train"][1]:
        raise NoUsableRowsError(
            f"{source_name(data)}: no usable rows ({len(errors)} rejected)", hint=errors.summary()
        )
    if "valid" not in parts or not parts["valid"][1]:  # none given, or every row rejected
        parts.update(hold_out(*parts["train"], seed=seed))
    key = finetune_resume_key(model_path, data, config, seed, 1, None)
    with resumable_stage(out, key, resume, log) as stage:
        ckpt = stage / CHECKPOINTS / "member_0"
        model = LMPropertyModel(model_path, **kw, checkpoint_dir=ckpt, resume=resume)
        model.label_cols = [label_col]
        v = parts.get("valid")
        model.fit(parts["train"][1], parts["train"][2], [TOKEN_TASK],
                  valid=(v[1], v[2]) if v and v[1] else None, seed=seed)  # fmt: skip
    metrics: dict[str, Any] = {"notes": notes}
    frames = []
    for part in ("valid", "test"):
        if part in parts and parts[part][1]:
            df, seqs, labs = parts[part]
            res = token_metrics(model, seqs, labs)
            metrics[part] = {label_col: res["metrics"]}
            pred = df.copy()
            pred.insert(0, "row", pred.index.astype(int))
            pred["split"] = part
            pred[f"{label_col}_pred"] = res["pred"]
            frames.append(pred)
    sizes = {p: len(parts[p][1]) for p in parts}
    cfg = {
        "kind": RUN_KIND, "domain": "lm", "data": source_name(data), "input_col": seq_col,
        "targets": [label_col], "task_types": [TOKEN_TASK], "classes": {},
        "n_classes": model.n_classes, "split": "predefined", "split_sizes": sizes,
        "model_requested": "lm", "model": "lm", "ensemble": 1, "seed": seed, "coverage": None,
        "n_rows": sum(sizes.values()), "n_rejected_rows": len(errors),
        "trainable_parameters": model.trainable_parameters, **config, "n_train": sizes["train"],
    }  # fmt: skip
    sources = [s for s in (data, valid, test) if isinstance(s, str | os.PathLike)]
    columns = ["row", *parts["train"][0].columns, "split", f"{label_col}_pred"]
    predictions = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=columns)
    scratch = [stage / CHECKPOINTS, stage / RESUME_FILE]
    with staging_dir(out, keep_on_error=False) as stage:
        for p in scratch:  # not part of the run
            shutil.rmtree(p) if p.is_dir() else p.unlink(missing_ok=True)
        report_path = write_token_run(
            stage, model=model, config=cfg, metrics=metrics, errors=errors,
            predictions=predictions, sources=sources, report=report,
        )  # fmt: skip
    final = Path(out)
    return SupervisedRun(final, cfg, metrics, final / report_path.name if report_path else None)
