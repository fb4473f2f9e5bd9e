"""Train an on-target model on a user's screen and write a run directory.

    metrics = train_ontarget("screen.csv", "context", "lfc", kind="gbm", out="my_model")

The run directory has the same shape as every training verb's:

    config.json      the resolved options, the input's sha256 and row counts
    versions.json    library versions and the data checksum
    model/           the model (config.json + LightGBM model.txt or CNN model.safetensors)
    metrics.json     held-out Spearman / Pearson (with a bootstrap CI)
    predictions.csv  every usable input row (all its columns), `split` and `<label>_pred`
    errors.csv       rows that could not be used (file line, column, value, reason)
    card.md          the model card;  report.html  parity plot and metrics

It is built in a staging directory beside `out` and swapped in when finished
(`core.io.staging_dir`), so a crash never leaves a half-written run at `out`, and an existing
run is replaced only with `overwrite=True`. `score_ontarget(..., model=str(out))` uses it.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from helixforge.core.errors import NoUsableRowsError, RowErrors
from helixforge.crispr.ontarget_features import SHORT_LENGTH, encode_contexts, rank_normalize
from helixforge.crispr.ontarget_models import CNN_DEFAULTS, GBM_DEFAULTS, OnTargetModel

MIN_ROWS = 20


def _spacer_holdout(
    spacers: Sequence[str], fraction: float, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """Random (train, test) row indices with every copy of a spacer on the same side."""
    uniq, inverse = np.unique(np.asarray(spacers), return_inverse=True)
    is_test = np.random.default_rng(seed).random(len(uniq)) < fraction
    return np.flatnonzero(~is_test[inverse]), np.flatnonzero(is_test[inverse])


def _read_rows(data, context_col: str, target_col: str, group_col: str | None):
    """The table, its errors (bad contexts, labels, lines) and the mask of usable rows."""
    from helixforge.core.tables import read_table, skipped_line_errors, to_numeric_column

    cols = [context_col, target_col] + ([group_col] if group_col else [])
    df = read_table(data, columns=cols)
    errors = RowErrors(data)
    errors.extend(skipped_line_errors(df, data))
    y, bad = to_numeric_column(df, target_col)
    for row in df.index[bad.to_numpy()]:
        errors.add(int(row), target_col, df.at[row, target_col], "label is not a number")
    for row in df.index[(y.isna() & ~bad).to_numpy()]:
        errors.add(int(row), target_col, None, "label is empty")
    inf = ~np.isfinite(y.to_numpy()) & y.notna().to_numpy()
    for row in df.index[inf]:
        errors.add(int(row), target_col, df.at[row, target_col], "label is infinite")
    _, valid = encode_contexts(
        df[context_col].tolist(), errors=errors, rows=df.index.tolist(), column=context_col
    )
    keep = valid & np.isfinite(y.to_numpy())
    if group_col:
        no_group = df[group_col].isna().to_numpy()
        for row in df.index[no_group & keep]:
            errors.add(int(row), group_col, None, "group is empty")
        keep &= ~no_group
    return df, y.to_numpy(), errors, keep


def train_ontarget(
    data: str | os.PathLike,
    context_col: str,
    target_col: str,
    kind: str = "gbm",
    out: str | os.PathLike = "ontarget_model",
    *,
    group_col: str | None = None,
    target_transform: str = "rank",
    test_fraction: float = 0.1,
    seed: int = 0,
    params: dict[str, Any] | None = None,
    n_jobs: int = 0,
    device: str = "auto",
    overwrite: bool = False,
    quiet: bool = True,
) -> dict[str, Any]:
    """Train an on-target model on a user table and write a run directory to `out` (see the
    module docstring). A random `test_fraction` of the usable rows (grouped by spacer, so
    duplicates never straddle) is held out and scored; the rest is fitted (with its own
    early-stopping split). Returns the metrics."""
    from helixforge.core.io import check_output, staging_dir
    from helixforge.core.options import check_param_types, require_choice, require_float

    require_choice(kind, "--model", ["gbm", "cnn"])
    require_choice(target_transform, "target transform", ["rank", "none"])
    require_float(test_fraction, "--test-fraction", low=0, high=1, low_open=True, high_open=True)
    params = check_param_types(params or {}, GBM_DEFAULTS if kind == "gbm" else CNN_DEFAULTS)
    out = check_output(out, overwrite=overwrite, kind="dir")
    df, y, errors, keep = _read_rows(data, context_col, target_col, group_col)
    if keep.sum() < MIN_ROWS:
        raise NoUsableRowsError(
            f"{data}: only {int(keep.sum())} usable rows (need at least {MIN_ROWS})",
            hint=errors.summary(3) or "add rows",
        )
    raw_ctx = df[context_col].astype(str).str.strip().to_numpy()
    ctx = [("NNNN" + s + "NNN") if len(s) == SHORT_LENGTH else s for s in raw_ctx[keep]]
    target = y[keep]
    groups = df.loc[keep, group_col].to_numpy() if group_col else None
    tr, te = _spacer_holdout([s[4:24].upper() for s in ctx], test_fraction, seed)
    if len(tr) < MIN_ROWS // 2 or len(te) < 2:
        raise NoUsableRowsError(
            f"{data}: {len(tr)} training and {len(te)} held-out rows after the split",
            hint="add rows or change --test-fraction",
        )
    model = OnTargetModel(kind, params=params, target_transform=target_transform, seed=seed,
                          n_threads=n_jobs or None, device=device)  # fmt: skip
    from helixforge.core.progress import progress

    with progress(f"training {kind}", total=None, quiet=quiet):
        model.fit([ctx[i] for i in tr], target[tr], None if groups is None else groups[tr])
    pred_all = model.predict(ctx)
    g_all = None if groups is None else groups
    y_scaled = target if target_transform == "none" else rank_normalize(target, g_all)
    y_test = target[te] if target_transform == "none" else rank_normalize(
        target[te], None if groups is None else groups[te]
    )  # fmt: skip
    metrics = _metrics(df, errors, tr, te, y_test, pred_all[te], seed)
    config = {
        "task": "crispr on-target regression", "data": str(data),
        "data_sha256": _sha(data), "input_col": context_col, "label_col": target_col,
        "group_col": group_col, "model": kind, "params": model.params,
        "target_transform": target_transform, "test_fraction": test_fraction, "seed": seed,
        "device": device, "rows_in": metrics["rows_in"], "rows_used": int(keep.sum()),
        "rows_rejected": metrics["n_rejected"],
    }  # fmt: skip
    import shutil

    from helixforge.core.io import staging_path

    shutil.rmtree(staging_path(out), ignore_errors=True)  # left by a killed run: start clean
    with staging_dir(out, keep_on_error=False) as stage:
        _write_run(stage, config, model, metrics, errors, df, keep, tr, te, pred_all, y_scaled,
                   target_col)  # fmt: skip
    return metrics


def _sha(path) -> str | None:
    from helixforge.core.artifacts import sha256_file

    return sha256_file(path) if Path(path).is_file() else None


def _metrics(df, errors, tr, te, y_test, pred, seed) -> dict[str, Any]:
    from helixforge.core.metrics import bootstrap_ci, pearson, spearman

    skipped = len(df.attrs.get("skipped_lines", {}))
    metrics = {
        "rows_in": int(len(df) + skipped), "n_rows": int(len(df) + skipped),
        "n_rejected": len(errors.rows()), "n_train": int(len(tr)), "n_test": int(len(te)),
        "test_spearman": spearman(y_test, pred), "test_pearson": pearson(y_test, pred),
    }  # fmt: skip
    if len(te) > 10:
        ci = bootstrap_ci(spearman, y_test, pred, n_boot=300, seed=seed)
        metrics["test_spearman_ci95"] = list(ci)
    return metrics


def _write_run(stage: Path, config, model, metrics, errors, df, keep, tr, te, pred, y_scaled,
               label: str) -> None:  # fmt: skip
    """Everything of a run directory, written into the staging directory."""
    from helixforge.core.artifacts import RunDir, save_json
    from helixforge.core.report import Report
    from helixforge.core.tables import write_table

    run = RunDir(stage)
    model.save(stage / "model")
    save_json(config, stage / "config.json")
    run.save_metrics(metrics)
    run.save_versions([config["data"]])
    errors.write(stage / "errors.csv")
    split = np.full(int(keep.sum()), "train", dtype=object)
    split[te] = "test"
    preds = df.loc[keep].copy()
    preds.insert(0, "row", preds.index)
    preds["split"] = split
    preds[f"{label}_pred"] = np.round(pred, 4)
    write_table(preds, stage / "predictions.csv")
    rep = Report(f"On-target model ({config['model']})", f"trained on {Path(config['data']).name}")
    rep.add_heading("Held-out metrics").add_metrics({k: v for k, v in metrics.items()
                                                     if not isinstance(v, list)})  # fmt: skip
    rep.add_regression(np.asarray(y_scaled)[te] * (100 if config["target_transform"] == "rank" else 1),
                       pred[te], name="test (score vs. per-group rank × 100)")  # fmt: skip
    rep.write(stage / "report.html")
    transform = ("per-group rank percentile" if config["target_transform"] == "rank"
                 else "none (raw values)")  # fmt: skip
    ci = metrics.get("test_spearman_ci95")
    run.write_card(
        f"On-target efficiency model ({config['model']}) trained on {Path(config['data']).name}",
        {
            "Training data": f"{config['data']} (sha256 {str(config['data_sha256'])[:12]}…): "
            f"column {config['input_col']!r} (context) and {label!r} (activity); "
            f"{metrics['n_train']} rows fitted, {metrics['n_rejected']} rejected (errors.csv).",
            "Target transform": transform,
            "Held-out evaluation": f"{metrics['n_test']} rows held out by spacer: Spearman "
            f"{metrics['test_spearman']:.3f}"
            + (f" (95 % CI {ci[0]:.3f}–{ci[1]:.3f})" if ci else "")
            + f", Pearson {metrics['test_pearson']:.3f}.",
            "Output scale": "0-100 percentile of the training-set predictions; higher = more "
            "active. Scores rank guides; they are not indel frequencies.",
            "Use": "helix crispr score-ontarget GUIDES.csv --model THIS_DIR -o scored.csv",
        },
    )
