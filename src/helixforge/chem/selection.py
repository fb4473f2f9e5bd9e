"""`--model auto`: pick the chem model by scaffold-grouped cross-validation on training rows.

Candidates: `gbm`, plus `minimol-gbm` and `minimol-mlp` when the `pretrained` extra is
installed (without it `auto` is `gbm`, with no CV at all). Every candidate is cross-validated on
the same scaffold-grouped folds of the training molecules (never the valid or test rows); the
out-of-fold predictions of the two best are then blended with the weight w ∈ {0.1, …, 0.9}
that minimises the same CV loss, and the blend (`blend:A+B@w`, see `chem.models.blend`) is
chosen when it beats the best single candidate by more than `blend_margin`. The weight is
picked on the same folds it is scored on (one parameter, 9 values: a small optimism).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

Log = Callable[[str], None]


def _nolog(_: str) -> None:
    pass


def primary_loss(task_type: str, y: np.ndarray, pred: np.ndarray, log_scale: bool = False) -> float:
    """RMSE/SD (regression; on log10 scale with `log_scale`), 1 − ROC-AUC (binary), error rate
    (multiclass); NaN if undefined."""
    from helixforge.core import metrics as M

    keep = np.isfinite(y)
    if keep.sum() < 2:
        return float("nan")
    if task_type == "regression" and log_scale:
        keep &= y > 0
        y = np.log10(np.where(keep, y, 1.0))
        pred = np.log10(np.clip(pred, 1e-12, None))
    if task_type == "regression":
        sd = float(np.std(y[keep])) or 1.0
        return M.rmse(y[keep], pred[keep]) / sd
    if task_type == "binary":
        auc = M.roc_auc(y[keep], pred[keep])
        return float("nan") if np.isnan(auc) else 1.0 - auc
    return 1.0 - float(np.mean(y[keep] == pred[keep]))


def select_model(
    smiles: Sequence[str],
    y: np.ndarray,
    task_types: Sequence[str],
    candidates: Sequence[str] | None = None,
    *,
    folds: int | None = None,
    seed: int = 0,
    max_molecules: int = 3000,
    dmpnn_epochs: int = 15,
    device: str = "auto",
    params: dict[str, dict[str, Any]] | None = None,
    scaffolds: Sequence[str | None] | None = None,
    features: Callable[[Any, np.ndarray], np.ndarray | None] | None = None,
    blend: bool = True,
    blend_margin: float = 0.002,
    quiet: bool = True,
    log: Log = _nolog,
) -> tuple[str, dict[str, float]]:
    """The `--model auto` rule: k-fold CV (folds grouped by Bemis–Murcko scaffold) on the
    training molecules only; each candidate's loss is averaged over folds and tasks
    (RMSE/SD for regression — on log10 scale for the positive right-skewed targets that the
    models fit in log space, so a few huge half-lives or clearances do not decide — 1 − ROC-AUC
    for binary, error rate for multiclass); the lowest wins, ties go to the cheaper GBM.
    `folds` None: 5 below 2,000 molecules (small sets: less noisy choices), else 3. For speed
    CV uses at most `max_molecules` molecules and caps D-MPNN at `dmpnn_epochs` epochs (D-MPNN
    is a candidate only when asked for). With one candidate (no `pretrained` extra) it is chosen without CV. `params` maps a candidate
    name to its constructor parameters; `scaffolds` and `features` (rows of `smiles`) spare
    re-parsing the molecules. `blend`: also consider the best two blended (module docstring).
    """
    from helixforge.chem.models import get_model, minimol_available
    from helixforge.chem.splits import scaffold_groups
    from helixforge.core.estimator import uses_features
    from helixforge.core.progress import progress
    from helixforge.core.splits import kfold_indices

    if candidates is None:
        candidates = default_candidates(minimol_available())
    candidates = list(candidates)
    if len(candidates) == 1:
        return candidates[0], {}
    smiles = list(smiles)
    y = np.asarray(y, float)
    idx = np.arange(len(smiles))
    if len(idx) > max_molecules:
        idx = np.sort(np.random.default_rng(seed).choice(idx, max_molecules, replace=False))
    sub_smiles = [smiles[i] for i in idx]
    sub_y = y[idx]
    sub_scaf = [scaffolds[i] for i in idx] if scaffolds is not None else None
    if folds is None:
        folds = 5 if len(idx) < 2000 else 3
    from helixforge.chem.models.gbm import use_log_target

    logs = [tt == "regression" and use_log_target(sub_y[:, j]) for j, tt in enumerate(task_types)]
    fold_list = kfold_indices(
        len(idx), folds, seed=seed, groups=scaffold_groups(sub_smiles, sub_scaf)
    )
    scores: dict[str, float] = {}
    oof: dict[str, list[np.ndarray]] = {}  # per candidate: per fold, the held-out predictions
    total = len(candidates) * len(fold_list)
    with progress("auto: cross-validating", total=total, quiet=quiet, unit="fits") as advance:
        for name in candidates:
            losses = []
            for k, (tr, ho) in enumerate(fold_list):
                kw: dict[str, Any] = dict((params or {}).get(name, {}))
                if name.startswith("dmpnn"):
                    kw = {"epochs": dmpnn_epochs, "device": device, **kw}
                model = get_model(name, **kw)
                X = features(model, idx) if features is not None else None
                tr_smi, ho_smi = [sub_smiles[i] for i in tr], [sub_smiles[i] for i in ho]
                if X is not None and uses_features(model):
                    model.fit(tr_smi, sub_y[tr], task_types, seed=seed + k, features=X[tr])
                    pred = model.predict(ho_smi, features=X[ho])
                else:
                    model.fit(tr_smi, sub_y[tr], task_types, seed=seed + k)
                    pred = model.predict(ho_smi)
                oof.setdefault(name, []).append(np.asarray(pred, dtype=float))
                losses += _fold_losses(task_types, sub_y[ho], pred, logs)
                advance(1)
            scores[name] = float(np.mean(losses)) if losses else float("inf")
            log(f"auto: {name} cross-validated loss {scores[name]:.4f}")
    best = min(candidates, key=lambda c: (scores[c], c != "gbm"))
    if blend and len(candidates) > 1 and "multiclass" not in task_types:
        a, b = sorted(candidates, key=lambda c: (scores[c], c != "gbm"))[:2]
        w, loss = best_blend_weight(task_types, sub_y, fold_list, oof[a], oof[b], logs=logs)
        if a != b and np.isfinite(loss):
            from helixforge.chem.models.blend import blend_name

            name = blend_name([a, b], [w, 1 - w])
            scores[name] = loss
            log(f"auto: {name} cross-validated loss {loss:.4f}")
            if loss < scores[best] - blend_margin:
                best = name
    return best, scores


def default_candidates(pretrained: bool) -> list[str]:
    """`auto`'s candidates: gbm, plus the MiniMol models when the extra is installed."""
    return ["gbm"] + (["minimol-gbm", "minimol-mlp"] if pretrained else [])


