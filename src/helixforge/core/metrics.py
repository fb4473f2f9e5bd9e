"""Classification and regression metrics in one place (built on scikit-learn / SciPy).

Every function tolerates the degenerate cases real splits produce (one class present, constant
predictions): the metric is NaN rather than an exception, and the caller reports it.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np


def _clean(y_true, y_pred) -> tuple[np.ndarray, np.ndarray]:
    yt = np.asarray(y_true, dtype=float).ravel()
    yp = np.asarray(y_pred, dtype=float).ravel()
    keep = ~(np.isnan(yt) | np.isnan(yp))
    return yt[keep], yp[keep]


def rmse(y_true, y_pred) -> float:
    yt, yp = _clean(y_true, y_pred)
    return float(np.sqrt(np.mean((yt - yp) ** 2))) if len(yt) else float("nan")


def mae(y_true, y_pred) -> float:
    yt, yp = _clean(y_true, y_pred)
    return float(np.mean(np.abs(yt - yp))) if len(yt) else float("nan")


def r2(y_true, y_pred) -> float:
    yt, yp = _clean(y_true, y_pred)
    if len(yt) < 2 or np.var(yt) == 0:
        return float("nan")
    return float(1 - np.sum((yt - yp) ** 2) / np.sum((yt - yt.mean()) ** 2))


def pearson(y_true, y_pred) -> float:
    yt, yp = _clean(y_true, y_pred)
    if len(yt) < 2 or np.std(yt) == 0 or np.std(yp) == 0:
        return float("nan")
    return float(np.corrcoef(yt, yp)[0, 1])


def spearman(y_true, y_pred) -> float:
    from scipy.stats import spearmanr

    yt, yp = _clean(y_true, y_pred)
    if len(yt) < 2 or np.std(yt) == 0 or np.std(yp) == 0:
        return float("nan")
    return float(spearmanr(yt, yp).statistic)


def _two_classes(yt: np.ndarray) -> bool:
    return len(np.unique(yt)) == 2


def roc_auc(y_true, y_score) -> float:
    from sklearn.metrics import roc_auc_score

    yt, ys = _clean(y_true, y_score)
    return float(roc_auc_score(yt, ys)) if _two_classes(yt) else float("nan")


def pr_auc(y_true, y_score) -> float:
    """Average precision (the area under the precision-recall curve, as TDC reports it)."""
    from sklearn.metrics import average_precision_score

    yt, ys = _clean(y_true, y_score)
    return float(average_precision_score(yt, ys)) if _two_classes(yt) else float("nan")


def accuracy(y_true, y_score, threshold: float = 0.5) -> float:
    yt, ys = _clean(y_true, y_score)
    return float(np.mean(yt == (ys >= threshold))) if len(yt) else float("nan")


def mcc(y_true, y_score, threshold: float = 0.5) -> float:
    """Matthews correlation; NaN when the truth has one class (it is undefined there: 0/0,
    which scikit-learn reports as 0 with a warning on the console)."""
    from sklearn.metrics import matthews_corrcoef

    yt, ys = _clean(y_true, y_score)
    return float(matthews_corrcoef(yt, ys >= threshold)) if _two_classes(yt) else float("nan")


def f1(y_true, y_score, threshold: float = 0.5) -> float:
    """F1 of the positive class; NaN when neither the truth nor the predictions hold a positive
    (0/0: scikit-learn's zero_division would report 0, a score the model did not earn or lose)."""
    from sklearn.metrics import f1_score

    yt, ys = _clean(y_true, y_score)
    if not (yt == 1).any() and not (ys >= threshold).any():
        return float("nan")
    return float(f1_score(yt, ys >= threshold, zero_division=0))


def balanced_accuracy(y_true, y_score, threshold: float = 0.5) -> float:
    from sklearn.metrics import balanced_accuracy_score

    yt, ys = _clean(y_true, y_score)
    return float(balanced_accuracy_score(yt, ys >= threshold)) if _two_classes(yt) else float("nan")


def brier(y_true, y_score) -> float:
    yt, ys = _clean(y_true, y_score)
    return float(np.mean((ys - yt) ** 2)) if len(yt) else float("nan")


REGRESSION: dict[str, Callable[..., float]] = {
    "rmse": rmse,
    "mae": mae,
    "r2": r2,
    "pearson": pearson,
    "spearman": spearman,
}
CLASSIFICATION: dict[str, Callable[..., float]] = {
    "roc_auc": roc_auc,
    "pr_auc": pr_auc,
    "accuracy": accuracy,
    "balanced_accuracy": balanced_accuracy,
    "f1": f1,
    "mcc": mcc,
    "brier": brier,
}
ALL: dict[str, Callable[..., float]] = {**REGRESSION, **CLASSIFICATION}
# Metrics where larger is better (used for model selection and early stopping).
HIGHER_IS_BETTER = {
    "r2",
    "pearson",
    "spearman",
    "roc_auc",
    "pr_auc",
    "accuracy",
    "balanced_accuracy",
    "f1",
    "mcc",
}


def regression_metrics(y_true, y_pred) -> dict[str, float]:
    """RMSE, MAE, R², Pearson and Spearman, plus the number of rows scored."""
    out = {name: fn(y_true, y_pred) for name, fn in REGRESSION.items()}
    out["n"] = int(len(_clean(y_true, y_pred)[0]))
    return out


def classification_metrics(y_true, y_score, threshold: float = 0.5) -> dict[str, float]:
    """ROC-AUC, PR-AUC, accuracy, balanced accuracy, F1, MCC, Brier, plus n and positive rate."""
    out = {}
    for name, fn in CLASSIFICATION.items():
        out[name] = (
            fn(y_true, y_score, threshold)
            if name in {"accuracy", "balanced_accuracy", "f1", "mcc"}
            else fn(y_true, y_score)
        )
    yt, _ = _clean(y_true, y_score)
    out["n"] = int(len(yt))
    out["positive_rate"] = float(yt.mean()) if len(yt) else float("nan")
    return out


def multiclass_metrics(y_true, proba) -> dict[str, float]:
    """Accuracy, macro F1, MCC and one-vs-rest macro ROC-AUC for integer labels and (n, k) probabilities."""
    from sklearn.metrics import f1_score, matthews_corrcoef, roc_auc_score

    yt = np.asarray(y_true)
    proba = np.asarray(proba, dtype=float)
    nan = float("nan")
    if len(yt) == 0:
        return {"accuracy": nan, "macro_f1": nan, "mcc": nan, "n": 0, "roc_auc_ovr": nan}
    pred = proba.argmax(axis=1)
    out = {
        "accuracy": float(np.mean(pred == yt)),
        "macro_f1": float(f1_score(yt, pred, average="macro", zero_division=0)),
        # one class in the truth: MCC is 0/0 (scikit-learn says 0), NaN as in the binary case
        "mcc": float(matthews_corrcoef(yt, pred)) if len(np.unique(yt)) > 1 else nan,
        "n": int(len(yt)),
    }
    # one-vs-rest AUC is undefined when a class is absent (or alone) in this part: NaN, as for
    # binary ROC-AUC, instead of scikit-learn's UndefinedMetricWarning on the console
    if not np.isin(np.arange(proba.shape[1]), yt).all():  # also: empty, or one class
        out["roc_auc_ovr"] = float("nan")
        return out
    try:
        out["roc_auc_ovr"] = float(
            roc_auc_score(yt, proba, multi_class="ovr", labels=list(range(proba.shape[1])))
        )
    except ValueError:
        out["roc_auc_ovr"] = float("nan")
    return out


def canonical_name(metric: str) -> str:
    """A metric name as `ALL` spells it: 'PR-AUC' and TDC's 'roc-auc' → 'pr_auc', 'roc_auc'."""
    return str(metric).lower().replace("-", "_")


def score(metric: str, y_true, y_pred) -> float:
    """One metric by name (names as in `ALL`, plus TDC's spellings 'roc-auc', 'pr-auc')."""
    key = canonical_name(metric)
    if key not in ALL:
        raise KeyError(f"unknown metric {metric!r}; known: {sorted(ALL)}")
    return ALL[key](y_true, y_pred)


def bootstrap_ci(
    metric: Callable[..., float],
    y_true,
    y_pred,
    n_boot: int = 1000,
    alpha: float = 0.05,
    seed: int = 0,
) -> tuple[float, float]:
    """Percentile bootstrap confidence interval of a metric."""
    yt, yp = _clean(y_true, y_pred)
    rng = np.random.default_rng(seed)
    stats = []
    for _ in range(n_boot):
        idx = rng.integers(0, len(yt), len(yt))
        v = metric(yt[idx], yp[idx])
        if not np.isnan(v):
            stats.append(v)
    if not stats:
        return float("nan"), float("nan")
    return float(np.quantile(stats, alpha / 2)), float(np.quantile(stats, 1 - alpha / 2))
