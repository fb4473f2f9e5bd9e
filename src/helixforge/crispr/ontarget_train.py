"""Train an on-target model on a user's screen, through the supervised-run layer.

    summary = train_ontarget("screen.csv", "context", "lfc", kind="gbm", out="my_model")

crispr supplies the reader (contexts and activities; bad rows → errors.csv with their file
line), the label transform and the split; `helixforge.core.supervised.train_supervised` does the
rest and writes the run directory every training verb writes: config.json, versions.json,
model/ (member_<i>/ + manifest.json), conformal.json, metrics.json, predictions.csv (every
usable input row with its columns, `split`, `<label>_pred`, `_std`, `_lower`, `_upper`,
`n_merged`), errors.csv, conflicts.csv, card.md and report.html, built in a staging directory
and swapped in.

Duplicates (`merge_duplicate_contexts`): rows with one context in one group are merged into the
first, with their mean activity, as `chem train` merges duplicate molecules; disagreeing ones
go to conflicts.csv and a note names the worst. `helix crispr score-ontarget --model
RUN_DIR` scores with the run.

Labels: with ``target_transform="rank"`` (default) each activity becomes its rank percentile
× 100 within its group (`group_col`, e.g. study or library; one group without it), ranked
separately among the fitted rows (train + valid) and among the held-out test rows, so no test
label shapes a training target. With ``"none"`` the raw activities are fitted.

Split (`spacer_split`): a random `test_fraction` of the distinct spacers is held out; 10 % of
the remaining rows (whole spacers) are the validation part, used for early stopping and the
conformal calibration; every copy of a spacer stays in one part.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import numpy as np

from helixforge.core.errors import NoUsableRowsError, RowErrors
from helixforge.core.io import check_not_input
from helixforge.crispr.ontarget_features import SHORT_LENGTH, encode_contexts, rank_normalize
from helixforge.crispr.ontarget_models import CNN_DEFAULTS, GBM_DEFAULTS

MIN_ROWS = 20
VALID_SHARE = 0.1  # of the rows that are not held out: early stopping + conformal calibration

# --param ranges, so a value LightGBM or torch would refuse mid-run (with a traceback) is a
# ConfigError before any work: key -> (low, high, low_open); ints are checked as ints.
PARAM_RANGES: dict[str, tuple[float | None, float | None, bool]] = {
    "n_estimators": (1, None, False),
    "learning_rate": (0, None, True),
    "num_leaves": (2, None, False),
    "min_child_samples": (0, None, False),
    "colsample_bytree": (0, 1, True),
    "subsample": (0, 1, True),
    "subsample_freq": (0, None, False),
    "reg_lambda": (0, None, False),
    "channels": (1, None, False),
    "hidden": (1, None, False),
    "dropout": (0, 1, False),
    "epochs": (1, None, False),
    "lr": (0, None, True),
    "weight_decay": (0, None, False),
    "batch_size": (1, None, False),
    "patience": (1, None, False),
}


def check_param_ranges(params: dict[str, Any], defaults: dict[str, Any]) -> dict[str, Any]:
    """`params` type-checked against `defaults` and range-checked (PARAM_RANGES): a negative
    learning rate, zero trees or a dropout above 1 is a ConfigError naming the --param."""
    from helixforge.core.errors import ConfigError
    from helixforge.core.options import check_param_types, require_float, require_int

    out = check_param_types(params, defaults)
    for key, value in out.items():
        if key not in PARAM_RANGES:
            continue
        low, high, low_open = PARAM_RANGES[key]
        try:
            if isinstance(defaults[key], int):
                require_int(value, f"--param {key}", min_value=low, max_value=high)
            else:
                require_float(value, f"--param {key}", low=low, high=high, low_open=low_open)
        except ConfigError as exc:
            raise ConfigError(exc.message, hint=f"the default is {key}={defaults[key]}") from None
    return out


def _read_rows(data, context_col: str, target_col: str, group_col: str | None):
    """The table, its labels, its errors (bad contexts, labels, lines) and the usable rows."""
    from helixforge.core.errors import InputError
    from helixforge.core.tables import skipped_line_errors, to_numeric_column
    from helixforge.crispr.guide_tables import looks_like_fasta, read_guide_table
    from helixforge.crispr.ontarget_features import CONTEXT_LENGTH

    if looks_like_fasta(data):
        raise InputError(
            f"{data}: a FASTA file holds sequences but no activities to train on",
            hint="give a table (csv / tsv / parquet) with a context column and an activity column",
        )
    cols = [context_col, target_col] + ([group_col] if group_col else [])
    # a missing context column: the hint names the columns holding 30- / 23-mers
    df = read_guide_table(data, cols, lengths=(CONTEXT_LENGTH, SHORT_LENGTH))
    errors = RowErrors(data)
    errors.extend(skipped_line_errors(df, data))
    y, bad = to_numeric_column(df, target_col, source=str(data))
    for row in df.index[bad.to_numpy()]:
        errors.add(int(row), target_col, df.at[row, target_col], "label is not a number")
    for row in df.index[(y.isna() & ~bad).to_numpy()]:
        errors.add(int(row), target_col, None, "label is empty")
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


def split_fractions(test_fraction: float) -> tuple[float, float, float]:
    """(train, valid, test) fractions of the spacer split for a held-out `test_fraction`."""
    fit = 1.0 - test_fraction
    return (fit * (1 - VALID_SHARE), fit * VALID_SHARE, test_fraction)


def _unique_name(name: str, taken) -> str:
    while name in taken:
        name += "_"
    return name


def _check_activities_vary(target: np.ndarray, given, data, target_col: str) -> None:
    """One activity for every usable row is a `ConfigError` showing it as the file writes it
    (the check after rank normalisation showed the rank, 50.0, whatever the file held)."""
    from helixforge.core.errors import ConfigError

    if len(target) and np.all(target == target[0]):
        raise ConfigError(
            f"--label-col {target_col}: every usable row of {data} has the same activity "
            f"({given.iloc[0]!r}); there is nothing to learn",
            hint="check the label column; a model needs activities that vary",
        )


def _alone_in_group(groups: np.ndarray) -> np.ndarray:
    """Rows that are the only one of their group (among the rows ranked together)."""
    _, inverse, counts = np.unique(groups.astype(str), return_inverse=True, return_counts=True)
    return counts[inverse] == 1


def _alone_note(alone: np.ndarray, data, group_col: str) -> str:
    """How many rows got the rank 50 because their --group-col group holds only them; every
    row alone is a `ConfigError` (all labels 50: it was refused as 'the same label (50.0)',
    which named the label column, not the grouping)."""
    from helixforge.core.errors import ConfigError

    if alone.all():
        raise ConfigError(
            f"--group-col {group_col}: every usable row of {data} is alone in its group (among "
            "the fitted or the test rows), so its rank within the group says nothing (50)",
            hint="group by the screen, cell line or gene the activities were measured in, or "
            "leave --group-col out (or use --raw-target)",
        )
    return (
        f"{int(alone.sum())} of {len(alone)} rows are alone in their {group_col!r} group among "
        "the rows ranked with them: their label is the rank 50, which says nothing of the guide"
    )


def ontarget_data(
    data: str | os.PathLike,
    context_col: str,
    target_col: str,
    *,
    group_col: str | None = None,
    target_transform: str = "rank",
    test_fraction: float = 0.1,
    seed: int = 0,
):
    """The `LabelledData` of a screen, its spacer split (the one `train_supervised`
    recomputes from the same seed) and the number of input rows. Labels are per-group rank percentiles × 100 (see the
    module docstring) or the raw activities."""
    from helixforge.core.splits import make_split
    from helixforge.core.supervised import LabelledData
    from helixforge.crispr import ontarget_estimator  # noqa: F401 - registers the "spacer" split

    df, y, errors, keep = _read_rows(data, context_col, target_col, group_col)
    if keep.sum() < MIN_ROWS:
        raise NoUsableRowsError(
            f"{data}: only {int(keep.sum())} usable rows (need at least {MIN_ROWS})",
            hint=errors.summary(3) or "add rows",
        )
    frame = df.loc[keep].copy()
    raw = frame[context_col].astype(str).str.strip().str.upper()
    ctx = [("NNNN" + s + "NNN") if len(s) == SHORT_LENGTH else s for s in raw]
    target, notes = y[keep], []
    _check_activities_vary(target, frame[target_col], data, target_col)
    frame, ctx, target, conflicts, note = merge_duplicate_contexts(
        frame, ctx, target, target_col, group_col
    )
    if note:
        notes.append(note)
    spacers = [s[4:24] for s in ctx]
    fractions = split_fractions(test_fraction)
    sp = make_split("spacer", len(ctx), spacers=spacers, fractions=fractions, seed=seed)
    if target_transform == "rank":
        groups = frame[group_col].to_numpy() if group_col else None
        labels = np.full(len(target), np.nan)
        alone = np.zeros(len(target), dtype=bool)
        for idx in (np.concatenate([sp.train, sp.valid]), sp.test):
            g = None if groups is None else groups[idx]
            labels[idx] = 100.0 * rank_normalize(target[idx], g)
            if g is not None:
                alone[idx] = _alone_in_group(g)
        if group_col and alone.any():
            notes.append(_alone_note(alone, data, group_col))
        frame[_unique_name(f"{target_col}_rank_pct", frame.columns)] = labels
        within = f"within each {group_col!r} group" if group_col else "over all rows"
        notes.append(
            f"labels: rank percentile × 100 of {target_col!r} {within}, ranked separately "
            "among the fitted (train + valid) and the test rows; predictions are 0-100 scores"
        )
    else:
        labels = target
    ld = LabelledData(
        frame=frame,
        inputs=ctx,
        y=labels,
        targets=[target_col],
        task_types=["regression"],
        errors=errors,
        split_args={"spacers": spacers},
        valid_splitter="spacer",
        tables={CONFLICTS_FILE: conflicts},
        notes=notes,
        source=str(data),
        input_col=context_col,
    )
    return ld, sp, int(len(df) + len(df.attrs.get("skipped_lines", {})))


CONFLICTS_FILE = "conflicts.csv"
CONFLICT_COLUMNS = ["context", "group", "target", "rows", "values", "merged", "reason"]
CONFLICT_SD = 0.5  # a merged group disagrees when its spread exceeds this × the activities' SD


def merge_duplicate_contexts(
    frame, contexts: list[str], target: np.ndarray, target_col: str, group_col: str | None
):
    """Rows with the same context (and the same `group_col` group: one guide measured in two
    screens is two measurements, ranked apart) merged into the first of them, as `chem train`
    merges duplicate molecules: the activity is their mean, `n_merged` counts them, the other
    columns keep the first row's values. A group whose activities spread over more than
    `CONFLICT_SD` × the standard deviation of all activities is a conflict (the activities'
    units are the user's, so the tolerance is in SDs): one row of conflicts.csv each.

    Returns (frame, contexts, activities, conflicts, note) — the note (None without
    duplicates) says how many rows were merged, how many groups disagree and the worst one."""
    import pandas as pd

    keys = pd.Series(contexts, index=frame.index)
    if group_col:
        keys = keys + "\t" + frame[group_col].astype(str)
    first_pos = pd.Series(np.arange(len(keys)), index=frame.index).groupby(keys.to_numpy()).min()
    counts = keys.value_counts()
    if counts.max() == 1:
        frame = frame.assign(n_merged=1)
        return frame, contexts, target, pd.DataFrame(columns=CONFLICT_COLUMNS), None
    inverse = first_pos.reindex(keys.to_numpy()).to_numpy()  # each row's first position
    firsts = np.unique(inverse)
    sums = np.zeros(len(keys))
    np.add.at(sums, inverse, target)
    n = np.bincount(inverse, minlength=len(keys))
    merged_target = sums[firsts] / n[firsts]
    sd = float(np.std(target))
    tolerance = CONFLICT_SD * sd
    rows_of: dict[int, list[int]] = {}
    for pos, f in enumerate(inverse):
        rows_of.setdefault(int(f), []).append(pos)
    conflicts, worst = [], None
    for f, positions in rows_of.items():
        if len(positions) < 2:
            continue
        values = target[positions]
        spread = float(values.max() - values.min())
        if spread > tolerance:
            row_numbers = [int(frame.index[p]) for p in positions]
            conflicts.append(
                [
                    contexts[f],
                    frame[group_col].iloc[f] if group_col else None,
                    target_col,
                    ";".join(map(str, row_numbers)),
                    ";".join(f"{v:g}" for v in values),
                    float(values.mean()),
                    f"spread {spread:.3g} > {CONFLICT_SD:g} × SD of the activities "
                    f"({tolerance:.3g})",
                ]
            )
            if worst is None or spread > worst[0]:
                worst = (spread, contexts[f], row_numbers, values)
    out = frame.iloc[firsts].copy()
    out[target_col] = merged_target
    out["n_merged"] = n[firsts]
    n_dup = int((n[inverse] > 1).sum())
    n_into = int((n[firsts] > 1).sum())
    note = (
        f"{n_dup} rows repeat a context"
        + (f" within their {group_col!r} group" if group_col else "")
        + f" and were merged into {n_into} (mean {target_col!r}; n_merged in predictions.csv)"
    )
    if conflicts:
        spread, ctx, rows, values = worst
        shown = ", ".join(f"{v:g}" for v in values)
        note += (
            f"; {len(conflicts)} of them disagree by more than {CONFLICT_SD:g} SD of the "
            f"activities ({tolerance:.3g}), listed in conflicts.csv; the worst: {ctx} "
            f"(rows {', '.join(map(str, rows))}: {shown}; spread {spread:.3g} = "
            f"{spread / sd:.2g} SD)"
        )
    return (
        out,
        [contexts[f] for f in firsts],
        merged_target,
        pd.DataFrame(conflicts, columns=CONFLICT_COLUMNS),
        note,
    )


def card_limits(target_transform: str) -> str:
    """The card's "intended use and limits" for an on-target run."""
    scale = (
        "labels are per-group rank percentiles × 100, and `<label>_pred` is the 0-100 score"
        if target_transform == "rank"
        else "labels are the raw activities and `<label>_pred` the model's raw output; "
        "score-ontarget reports the 0-100 score"
    )
    return (
        f"Ranking SpCas9 guides by on-target activity. Here {scale}: the percentile of the "
        "guide among the training-set predictions (higher = more active), not an indel "
        "frequency. Held-out rows are grouped by spacer. Use: helix crispr score-ontarget "
        "GUIDES.csv --model THIS_DIR -o scored.csv"
    )


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
    ensemble: int = 1,
    coverage: float = 0.9,
    n_jobs: int = 0,
    device: str = "auto",
    overwrite: bool = False,
    report: bool = True,
    quiet: bool = True,
) -> dict[str, Any]:
    """Train an on-target model on a user table and write a run directory to `out` (see the
    module docstring). Returns a summary: rows_in, n_rejected, n_train / n_valid / n_test,
    test_spearman (+ a bootstrap 95 % CI), test_pearson, test_coverage, run_dir."""
    from helixforge.core.io import check_output, staging_path
    from helixforge.core.options import require_choice, require_float, require_int
    from helixforge.core.supervised import train_supervised
    from helixforge.crispr.ontarget_estimator import OnTargetEstimator

    require_choice(kind, "--model", ["gbm", "cnn"])
    require_choice(target_transform, "target transform", ["rank", "none"])
    require_float(test_fraction, "--test-fraction", low=0, high=1, low_open=True, high_open=True)
    require_int(ensemble, "--ensemble", min_value=1)
    require_float(coverage, "--coverage", low=0, high=1, low_open=True, high_open=True)
    params = check_param_ranges(params or {}, GBM_DEFAULTS if kind == "gbm" else CNN_DEFAULTS)
    check_not_input(out, [data])
    out = check_output(out, overwrite=overwrite, kind="dir")
    ld, sp, rows_in = ontarget_data(data, context_col, target_col, group_col=group_col,
                           target_transform=target_transform, test_fraction=test_fraction,
                           seed=seed)  # fmt: skip
    n_fit = len(sp.train) + len(sp.valid)
    if n_fit < MIN_ROWS // 2 or len(sp.test) < 2:
        raise NoUsableRowsError(
            f"{data}: {n_fit} training and {len(sp.test)} held-out rows after the split",
            hint="add rows or change --test-fraction",
        )
    if kind == "gbm" and "min_child_samples" not in params:
        params, note = small_screen_leaf(params, len(sp.train))
        ld.notes.extend([note] if note else [])
    target = "rank" if target_transform == "rank" else "raw"
    shutil.rmtree(staging_path(out), ignore_errors=True)  # left by a killed run: start clean
    run = train_supervised(
        ld,
        lambda: OnTargetEstimator(
            kind, params=params, target=target, n_threads=n_jobs or None, device=device
        ),  # fmt: skip
        domain="crispr",
        model_name=kind,
        out=out,
        split="spacer",
        fractions=split_fractions(test_fraction),
        ensemble=ensemble,
        seed=seed,
        coverage=coverage,
        overwrite=overwrite,
        config={
            "task": "crispr on-target regression",
            "data_sha256": _sha(data),
            "label_col": target_col,
            "group_col": group_col,
            "params": {**(GBM_DEFAULTS if kind == "gbm" else CNN_DEFAULTS), **params},
            "target_transform": target_transform,
            "test_fraction": test_fraction,
            "device": device,
            "rows_in": rows_in,
            "rows_used": len(ld),
            "rows_rejected": len(ld.errors.rows()),
            "card_limits": card_limits(target_transform),
        },
        report=report,
        quiet=quiet,
    )
    return _summary(run, ld, sp, target_col, rows_in, seed)