def _fold_losses(
    task_types: Sequence[str], y: np.ndarray, pred: np.ndarray, logs: Sequence[bool] | None = None
) -> list[float]:
    out = []
    for j, tt in enumerate(task_types):
        v = primary_loss(tt, y[:, j], pred[:, j], bool(logs and logs[j]))
        if np.isfinite(v):
            out.append(v)
    return out


def best_blend_weight(
    task_types: Sequence[str],
    y: np.ndarray,
    fold_list: Sequence[tuple[np.ndarray, np.ndarray]],
    pred_a: Sequence[np.ndarray],
    pred_b: Sequence[np.ndarray],
    grid: Sequence[float] = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9),
    logs: Sequence[bool] | None = None,
) -> tuple[float, float]:
    """The weight w of model A in w·A + (1 − w)·B with the lowest mean CV loss over folds and
    tasks (out-of-fold predictions), and that loss."""
    best_w, best_loss = 0.5, float("inf")
    for w in grid:
        losses = []
        for (_, ho), pa, pb in zip(fold_list, pred_a, pred_b):
            losses += _fold_losses(task_types, y[ho], w * pa + (1 - w) * pb, logs)
        loss = float(np.mean(losses)) if losses else float("inf")
        if loss < best_loss - 1e-12:
            best_w, best_loss = float(w), loss
    return best_w, best_loss
