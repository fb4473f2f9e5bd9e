"""What a DNA supervised run writes, in the project's one naming.

For a label column T (a single unnamed label is "label"): `T_pred` (value, or predicted class),
`T_prob` (binary: probability of the positive class), `T_prob_<class>` (multiclass),
`T_lower` / `T_upper` (conformal interval, regression), `T_set` (conformal prediction set,
classes joined by "|"). Conformal metrics: `coverage`, `mean_set_size` / `interval_width`.
Prediction tables keep every input column.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from helixforge.core.errors import InputError
from helixforge.dna.models.labels import class_indices


def infer_task(labels: Sequence[Any]) -> str:
    """'binary' for two values, 'multiclass' for a few integer / text values, else 'regression'."""
    uniq = {str(v).strip() for v in labels}
    try:
        nums = np.array([float(v) for v in uniq])
    except ValueError:
        return "binary" if len(uniq) == 2 else "multiclass"
    if len(uniq) == 2:
        return "binary"
    if np.all(np.mod(nums, 1) == 0) and len(uniq) <= 20:
        return "multiclass"
    return "regression"


def proba_matrix(task: str, pred: np.ndarray) -> np.ndarray:
    p = np.asarray(pred, dtype=float)
    return np.column_stack([1 - p, p]) if task == "binary" else p


def score(task: str, y, pred: np.ndarray, classes) -> dict[str, float]:
    """Metrics of `pred` against labels `y` (core.metrics)."""
    from helixforge.core.metrics import (
        classification_metrics,
        multiclass_metrics,
        regression_metrics,
    )

    if task == "regression":
        return regression_metrics(np.asarray(y, float), pred)
    yi = class_indices(y, classes)
    if task == "binary":
        return classification_metrics(yi, pred)
    return multiclass_metrics(yi, pred)


def fit_conformal(task: str, y, pred: np.ndarray, classes, coverage: float = 0.9) -> dict:
    """Split-conformal calibration on held-out (validation) predictions (core.conformal)."""
    from helixforge.core.conformal import ClassificationConformal, RegressionConformal

    if task == "regression":
        return RegressionConformal(coverage=coverage).fit(y, pred).to_dict()
    yi = class_indices(y, classes).astype(float)
    return ClassificationConformal(coverage=coverage).fit(yi, proba_matrix(task, pred)).to_dict()


def conformal_ok(cal: dict | None) -> bool:
    """A usable calibration (too small a validation set gives q = inf, stored as null)."""
    q = None if cal is None else cal.get("q")
    return q is not None and bool(np.isfinite(q))


def apply_conformal(
    cal: dict, task: str, pred: np.ndarray, classes, target: str = "label"
) -> dict[str, Any]:
    """Conformal columns: `T_lower`/`T_upper` (regression) or `T_set` ('a|b')."""
    q = cal["q"]
    if task == "regression":
        p = np.asarray(pred, float)
        return {f"{target}_lower": p - q, f"{target}_upper": p + q}
    inside = (1 - proba_matrix(task, pred)) <= q + 1e-12
    return {
        f"{target}_set": ["|".join(str(c) for c, m in zip(classes, row) if m) for row in inside]
    }


def conformal_metrics(cal: dict, task: str, y, pred: np.ndarray, classes) -> dict[str, float]:
    """`coverage` reached on labelled data, plus `interval_width` or `mean_set_size`."""
    cols = apply_conformal(cal, task, pred, classes, "t")
    if task == "regression":
        yv = np.asarray(y, float)
        hit = (yv >= cols["t_lower"]) & (yv <= cols["t_upper"])
        return {"coverage": float(np.mean(hit)), "interval_width": float(2 * cal["q"])}
    sets = [s.split("|") if s else [] for s in cols["t_set"]]
    truth = [str(classes[i]) for i in class_indices(y, classes)]
    return {
        "coverage": float(np.mean([t in s for t, s in zip(truth, sets)])),
        "mean_set_size": float(np.mean([len(s) for s in sets])),
    }


def prediction_frame(
    data, pred: np.ndarray, task: str, classes, target: str = "label", conformal=None
):
    """The input's own columns (plus `line`, and `sequence` for FASTA/BED inputs) followed by
    the prediction columns."""
    frame = data.frame
    out = frame.rename_axis("line" if "line" not in frame.columns else "input_line").reset_index()
    if data.kind != "table" and "sequence" not in out.columns:
        out["sequence"] = data.sequences
    taken = set(out.columns)
    cols: dict[str, Any] = {}
    if task == "binary":
        cols[f"{target}_prob"] = pred
        cols[f"{target}_pred"] = [classes[int(p >= 0.5)] for p in pred]
    elif task == "multiclass":
        for k, c in enumerate(classes):
            cols[f"{target}_prob_{c}"] = pred[:, k]
        cols[f"{target}_pred"] = [classes[i] for i in np.asarray(pred).argmax(axis=1)]
    else:
        cols[f"{target}_pred"] = pred
    if conformal_ok(conformal):
        cols.update(apply_conformal(conformal, task, pred, classes, target))
    clash = sorted(taken & set(cols))
    if clash:
        raise InputError(
            f"{data.source}: the input already has column(s) {clash}",
            hint="rename them; prediction columns are named <label>_pred / _prob / _set",
        )
    for name, values in cols.items():
        out[name] = values
    return out


def write_report(path, task, test, pred, metrics, history, classes, config) -> None:
    """report.html: metrics, learning curves and the test plots."""
    from helixforge.core.report import Report, confusion_figure

    rep = Report(
        f"DNA sequence model — {config['model']} ({task})", subtitle=f"data: {config['data']}"
    )
    rep.add_heading("Metrics")
    rep.add_metrics(metrics)
    rep.add_text(
        f"Split: {config['split']}; sizes {config['sizes']}; "
        f"rows rejected: {config['rows_rejected']} (errors.csv)."
    )
    if history:
        rep.add_heading("Training")
        rep.add_learning_curves(history, "loss per epoch")
    if test is not None and len(test):
        yi = class_indices(test.labels, classes) if task != "regression" else None
        if task == "binary":
            rep.add_classification(yi, pred, name="test")
        elif task == "multiclass":
            rep.add_heading("Classification — test")
            truth = np.array([str(classes[i]) for i in yi])
            guess = np.array([str(classes[i]) for i in pred.argmax(axis=1)])
            rep.add_figure(confusion_figure(truth, guess), "confusion matrix")
        else:
            rep.add_regression(np.asarray(test.labels, float), pred, name="test")
    rep.write(path)


def write_card(run, config: dict, metrics: dict) -> None:
    """card.md: data, model, metrics, intended use and limits."""
    test = metrics.get("test") or metrics.get("valid") or {}
    shown = ", ".join(f"{k}={v:.3f}" for k, v in test.items() if isinstance(v, float))
    rc = "on" if config.get("rc_augment") else "off"
    run.write_card(
        f"DNA sequence model: {config['model']}",
        {
            "Data": f"{config['data']} (sequence column '{config['seq_col']}', label "
            f"'{config['label_col']}'); split: {config['split']}, sizes {config['sizes']}.",
            "Model": f"{config['model']} for a {config['task']} task; reverse-complement "
            f"augmentation {rc}; predictions average both strands.",
            "Metrics": shown or "no held-out part",
            "Intended use and limits": "Sequences like the training data (same length range, "
            "organism and assay). Scores are not calibrated across datasets; a CNN sees only "
            "its input window.",
        },
    )
