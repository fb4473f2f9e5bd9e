"""Train, apply and evaluate sequence classifiers / regressors: the library behind
`helix dna train | predict | evaluate`.

    metrics = train_sequence_model("train.csv", valid="dev.csv", test="test.csv", model="resnet", out="runs/tf0")
    predict_sequences("runs/tf0", "new.fa", out="pred.csv")
    evaluate_sequences("runs/tf0", "test.csv")

Inputs: a table (CSV / TSV / Parquet, gz allowed) with a sequence and a label column; a FASTA
file whose headers carry `label=VALUE` (or with a separate `labels` table keyed by record id);
or a BED file plus a genome FASTA (`genome=`), the label read from a BED column.

A run directory holds config.json, versions.json (library versions and data checksums),
metrics.json ({valid, test}), history.json, model/ (config.json + model.safetensors),
predictions_test.csv, errors.csv (rows that could not be used, with the reason), report.html
and card.md.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from helixforge.core.errors import ConfigError, InputError, NoUsableRowsError, RowErrors
from helixforge.dna import splits as _dna_splits  # noqa: F401  (registers the "chromosome" split)
from helixforge.dna.io import bed_to_sequences, clean_sequence, is_fasta, is_fastq, read_sequences

_LABEL_IN_HEADER = re.compile(r"(?:^|[\s|;])label=([^\s|;]+)")


def _is_bed(path: str | os.PathLike) -> bool:
    name = Path(path).name.lower()
    return name.endswith((".bed", ".bed.gz"))


def load_sequence_table(
    path: str | os.PathLike,
    seq_col: str = "sequence",
    label_col: str | None = "label",
    *,
    id_col: str | None = None,
    labels: str | os.PathLike | None = None,
    genome: str | os.PathLike | None = None,
    flank: int = 0,
    extra_cols: Sequence[str] = (),
    iupac: str = "error",
    max_len: int | None = None,
    errors: RowErrors | None = None,
):
    """Read sequences (and labels when `label_col` is given) into a DataFrame with columns
    id, sequence, [label], plus `extra_cols`; the index is the file line / record line.

    Bad sequences (non-nucleotide characters, IUPAC codes under iupac='error', too long for
    `max_len`, empty) and missing labels are recorded in `errors` and dropped.
    """
    import pandas as pd

    from helixforge.core.tables import read_table, require_columns

    p = Path(path)
    errs = errors if errors is not None else RowErrors(p)
    if is_fasta(p) or is_fastq(p):
        recs = list(read_sequences(p))
        df = pd.DataFrame(
            {
                "id": [r.id for r in recs],
                "sequence": [r.seq for r in recs],
                "_header": [r.description for r in recs],
            },
            index=pd.Index([r.line for r in recs], name="line"),
        )
        if label_col is not None:
            if labels is not None:
                table = read_table(labels, columns=[id_col or "id", label_col])
                mapping = dict(
                    zip(table[id_col or "id"].astype(str), table[label_col], strict=False)
                )
                df["label"] = [mapping.get(i) for i in df["id"]]
            else:
                found = [_LABEL_IN_HEADER.search(h) for h in df["_header"]]
                if not any(found):
                    raise InputError(
                        f"{p}: no 'label=VALUE' found in the FASTA headers",
                        hint="write headers like '>seq1 label=1', or pass a labels table (--labels FILE with id and label columns)",
                    )
                df["label"] = [m.group(1) if m else None for m in found]
        seq_name = "sequence"
    elif _is_bed(p):
        if genome is None:
            raise ConfigError(
                f"{p}: a BED input needs a genome FASTA", hint="pass --genome GENOME.fa"
            )
        bed = bed_to_sequences(p, genome, flank=flank, errors=errs)
        if label_col is not None and label_col not in bed.columns:
            from helixforge.core.errors import ColumnNotFoundError

            raise ColumnNotFoundError([label_col], [c for c in bed.columns if c != "sequence"], p)
        df = pd.DataFrame(
            {
                "id": bed["name"]
                if "name" in bed.columns
                else [f"{c}:{s}-{e}" for c, s, e in zip(bed.chrom, bed.start, bed.end)],
                "sequence": bed["sequence"],
            },
            index=bed.index,
        )
        for col in ["chrom", "start", "end", "strand", *extra_cols]:
            if col in bed.columns:
                df[col] = bed[col]
        if label_col is not None:
            df["label"] = bed[label_col]
        seq_name = "sequence"
    else:
        needed = (
            [seq_col]
            + ([label_col] if label_col else [])
            + ([id_col] if id_col else [])
            + list(extra_cols)
        )
        table = read_table(p)
        require_columns(table, needed, p)
        df = pd.DataFrame(
            {
                "id": table[id_col].astype(str) if id_col else [f"row{i}" for i in table.index],
                "sequence": table[seq_col],
            },
            index=table.index,
        )
        for col in extra_cols:
            df[col] = table[col]
        if label_col is not None:
            df["label"] = table[label_col]
        seq_name = seq_col
    keep, cleaned = [], []
    for line, seq, ident in zip(df.index, df["sequence"], df["id"], strict=False):
        if seq is None or (isinstance(seq, float) and np.isnan(seq)) or not str(seq).strip():
            errs.add(int(line), seq_name, None, "empty sequence")
            continue
        try:
            cleaned.append(
                clean_sequence(
                    str(seq).strip(),
                    where=f"{p}, line {line} ({ident})",
                    iupac=iupac,
                    max_len=max_len,
                )
            )
        except InputError as exc:
            errs.add(int(line), seq_name, seq, exc.message.split(": ", 1)[-1])
            continue
        keep.append(line)
    df = df.loc[keep].copy()
    df["sequence"] = cleaned
    if label_col is not None:
        missing = df["label"].isna() | (df["label"].astype(str).str.strip() == "")
        for line in df.index[missing]:
            errs.add(int(line), label_col, None, "missing label")
        df = df.loc[~missing]
    return df.drop(columns=[c for c in ["_header"] if c in df.columns])


def infer_task(labels: Sequence[Any]) -> str:
    """'binary' for two values, 'multiclass' for a few integer / text values, else 'regression'."""
    values = [str(v).strip() for v in labels]
    uniq = set(values)
    try:
        nums = np.array([float(v) for v in uniq])
    except ValueError:
        return "binary" if len(uniq) == 2 else "multiclass"
    if len(uniq) == 2:
        return "binary"
    if np.all(np.mod(nums, 1) == 0) and len(uniq) <= 20:
        return "multiclass"
    return "regression"


def _metrics(task: str, y, pred, classes=None) -> dict[str, float]:
    from helixforge.core.metrics import (
        classification_metrics,
        multiclass_metrics,
        regression_metrics,
    )

    if task == "regression":
        return regression_metrics(np.asarray(y, float), pred)
    index = {c: i for i, c in enumerate(classes)}
    labels = [_plain_label(v) for v in y]
    unseen = sorted({str(v) for v in labels if v not in index})
    if unseen:
        raise InputError(
            f"labels {unseen[:5]} were not seen in training", hint=f"the model knows: {classes}"
        )
    yi = np.array([index[v] for v in labels])
    if task == "binary":
        return classification_metrics(yi, pred)
    return multiclass_metrics(yi, pred)


def _proba_matrix(task: str, pred: np.ndarray) -> np.ndarray:
    p = np.asarray(pred, dtype=float)
    return np.column_stack([1 - p, p]) if task == "binary" else p


def drop_shared_sequences(parts: dict[str, Any]) -> dict[str, int]:
    """Remove train and valid rows whose sequence (case-insensitive) also occurs in test, and
    train rows that occur in valid, so no sequence is scored on data it was trained on.
    Returns how many rows were dropped from each part (recorded in config.json)."""
    removed: dict[str, int] = {}
    later = {"valid": ["test"], "train": ["valid", "test"]}
    for part, others in later.items():
        if part not in parts or len(parts[part]) == 0:
            continue
        seen = set()
        for o in others:
            if o in parts and len(parts[o]):
                seen |= set(parts[o]["sequence"].str.upper())
        keep = ~parts[part]["sequence"].str.upper().isin(seen)
        removed[part] = int((~keep).sum())
        parts[part] = parts[part][keep]
    return removed


def fit_conformal(task: str, y, pred: np.ndarray, classes, coverage: float = 0.9) -> dict[str, Any]:
    """Split-conformal calibration on held-out (validation) predictions.

    Regression: intervals ŷ ± q with q the quantile of |y − ŷ|. Classification: prediction sets
    {c : 1 − p_c ≤ q} with q the quantile of 1 − p(true class). Coverage ≥ `coverage` holds when
    calibration and new data are exchangeable.
    """
    from helixforge.core.conformal import ClassificationConformal, RegressionConformal

    if task == "regression":
        return RegressionConformal(coverage=coverage).fit(y, pred).to_dict()
    index = {c: i for i, c in enumerate(classes)}
    yi = np.array([index[_plain_label(v)] for v in y], dtype=float)
    return ClassificationConformal(coverage=coverage).fit(yi, _proba_matrix(task, pred)).to_dict()


def apply_conformal(cal: dict[str, Any], task: str, pred: np.ndarray, classes) -> dict[str, Any]:
    """Columns to add to a prediction table: lower/upper, or prediction_set and set_size."""
    q = cal["q"]
    if task == "regression":
        p = np.asarray(pred, float)
        return {"lower": p - q, "upper": p + q}
    inside = (1 - _proba_matrix(task, pred)) <= q
    return {
        "prediction_set": [
            "|".join(str(c) for c, m in zip(classes, row, strict=False) if m) for row in inside
        ],
        "set_size": inside.sum(axis=1),
    }


def _conformal_metrics(cal, task, y, pred, classes) -> dict[str, float]:
    cols = apply_conformal(cal, task, pred, classes)
    if task == "regression":
        yv = np.asarray(y, float)
        return {
            "conformal_coverage": float(np.mean((yv >= cols["lower"]) & (yv <= cols["upper"]))),
            "interval_width": float(2 * cal["q"]),
        }
    sets = [set(s.split("|")) if s else set() for s in cols["prediction_set"]]
    hit = [str(_plain_label(v)) in st for v, st in zip(y, sets, strict=False)]
    return {
        "conformal_coverage": float(np.mean(hit)),
        "mean_set_size": float(np.mean(cols["set_size"])),
    }


def _plain_label(v):
    from helixforge.dna.models.labels import plain_label

    return plain_label(v)


def _conformal_ok(cal: dict[str, Any] | None) -> bool:
    """A usable calibration: too small a validation set gives q = inf (stored as null)."""
    q = None if cal is None else cal.get("q")
    return q is not None and bool(np.isfinite(q))


def _load_conformal(run: str | os.PathLike) -> dict[str, Any] | None:
    """The split-conformal calibration a training run stored (None for bare model folders)."""
    from helixforge.core.artifacts import load_json

    path = Path(run) / "conformal.json"
    return load_json(path) if path.exists() else None


def _model_dir(run: str | os.PathLike) -> Path:
    d = Path(run)
    if (d / "model").is_dir():
        return d / "model"
    if (d / "config.json").exists() and (d / "model.safetensors").exists():
        return d
    if not d.exists():
        raise InputError(
            f"{d}: run directory not found", hint="pass the --out directory of `helix dna train`"
        )
    return d / "model" if (d / "model").exists() else d


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
) -> dict[str, Any]:
    """Train a sequence model and write a run directory; returns {"valid": {...}, "test": {...}}.

    Splits: `valid=` / `test=` files (GUE-style own splits; without `valid`, 10 % of train is
    held out for early stopping), a `split_col` of train/valid/test ("predefined"), "random",
    "stratified" (default for classification) or "chromosome" (BED / genome-derived rows, with
    `test_chroms` / `valid_chroms` or whole chromosomes drawn at random).
    """

    from helixforge.core.artifacts import RunDir, save_json
    from helixforge.core.splits import make_split
    from helixforge.core.tables import write_table
    from helixforge.dna.models import make_sequence_model

    run = RunDir(out)
    errors = RowErrors(data)
    extra = [c for c in (split_col,) if c]
    if split == "chromosome" and not _is_bed(data):
        extra.append(chrom_col)
    kw = dict(id_col=id_col, labels=labels, genome=genome, flank=flank, iupac=iupac)
    df = load_sequence_table(data, seq_col, label_col, extra_cols=extra, errors=errors, **kw)
    parts = {"train": df}
    data_files = [data]
    for name, path in (("valid", valid), ("test", test)):
        if path is not None:
            errs = RowErrors(path)
            parts[name] = load_sequence_table(path, seq_col, label_col, errors=errs, **kw)
            errors.extend(errs)
            data_files.append(path)
    if len(df) == 0:
        errors.write(run / "errors.csv")
        raise NoUsableRowsError(
            f"{data}: no usable rows ({len(errors)} rejected)",
            hint=f"first problems:\n{errors.summary()}",
        )
    if task == "auto":
        task = infer_task(df["label"])
    if valid is not None or test is not None:
        split_name = "files"
        if "valid" not in parts:
            labels_arr = df["label"].astype(str).to_numpy()
            sp = make_split(
                "stratified" if task != "regression" else "random",
                len(df),
                fractions=(0.9, 0.1, 0.0),
                seed=seed,
                y=labels_arr,
            )
            parts["valid"] = df.iloc[sp.valid]
            parts["train"] = df.iloc[sp.train]
        if "test" not in parts:
            parts["test"] = df.iloc[[]]
    else:
        split_name = split or (
            "predefined" if split_col else ("stratified" if task != "regression" else "random")
        )
        kwargs: dict[str, Any] = {}
        if split_name == "predefined":
            if not split_col:
                raise ConfigError(
                    "the predefined split needs --split-col COLUMN (train/valid/test values)"
                )
            kwargs["assignment"] = df[split_col].astype(str).to_numpy()
        elif split_name == "stratified":
            kwargs["y"] = df["label"].astype(str).to_numpy()
        elif split_name == "chromosome":
            kwargs.update(
                groups=df["chrom"].astype(str).to_numpy(),
                test_chroms=test_chroms,
                valid_chroms=valid_chroms,
            )
        sp = make_split(split_name, len(df), fractions=fractions, seed=seed, **kwargs)
        parts = {"train": df.iloc[sp.train], "valid": df.iloc[sp.valid], "test": df.iloc[sp.test]}
    leaked = drop_shared_sequences(parts)
    train_df = parts["train"]
    if len(train_df) == 0:
        raise NoUsableRowsError(
            "the training part of the split is empty", hint="check the split options"
        )
    est = make_sequence_model(
        model,
        task=task,
        epochs=epochs,
        lr=lr,
        batch_size=batch_size,
        patience=patience,
        rc_augment=rc_augment,
        seed=seed,
        device=device,
        threads=threads,
        quiet=quiet,
        checkpoint_dir=str(run / "checkpoints"),
        arch_params=arch_params,
    )
    vdf = parts["valid"]
    est.fit(
        list(train_df["sequence"]),
        train_df["label"].to_numpy(),
        valid=(list(vdf["sequence"]), vdf["label"].to_numpy()) if len(vdf) else None,
    )
    est.save(run / "model")
    shutil.rmtree(run / "checkpoints", ignore_errors=True)  # finished: a rerun starts afresh
    classes = getattr(est, "classes_", None)
    metrics: dict[str, Any] = {}
    preds: dict[str, np.ndarray] = {}
    for name in ("valid", "test"):
        part = parts[name]
        if len(part) == 0:
            continue
        preds[name] = est.predict(list(part["sequence"]))
        metrics[name] = _metrics(task, part["label"].to_numpy(), preds[name], classes)
    conformal = None
    if "valid" in preds:
        conformal = fit_conformal(
            task, parts["valid"]["label"].to_numpy(), preds["valid"], classes, coverage
        )
        save_json(conformal, run / "conformal.json")
        if "test" in preds and _conformal_ok(conformal):
            metrics["test"].update(
                _conformal_metrics(
                    conformal, task, parts["test"]["label"].to_numpy(), preds["test"], classes
                )
            )
    run.save_metrics(metrics)
    history = getattr(est, "history", [])
    save_json(history, run / "history.json")
    config = {
        "command": "dna train",
        "data": str(data),
        "valid": str(valid) if valid else None,
        "test": str(test) if test else None,
        "seq_col": seq_col,
        "label_col": label_col,
        "model": model,
        "task": task,
        "split": split_name,
        "split_col": split_col,
        "test_chroms": test_chroms,
        "valid_chroms": valid_chroms,
        "fractions": list(fractions),
        "sizes": {k: len(v) for k, v in parts.items()},
        "classes": classes,
        "epochs": epochs,
        "lr": lr,
        "batch_size": batch_size,
        "patience": patience,
        "rc_augment": rc_augment,
        "seed": seed,
        "device": device,
        "threads": threads,
        "iupac": iupac,
        "genome": str(genome) if genome else None,
        "flank": flank,
        "train_seconds": getattr(est, "train_seconds", None),
        "rows_rejected": len(errors),
        "duplicates_removed": leaked,
    }
    run.save_config(config)
    run.save_versions([f for f in data_files if f is not None])
    errors.write(run / "errors.csv")
    if "test" in preds:
        write_table(
            _prediction_frame(
                parts["test"], preds["test"], task, classes, keep_label=True, conformal=conformal
            ),
            run / "predictions_test.csv",
        )
    if report:
        _write_report(run, task, parts, preds, metrics, history, classes, config)
    _write_card(run, config, metrics)
    return metrics


def _prediction_frame(
    df, pred: np.ndarray, task: str, classes, keep_label: bool = False, conformal=None
):
    import pandas as pd

    out = pd.DataFrame({"line": df.index, "id": df["id"].to_numpy()})
    if keep_label and "label" in df.columns:
        out["label"] = df["label"].to_numpy()
    if task == "binary":
        out[f"prob_{classes[1]}"] = pred
        out["predicted_label"] = [classes[int(p >= 0.5)] for p in pred]
    elif task == "multiclass":
        for k, c in enumerate(classes):
            out[f"prob_{c}"] = pred[:, k]
        out["predicted_label"] = [classes[i] for i in np.asarray(pred).argmax(axis=1)]
    else:
        out["prediction"] = pred
    if _conformal_ok(conformal):
        for key, values in apply_conformal(conformal, task, pred, classes).items():
            out[key] = values
    return out


def _write_report(run, task, parts, preds, metrics, history, classes, config) -> None:
    from helixforge.core.report import Report, confusion_figure

    rep = Report(
        f"DNA sequence model — {config['model']} ({task})", subtitle=f"data: {config['data']}"
    )
    rep.add_heading("Metrics")
    rep.add_metrics(metrics)
    rep.add_text(
        f"Split: {config['split']}; sizes {config['sizes']}; rows rejected: {config['rows_rejected']} (errors.csv)."
    )
    rep.add_heading("Training")
    rep.add_learning_curves(history, "loss per epoch")
    if "test" in preds:
        y = parts["test"]["label"].to_numpy()
        if task == "binary":
            index = {c: i for i, c in enumerate(classes)}
            rep.add_classification(
                np.array([index[_plain_label(v)] for v in y]), preds["test"], name="test"
            )
        elif task == "multiclass":
            rep.add_heading("Classification — test")
            pred_lab = [str(classes[i]) for i in preds["test"].argmax(axis=1)]
            rep.add_figure(
                confusion_figure(np.array([str(_plain_label(v)) for v in y]), np.array(pred_lab)),
                "confusion matrix",
            )
        else:
            rep.add_regression(np.asarray(y, float), preds["test"], name="test")
    rep.write(run / "report.html")


def _write_card(run, config, metrics) -> None:
    test = metrics.get("test") or metrics.get("valid") or {}
    shown = ", ".join(f"{k}={v:.3f}" for k, v in test.items() if isinstance(v, float))
    run.write_card(
        f"DNA sequence model: {config['model']}",
        {
            "Data": f"{config['data']} (sequence column '{config['seq_col']}', label '{config['label_col']}'); split: {config['split']}, sizes {config['sizes']}.",
            "Model": f"{config['model']} for a {config['task']} task; reverse-complement augmentation {'on' if config['rc_augment'] else 'off'}; predictions average both strands.",
            "Metrics": shown or "no held-out part",
            "Intended use and limits": "Sequences like the training data (same length range, same organism and assay). "
            "Scores are not calibrated across datasets; a CNN sees only its input window.",
        },
    )


def predict_sequences(
    run: str | os.PathLike,
    input: str | os.PathLike,
    out: str | os.PathLike,
    seq_col: str = "sequence",
    *,
    id_col: str | None = None,
    genome: str | os.PathLike | None = None,
    flank: int = 0,
    iupac: str = "error",
    device: str = "cpu",
    chunk_size: int = 20000,
):
    """Predict every sequence of `input` (table / FASTA / BED+genome) with a trained run.

    Writes `out` (line, id, prob_<class>… / prediction) and `<out stem>.errors.csv` with the rows
    that could not be scored (bad characters, longer than the model accepts). Returns the frame.
    """
    import pandas as pd

    from helixforge.core.tables import write_table
    from helixforge.dna.models import load_sequence_model

    model = load_sequence_model(_model_dir(run), device=device)
    errors = RowErrors(input)
    max_len = getattr(model, "max_len", None)
    df = load_sequence_table(
        input,
        seq_col,
        None,
        id_col=id_col,
        genome=genome,
        flank=flank,
        iupac=iupac,
        max_len=max_len,
        errors=errors,
    )
    task = getattr(model, "task", "binary")
    classes = getattr(model, "classes_", None)
    conformal = _load_conformal(run)
    frames = []
    for start in range(0, len(df), chunk_size):
        part = df.iloc[start : start + chunk_size]
        frames.append(
            _prediction_frame(
                part, model.predict(list(part["sequence"])), task, classes, conformal=conformal
            )
        )
    out_path = Path(out)
    err_path = out_path.with_name(out_path.name.split(".")[0] + ".errors.csv")
    errors.write(err_path)
    if not frames:
        raise NoUsableRowsError(
            f"{input}: no sequence could be scored", hint=f"see {err_path}:\n{errors.summary()}"
        )
    result = pd.concat(frames, ignore_index=True)
    write_table(result, out_path)
    return result


def evaluate_sequences(
    run: str | os.PathLike,
    data: str | os.PathLike,
    seq_col: str = "sequence",
    label_col: str = "label",
    *,
    id_col: str | None = None,
    labels: str | os.PathLike | None = None,
    genome: str | os.PathLike | None = None,
    iupac: str = "error",
    out: str | os.PathLike | None = None,
    device: str = "cpu",
) -> dict[str, float]:
    """Score a trained run on labelled data; with `out`, also write metrics.json, predictions and
    report.html there. Returns the metrics."""
    from helixforge.core.artifacts import RunDir
    from helixforge.core.tables import write_table
    from helixforge.dna.models import load_sequence_model

    model = load_sequence_model(_model_dir(run), device=device)
    errors = RowErrors(data)
    df = load_sequence_table(
        data,
        seq_col,
        label_col,
        id_col=id_col,
        labels=labels,
        genome=genome,
        iupac=iupac,
        max_len=getattr(model, "max_len", None),
        errors=errors,
    )
    if len(df) == 0:
        raise NoUsableRowsError(f"{data}: no usable labelled rows", hint=errors.summary())
    task = getattr(model, "task", "binary")
    classes = getattr(model, "classes_", None)
    pred = model.predict(list(df["sequence"]))
    metrics = _metrics(task, df["label"].to_numpy(), pred, classes)
    conformal = _load_conformal(run)
    if _conformal_ok(conformal):
        metrics.update(_conformal_metrics(conformal, task, df["label"].to_numpy(), pred, classes))
    metrics["rows_rejected"] = len(errors)
    if out is not None:
        rd = RunDir(out)
        rd.save_metrics({"evaluation": metrics})
        errors.write(rd / "errors.csv")
        write_table(
            _prediction_frame(df, pred, task, classes, keep_label=True, conformal=conformal),
            rd / "predictions.csv",
        )
        _write_report(
            rd,
            task,
            {"test": df},
            {"test": pred},
            {"evaluation": metrics},
            [],
            classes,
            {
                "model": str(run),
                "data": str(data),
                "split": "evaluation",
                "sizes": {"test": len(df)},
                "rows_rejected": len(errors),
            },
        )
    return metrics


__all__ = [
    "load_sequence_table",
    "infer_task",
    "train_sequence_model",
    "predict_sequences",
    "evaluate_sequences",
]
