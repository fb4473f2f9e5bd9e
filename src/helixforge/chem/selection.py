"""`--model auto`: pick the chem model by scaffold-grouped cross-validation on training rows."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

Log = Callable[[str], None]


def _nolog(_: str) -> None:
    pass


def primary_loss(task_type: str, y: np.ndarray, pred: np.ndarray) -> float:
    """RMSE/SD (regression), 1 − ROC-AUC (binary), error rate (multiclass); NaN if undefined."""
    from helixforge.core import metrics as M

    keep = np.isfinite(y)
    if keep.sum() < 2:
        return float("nan")
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
    folds: int = 3,
    seed: int = 0,
    max_molecules: int = 3000,
    dmpnn_epochs: int = 15,
    device: str = "auto",
    params: dict[str, dict[str, Any]] | None = None,
    scaffolds: Sequence[str | None] | None = None,
    features: Callable[[Any, np.ndarray], np.ndarray | None] | None = None,
    quiet: bool = True,
    log: Log = _nolog,
) -> tuple[str, dict[str, float]]:
    """The `--model auto` rule: k-fold CV (folds grouped by Bemis–Murcko scaffold) on the
    training molecules only; each candidate's loss is averaged over folds and tasks
    (RMSE/SD for regression, 1 − ROC-AUC for binary, error rate for multiclass); the lowest
    wins, ties go to the cheaper GBM. For speed CV uses at most `max_molecules` molecules
    and caps D-MPNN at `dmpnn_epochs` epochs. With D-MPNN unavailable GBM is chosen without CV.
    `params` maps a candidate name to its constructor parameters; `scaffolds` and `features`
    (rows of `smiles`) spare re-parsing the molecules.
    """
    from helixforge.chem.models import dmpnn_available, get_model
    from helixforge.chem.splits import scaffold_groups
    from helixforge.core.estimator import uses_features
    from helixforge.core.progress import progress
    from helixforge.core.splits import kfold_indices

    if candidates is None:
        candidates = ["gbm"] + (["dmpnn"] if dmpnn_available() else [])
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
    fold_list = kfold_indices(
        len(idx), folds, seed=seed, groups=scaffold_groups(sub_smiles, sub_scaf)
    )
    scores: dict[str, float] = {}
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
                for j, tt in enumerate(task_types):
                    v = primary_loss(tt, sub_y[ho, j], pred[:, j])
                    if np.isfinite(v):
                        losses.append(v)
                advance(1)
            scores[name] = float(np.mean(losses)) if losses else float("inf")
            log(f"auto: {name} cross-validated loss {scores[name]:.4f}")
    best = min(candidates, key=lambda c: (scores[c], c != "gbm"))
    return best, scores