def small_screen_leaf(params: dict[str, Any], n_train: int) -> tuple[dict[str, Any], str | None]:
    """`params` with LightGBM's leaf size (min_child_samples, default 30) lowered to a quarter
    of the `n_train` training rows (at least 5) when the default leaves no split possible
    (fewer than 4 × 30 rows: a tree needs two leaves' worth of its bagged rows), and the note
    that says so; unchanged (note None) for larger screens. A 60-row screen trained a model with
    no split: one score (100) for every guide, reported as a success."""
    default = GBM_DEFAULTS["min_child_samples"]
    leaf = max(5, n_train // 4)
    if leaf >= default:
        return params, None
    note = (
        f"min_child_samples lowered from {default} to {leaf} for {n_train} training rows: "
        f"LightGBM's leaves of {default} rows leave no split in a screen this small; set "
        "--param min_child_samples=N to choose"
    )
    return {**params, "min_child_samples": leaf}, note


def _sha(path) -> str | None:
    from helixforge.core.artifacts import sha256_file

    return sha256_file(path) if Path(path).is_file() else None


def _summary(run, ld, sp, target_col: str, rows_in: int, seed: int) -> dict[str, Any]:
    """The numbers the CLI prints (metrics.json has them all), with a bootstrap CI of the
    held-out Spearman."""
    import pandas as pd

    from helixforge.core.metrics import bootstrap_ci, spearman

    test = run.metrics.get("test", {}).get(target_col, {})
    summary: dict[str, Any] = {
        "rows_in": rows_in,
        "n_rejected": len(ld.errors.rows()),
        "n_train": len(sp.train),
        "n_valid": len(sp.valid),
        "n_test": len(sp.test),
        "test_spearman": test.get("spearman"),
        "test_pearson": test.get("pearson"),
        "test_coverage": test.get("coverage"),
        "test_interval_width": test.get("interval_width"),
        "run_dir": str(run.run_dir),
    }
    if len(sp.test) > 10:
        preds = pd.read_csv(run.run_dir / "predictions.csv")
        pred = preds[f"{target_col}_pred"].to_numpy(float)[sp.test]
        ci = bootstrap_ci(spearman, ld.y[sp.test, 0], pred, n_boot=300, seed=seed)
        summary["test_spearman_ci95"] = list(ci)
    return summary
