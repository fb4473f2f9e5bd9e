"""The run directory every training verb writes, and its report and card.

config.json       resolved options, what `auto` chose, domain, task types, classes, split sizes
versions.json     library versions and the input file's sha256
timings.json      creation time and training seconds (the one file two identical runs differ in)
model/            member_<i>/ folders + manifest.json (size and sha256 of every file)
conformal.json    calibrators per target
metrics.json      {"train"|"valid"|"test": {target: {metric: value}}, "notes": [...]}
predictions.csv   the input's columns + row + split + prediction columns
errors.csv        rejected input rows (file, row, column, value, reason)
card.md           model card;  report.html  plots and tables
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from helixforge.core.splits import Split
from helixforge.core.supervised.columns import classes_of
from helixforge.core.supervised.data import LabelledData
from helixforge.core.supervised.ensemble import Ensemble
from helixforge.core.supervised.tasks import class_name


def write_run(
    stage: Path,
    *,
    data: LabelledData,
    ensemble: Ensemble,
    config: dict[str, Any],
    metrics: dict[str, Any],
    conformal: dict[str, Any],
    predictions: pd.DataFrame,
    split: Split,
    report: bool,
    extra_columns: list[str] | None = None,
    timing: dict[str, float] | None = None,
) -> Path | None:
    """Write every file of a run directory into `stage`; the report path (or None)."""
    from helixforge.core.artifacts import RunDir, save_json
    from helixforge.core.tables import write_table

    run = RunDir(stage)
    ensemble.save(stage / "model")
    save_json(conformal, stage / "conformal.json")
    data.errors.write(stage / "errors.csv")
    for name, table in data.tables.items():
        write_table(table, stage / name)
    write_table(predictions, stage / "predictions.csv")
    run.save_metrics(metrics)
    run.save_config(config)
    run.save_versions([data.source] if data.source else None)
    run.save_timing(**(timing or {}))
    write_card(run, config, metrics)
    if not report:
        return None
    histories = [
        getattr(m, "history_", None) or getattr(m, "history", None) for m in ensemble.members
    ]
    return write_report(
        stage / "report.html",
        config,
        metrics,
        data,
        split,
        predictions,
        extra_columns=extra_columns or [],
        history=next((h for h in histories if h), None),
    )


_MD_SPECIAL = set("\\`*[]<>|&")


def md_escape(text: Any) -> str:
    """`text` (a column, class or file name from the user's data) as literal Markdown: the
    characters that open inline HTML, an entity, emphasis, code, a link or a table cell get a
    backslash, so 'kind <b>|&' shows as typed instead of opening a bold tag."""
    text = " ".join(str(text).splitlines())  # a quoted CSV header may hold a line break
    return "".join("\\" + ch if ch in _MD_SPECIAL else ch for ch in text)


def _metric_value(k: str, v: Any) -> str | None:
    """One metric as the card shows it: a number, or 'n/a' where it is undefined on that part
    (NaN, or null read back from metrics.json); None for values that are not metrics."""
    if isinstance(v, bool) or not (v is None or isinstance(v, int | float | np.number)):
        return None
    if k == "n":
        return f"n={int(v)}"
    if v is None or np.isnan(v):
        return f"{k}=n/a"
    return f"{k}={v:.3f}"


def _metric_lines(metrics: dict[str, Any]) -> list[str]:
    lines = []
    for part in ("valid", "test"):
        for t, m in metrics.get(part, {}).items():
            if t.startswith("_"):
                continue
            if m.get("n", None) == 0:
                lines.append(
                    f"- {part} / {md_escape(t)}: n/a (no row of this part has both a label "
                    "and a prediction)"
                )
                continue
            shown = ", ".join(s for k, v in m.items() if (s := _metric_value(k, v)) is not None)
            lines.append(f"- {part} / {md_escape(t)}: {shown}")
    if any("=n/a" in line for line in lines):
        lines.append("")
        lines.append("n/a: undefined on that part (see Notes).")
    return lines


def write_card(run, config: dict[str, Any], metrics: dict[str, Any]) -> Path:
    """card.md: model, data, tasks, split, metrics (n/a where undefined), notes, uncertainty,
    intended use. Names from the user's data are Markdown-escaped."""
    limits = config.get("card_limits") or (
        "Predictions for inputs unlike the training data are extrapolations. Conformal coverage "
        "assumes calibration and new inputs are exchangeable; under a group split it can fall "
        "below the nominal level (see the test coverage in metrics.json)."
    )
    notes = [f"- {md_escape(n)}" for n in metrics.get("notes", [])]
    return run.write_card(
        f"Model card — {', '.join(md_escape(t) for t in config['targets'])}",
        {
            "Model": f"{config['model']} (requested: {config['model_requested']}), ensemble of "
            f"{config['ensemble']}, seed {config['seed']}; domain {config['domain']}.",
            "Data": f"{md_escape(config['data'])}; {config['n_rows']} rows used; "
            f"{config['n_rejected_rows']} rows rejected (errors.csv).",
            "Tasks": ", ".join(
                f"{md_escape(t)}: {tt}" for t, tt in zip(config["targets"], config["task_types"])
            ),
            "Split": f"{config['split']} {config['split_sizes']}",
            "Metrics": "\n".join(_metric_lines(metrics)) or "(no held-out metrics)",
            **({"Notes": "\n".join(notes)} if notes else {}),
            "Uncertainty": "Ensemble spread; split-conformal intervals / prediction sets at "
            f"{config['coverage']:.0%} coverage, calibrated on the validation split.",
            "Intended use and limits": limits,
        },
    )


def add_task_plots(rep, y: np.ndarray, preds: pd.DataFrame, config: dict[str, Any], part: str):
    """Parity / ROC-PR / confusion plots per target for rows `preds` (labels `y`)."""
    from helixforge.core.report import confusion_figure

    for j, (t, tt) in enumerate(zip(config["targets"], config["task_types"])):
        keep = np.isfinite(y[:, j])
        if not keep.any():
            rep.add_heading(f"{t} ({part})")
            rep.add_text(f"No labelled rows of {t} in the {part} part; its plots are skipped.")
            continue
        if tt == "regression":
            lo = preds[f"{t}_lower"].to_numpy(float)[keep] if f"{t}_lower" in preds else None
            hi = preds[f"{t}_upper"].to_numpy(float)[keep] if f"{t}_upper" in preds else None
            rep.add_regression(
                y[keep, j], preds[f"{t}_pred"].to_numpy(float)[keep], f"{t} ({part})", lo, hi
            )
        elif tt == "binary":
            rep.add_classification(
                y[keep, j],
                preds[f"{t}_prob"].to_numpy(float)[keep],
                name=f"{t} ({part})",
                labels=[class_name(c) for c in classes_of(t, tt, config.get("classes", {}))],
            )
        else:
            labels = classes_of(t, tt, config.get("classes", {}))
            proba = preds[[f"{t}_prob_{class_name(c)}" for c in labels]].to_numpy(float)[keep]
            rep.add_heading(f"Multiclass — {t} ({part})")
            rep.add_figure(
                confusion_figure(
                    y[keep, j].astype(int), proba.argmax(axis=1), [class_name(c) for c in labels]
                ),
                caption=f"Confusion matrix ({t} ({part}), most probable class)",
            )


def _is_nan(v: Any) -> bool:
    return isinstance(v, float | np.floating) and bool(np.isnan(v))


def metrics_table(metrics: dict[str, Any], targets: list[str]) -> pd.DataFrame:
    """One row per (split, target) with its metrics. A metric another target's task has but
    this one's does not (RMSE of a binary target in a multi-task run) is an empty cell; NaN
    stays NaN (undefined on that part: 'n/a' in the report)."""
    rows = []
    for part in ("train", "valid", "test"):
        for t in targets:
            if part in metrics and t in metrics[part]:
                rows.append({"split": part, "target": t, **metrics[part][t]})
    columns = list(dict.fromkeys(k for r in rows for k in r))
    if all(set(r) == set(columns) for r in rows):
        return pd.DataFrame(rows, columns=columns)
    return pd.DataFrame([{c: r.get(c, "") for c in columns} for r in rows], columns=columns)


def write_report(
    path: Path,
    config: dict[str, Any],
    metrics: dict[str, Any],
    data: LabelledData,
    split: Split,
    preds: pd.DataFrame,
    *,
    extra_columns: list[str] | None = None,
    history: list[dict[str, float]] | None = None,
) -> Path:
    """report.html: summary, metrics, plots of the test (else valid) part, learning curve,
    histograms of the domain's extra numeric columns, rejected rows."""
    from helixforge.core.report import Report, histogram_figure

    targets = config["targets"]
    rep = Report(
        f"{config['domain']} model — {', '.join(targets)}",
        f"{config['model']} × {config['ensemble']} · split {config['split']} · data {config['data']}",
    )
    rep.add_heading("Summary")
    rep.add_text(
        f"{config['n_rows']} rows used ({config['n_rejected_rows']} rows rejected, see "
        f"errors.csv). Split sizes: {split.sizes()}. Tasks: "
        + ", ".join(f"{t} ({tt})" for t, tt in zip(targets, config["task_types"]))
        + "."
    )
    if metrics.get("selection"):
        rep.add_text(
            "Model selection (cross-validated loss, lower is better): "
            + ", ".join(f"{k}={v:.4f}" for k, v in metrics["selection"].items())
        )
    for note in metrics.get("notes", []):
        rep.add_text(f"Note: {note}")
    rep.add_heading("Metrics")
    table = metrics_table(metrics, targets)
    if len(table):
        rep.add_table(table, na="n/a")
        if table.map(_is_nan).any().any():
            rep.add_text("n/a: undefined on that part (see the notes above).")
    idx, part = (split.test, "test") if len(split.test) else (split.valid, "valid")
    if len(idx):
        add_task_plots(rep, data.y[idx], preds.iloc[idx].reset_index(drop=True), config, part)
    if history:
        rep.add_heading("Learning curves")
        rep.add_learning_curves(history, name="ensemble member 0 (validation loss)")
    for c in extra_columns or []:
        v = preds[c].to_numpy()
        if len(idx) and v.dtype != bool and np.issubdtype(v.dtype, np.number):
            rep.add_heading(f"{c} ({part})")
            rep.add_figure(histogram_figure(v[idx].astype(float), f"{c} ({part})", c))
    if len(data.errors):
        rep.add_heading("Rejected rows (first 20)")
        rep.add_table(data.errors.to_frame().head(20))
    for name, extra in data.tables.items():
        if len(extra):
            rep.add_heading(f"{name} (first 20)")
            rep.add_table(extra.head(20))
    return rep.write(path)
