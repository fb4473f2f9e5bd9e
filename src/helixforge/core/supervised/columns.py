"""One prediction-column naming, conformal calibration and one metrics naming.

For each target T (a single unnamed label is "label"):

    T_pred            value (regression) or predicted class (classification)
    T_prob            binary: probability of the positive class (the second of the classes)
    T_prob_<class>    multiclass: probability of each class
    T_std             ensemble spread (0 for a single model)
    T_lower, T_upper  conformal interval (regression)
    T_set             conformal prediction set, classes joined by "|" ("" = empty set)

metrics.json: {"train"|"valid"|"test": {T: {metric: value}}}; the conformal columns add
`coverage` (fraction of rows whose truth is inside the interval / set) and `interval_width`
(regression) or `set_size` (classification).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from helixforge.core.conformal import ClassificationConformal, RegressionConformal
from helixforge.core.supervised.tasks import class_name


def plain_class(value: Any) -> Any:
    """A class as written in tables: 1.0 → 1, 2.5 → 2.5, 'A' → 'A'."""
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return int(value)
    return value.item() if isinstance(value, np.generic) else value


def classes_of(t: str, task_type: str, classes: dict[str, list[Any]], k: int = 2) -> list[Any]:
    """The class list of a classification target (default 0..k-1)."""
    if t in classes:
        return list(classes[t])
    return [0.0, 1.0] if task_type == "binary" else [float(i) for i in range(k)]


def join_sets(mask: np.ndarray, names: Sequence[str]) -> list[str]:
    """Boolean (n, k) set membership → 'a|b' strings ('' for an empty set)."""
    return ["|".join(n for n, m in zip(names, row) if m) for row in np.asarray(mask, bool)]


def split_set(text: str, names: Sequence[str]) -> list[str]:
    """A `join_sets` string back to its classes, read against the class names in their order,
    so a class named 'no|"&' stays one member (splitting on '|' made it two: set sizes of 3
    in a binary task and the true class missing from its own set)."""
    members, rest = [], str(text)
    for n in names:
        if rest == n or rest.startswith(n + "|"):
            members.append(n)
            rest = rest[len(n) + 1 :]
    if rest:  # not written by join_sets with these names: plain split
        return [m for m in str(text).split("|") if m]
    return members


def fit_conformal(
    y_valid: np.ndarray,
    means: Sequence[np.ndarray],
    spreads: Sequence[np.ndarray],
    targets: Sequence[str],
    task_types: Sequence[str],
    coverage: float,
    normalized: bool,
) -> dict[str, Any]:
    """Split-conformal calibrators per target from validation rows (targets without a
    labelled validation row get none)."""
    out: dict[str, Any] = {}
    for j, (t, tt) in enumerate(zip(targets, task_types)):
        yv = y_valid[:, j]
        if len(yv) == 0 or not np.isfinite(yv).any():
            continue
        if tt == "regression":
            out[t] = RegressionConformal(coverage, normalized).fit(yv, means[j], spreads[j])
        else:
            out[t] = ClassificationConformal(coverage).fit(yv, means[j])
    return out


def conformal_to_dict(conformal: dict[str, Any]) -> dict[str, Any]:
    return {t: {"kind": type(c).__name__, **c.to_dict()} for t, c in conformal.items()}


def conformal_from_dict(d: dict[str, Any], task_types: dict[str, str]) -> dict[str, Any]:
    out = {}
    for t, v in d.items():
        cls = RegressionConformal if task_types.get(t) == "regression" else ClassificationConformal
        out[t] = cls.from_dict(v)
    return out


def prediction_columns(
    means: Sequence[np.ndarray],
    spreads: Sequence[np.ndarray],
    targets: Sequence[str],
    task_types: Sequence[str],
    classes: dict[str, list[Any]],
    conformal: dict[str, Any],
) -> pd.DataFrame:
    """The prediction columns (see module doc) from per-task ensemble means and spreads."""
    cols: dict[str, Any] = {}
    for j, (t, tt) in enumerate(zip(targets, task_types)):
        mean, spread, cal = np.asarray(means[j], float), spreads[j], conformal.get(t)
        if tt == "regression":
            cols[f"{t}_pred"] = mean
            cols[f"{t}_std"] = spread
            if cal is not None:
                cols[f"{t}_lower"], cols[f"{t}_upper"] = cal.interval(mean, spread)
            continue
        labels = classes_of(t, tt, classes, mean.shape[1] if mean.ndim == 2 else 2)
        names = [class_name(c) for c in labels]
        values = [plain_class(c) for c in labels]
        if tt == "binary":
            cols[f"{t}_prob"] = mean
            cols[f"{t}_pred"] = [values[int(p >= 0.5)] for p in mean]
        else:
            for c, name in enumerate(names):
                cols[f"{t}_prob_{name}"] = mean[:, c]
            cols[f"{t}_pred"] = [values[i] for i in mean.argmax(axis=1)]
        cols[f"{t}_std"] = spread
        if cal is not None:
            cols[f"{t}_set"] = join_sets(cal.sets(mean), names)
    return pd.DataFrame(cols)


def task_metrics(task_type: str, y: np.ndarray, pred: np.ndarray) -> dict[str, float]:
    """Metrics of one task: `pred` is values, P(1), or (n, k) class probabilities."""
    from helixforge.core import metrics as M

    y = np.asarray(y, float)
    keep = np.isfinite(y)
    if task_type == "regression":
        return M.regression_metrics(y[keep], np.asarray(pred)[keep])
    if task_type == "binary":
        return M.classification_metrics(y[keep], np.asarray(pred)[keep])
    if keep.sum() == 0:
        return {"n": 0}
    return M.multiclass_metrics(y[keep].astype(int), np.asarray(pred)[keep])


def coverage_metrics(
    task_type: str, y: np.ndarray, preds: pd.DataFrame, t: str, labels: Sequence[Any]
) -> dict[str, float]:
    """`coverage` and `interval_width` / `set_size` of the conformal columns of target t."""
    keep = np.isfinite(y)
    if not keep.any():
        return {}
    if task_type == "regression" and f"{t}_lower" in preds:
        lo = preds[f"{t}_lower"].to_numpy(float)[keep]
        hi = preds[f"{t}_upper"].to_numpy(float)[keep]
        yy = y[keep]
        return {
            "coverage": float(np.mean((yy >= lo) & (yy <= hi))),
            "interval_width": float(np.mean(hi - lo)),
        }
    if task_type != "regression" and f"{t}_set" in preds:
        names = [class_name(c) for c in labels]
        members = [split_set(s, names) for s in preds[f"{t}_set"].fillna("").astype(str)[keep]]
        truth = [names[int(v)] for v in y[keep]]
        return {
            "coverage": float(np.mean([tr in m for tr, m in zip(truth, members)])),
            "set_size": float(np.mean([len(m) for m in members])),
        }
    return {}


def score_predictions(
    y: np.ndarray,
    preds: pd.DataFrame,
    targets: Sequence[str],
    task_types: Sequence[str],
    classes: dict[str, list[Any]],
) -> tuple[dict[str, dict[str, float]], list[str]]:
    """Metrics per target of one part (rows of `y` aligned with `preds`), plus notes."""
    out: dict[str, dict[str, float]] = {}
    notes = []
    for j, (t, tt) in enumerate(zip(targets, task_types)):
        yj = np.asarray(y[:, j], float)
        labels: list[Any] = []
        if tt == "regression":
            p = preds[f"{t}_pred"].to_numpy(float)
            ok = np.isfinite(yj) & np.isfinite(p)
            if ok.sum() == 1:
                notes.append(f"{t}: one labelled row; R², Pearson and Spearman are undefined (NaN)")
            elif ok.any() and np.ptp(yj[ok]) == 0:
                notes.append(
                    f"{t}: every label is {yj[ok][0]:g}; R², Pearson and Spearman are "
                    "undefined (NaN)"
                )
            elif ok.any() and np.ptp(p[ok]) == 0:
                notes.append(
                    f"{t}: every prediction is {p[ok][0]:g}; Pearson and Spearman are "
                    "undefined (NaN)"
                )
        elif tt == "binary":
            labels = classes_of(t, tt, classes)
            p = preds[f"{t}_prob"].to_numpy(float)
            present = set(np.unique(yj[np.isfinite(yj)]).tolist())
            if np.isfinite(yj).any() and len(present) < 2:
                shown = [plain_class(labels[int(v)]) for v in sorted(present)]
                no_pos = present == {0.0} and not (p[np.isfinite(yj)] >= 0.5).any()
                notes.append(
                    f"{t}: only class {shown} present; ROC-AUC, PR-AUC, balanced accuracy "
                    "and MCC are undefined (NaN)"
                    + (", and F1 too (no row labelled or predicted positive)" if no_pos else "")
                )
            elif np.isfinite(yj).any():
                scored = p[np.isfinite(yj) & np.isfinite(p)]
                called = np.unique(scored >= 0.5)
                if len(called) == 1:
                    shown = plain_class(labels[int(called[0])])
                    notes.append(
                        f"{t}: every row is predicted {shown!r} (probabilities all on one side "
                        "of 0.5); MCC is 0 by convention (0/0), the model does not separate "
                        "the classes at that threshold"
                        + (
                            "; every probability is the same, so ROC-AUC is 0.5 by ties: "
                            "the model does not rank the rows at all"
                            if np.ptp(scored) == 0
                            else " — ROC-AUC still ranks them"
                        )
                    )
        else:
            labels = classes_of(t, tt, classes)
            p = preds[[f"{t}_prob_{class_name(c)}" for c in labels]].to_numpy(float)
            present = np.unique(yj[np.isfinite(yj)])
            if len(present) == 1:
                notes.append(
                    f"{t}: only class {[plain_class(labels[int(present[0])])]} present; MCC and "
                    "one-vs-rest ROC-AUC are undefined (NaN)"
                )
            elif len(present) > 1 and len(present) < len(labels):
                absent = [plain_class(c) for i, c in enumerate(labels) if i not in present]
                notes.append(
                    f"{t}: class {absent} absent from this part; one-vs-rest ROC-AUC is "
                    "undefined (NaN)"
                )
        m = task_metrics(tt, yj, p)
        m.update(coverage_metrics(tt, yj, preds, t, labels))
        out[t] = m
    return out, notes
