"""`--model auto`: pick the chem model by scaffold-grouped cross-validation on training rows.

Candidates: `gbm` (the baseline), plus `minimol-gbm` and `minimol-mlp` when the `pretrained`
extra is installed (without it `auto` is `gbm`, with no CV at all), plus a blend of the two
best (`blend:A+B@w`, see `chem.models.blend`). Every candidate is cross-validated on the same
scaffold-grouped folds of the training molecules (never the valid or test rows).

Two rules (`RULES`; the default is "lowest"):

- "lowest" (default): the candidate with the lowest mean CV loss; the blend of the two best
  replaces it when the blend's out-of-fold loss (at the weight chosen on those folds) is lower
  by more than `BLEND_MARGIN`.
- "margin" (opt-in, `rule="margin"`): described below. Measured on the TDC ADMET group it
  kept `gbm` on 20 of 36 task-seeds and scored worse than "lowest" on 10 of 15 tasks without
  removing the two tasks where "lowest" trails `gbm` (benchmarks/results/chem_property.md),
  so it is not the default.

The "margin" rule ("paired-fold margin"): keep the baseline `gbm` unless a candidate beats it
on the folds by more than the fold-to-fold noise of the difference. Per fold k the paired
gain is d_k = loss_gbm[k] − loss_c[k] (same held-out molecules for both); a candidate
qualifies when mean(d) > sd(d) (sample sd over the K folds), i.e. its t statistic
mean(d) / (sd(d)/√K) exceeds √K (2.24 with 5 folds, about a one-sided 5 % paired t-test;
1.73 with 3 folds). Among the candidates that qualify the lowest mean CV loss wins; if none
does, `gbm` is kept. A single lucky fold cannot carry a switch: the gain must be about as
large as its own spread across folds.

The loss compared is RMSE/SD (regression; log10 scale for the targets the models fit in log
space), 1 − ROC-AUC (binary) or the error rate (multiclass), unless `metric` names the metric
the model will be judged by (`--metric mae`, `spearman`, `pr_auc`, …): then that metric, on the
raw label scale, decides both the candidate and the blend weight (`metric_loss`).

The blend's weight w ∈ {0.1, …, 0.9} is chosen on out-of-fold predictions; its per-fold
losses (the ones the rule compares) are cross-fitted: fold k is scored with the weight picked
on the other folds, so the weight search does not flatter the blend. The blend that is trained
uses the weight picked on all folds.

Resumable: with a `checkpoint` folder, each finished candidate × fold stores its out-of-fold
predictions there (`<candidate>-<tag>.fold<k>.npz`, written to a temporary file and renamed),
keyed by the candidate, fold, seed, parameters and a digest of the CV rows, held-out rows and
labels. A later call with the same folder loads the finished fits whose key matches and fits
only the rest, so an interrupted `helix chem train --model auto --resume` repeats no finished
fit and ends with the same choice, bytes for bytes, as an uninterrupted run.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

Log = Callable[[str], None]
BASELINE = "gbm"
RULES = {
    "lowest": "lowest mean CV loss; the blend of the two best when its out-of-fold loss is lower"
    " by more than 0.002",
    "margin": "paired-fold margin: keep gbm unless a candidate's mean per-fold gain over gbm"
    " exceeds the sample sd of that gain across the folds; then the lowest mean CV loss among"
    " those wins",
}
DEFAULT_RULE = "lowest"
RULE = RULES[DEFAULT_RULE]
BLEND_MARGIN = 0.002
# Fewer folds with a defined loss than this (a class too rare to be held out in most folds:
# ROC-AUC is undefined where a fold holds one class) is too little evidence to leave the
# baseline: with 2 positives in 48 molecules two folds of one positive each chose a MiniMol
# model at "CV loss 0.0000".
MIN_SCORED_FOLDS = 3
DEFAULT_LOSS = "default loss (RMSE/SD, 1 − ROC-AUC, error rate)"
BLEND_GRID = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)


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


def metric_loss(metric: str, y: np.ndarray, pred: np.ndarray, scale: float = 1.0) -> float:
    """`metric` (a `core.metrics` name) as a loss, lower is better: 1 − value for the metrics
    where higher is better, else the value divided by `scale`; on the raw label scale, as the
    metric is reported. NaN if undefined."""
    from helixforge.core import metrics as M

    keep = np.isfinite(y)
    if keep.sum() < 2:
        return float("nan")
    key = M.canonical_name(metric)  # callers checked it suits the task (`check_metric`)
    v = float(M.ALL[key](y[keep], pred[keep]))
    if not np.isfinite(v):
        return float("nan")
    return 1.0 - v if key in M.HIGHER_IS_BETTER else v / (scale or 1.0)


def check_metric(metric: str, task_types: Sequence[str]) -> str:
    """The canonical name of `metric` if it can score every task in `task_types` (a regression
    metric for regression tasks, a classification one for binary tasks); else a ConfigError
    naming the choices."""
    from helixforge.core import metrics as M
    from helixforge.core.errors import ConfigError

    key = M.canonical_name(metric)
    kinds = set(task_types)
    allowed = (
        M.REGRESSION if kinds == {"regression"} else M.CLASSIFICATION if kinds == {"binary"} else {}
    )
    if key not in allowed:
        if not allowed:
            raise ConfigError(
                f"--metric {metric}: auto can select by one metric only when every task is"
                f" regression or every task is binary (tasks here: {', '.join(task_types)});"
                " leave --metric out to use the default loss"
            )
        raise ConfigError(
            f"--metric {metric!r} does not score {'/'.join(sorted(kinds))} tasks; choose from"
            f" {', '.join(sorted(allowed))}"
        )
    return key


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
    quiet: bool = True,
    log: Log = _nolog,
    record: dict[str, Any] | None = None,
    rule: str = DEFAULT_RULE,
    oof_out: dict[str, Any] | None = None,
    metric: str | None = None,
    checkpoint: str | os.PathLike | None = None,
) -> tuple[str, dict[str, float]]:
    """The `--model auto` rule (module docstring): k-fold CV (folds grouped by Bemis–Murcko
    scaffold) on the training molecules only. Returns the chosen name and each candidate's mean
    CV loss (averaged over folds and tasks: RMSE/SD for regression — on log10 scale for the
    positive right-skewed targets the models fit in log space — 1 − ROC-AUC for binary, error
    rate for multiclass).

    `folds` None: 5 below 2,000 molecules, else 3. CV uses at most `max_molecules` molecules
    and caps D-MPNN at `dmpnn_epochs` epochs (D-MPNN is a candidate only when asked for). With
    one candidate (no `pretrained` extra) it is chosen without CV. `params` maps a candidate
    name to its constructor parameters; `scaffolds` and `features` (rows of `smiles`) spare
    re-parsing the molecules. `blend`: also consider the best two blended. `record`, if given,
    is filled with the decision (`selection_record`): rule, baseline, per-fold losses, gains
    and which candidates qualified. `rule`: "lowest" (default) or "margin" (module docstring).
    `oof_out`, if given, receives the raw CV evidence so other rules can be scored offline
    without refitting: `rows` (indices into `smiles` of the molecules CV used), `y`, `fold` (the
    held-out fold of each of those rows) and `pred` (per candidate, its out-of-fold predictions
    in the order of `rows`).

    `metric` (e.g. "mae", "spearman", "pr_auc"; `--metric`): compare the candidates, and pick
    the blend weight, by this metric instead of the default loss — the metric the model will be
    judged by. It is computed on the raw label scale and turned into a loss by `metric_loss`
    (1 − value when higher is better). With several tasks, error metrics (MAE, RMSE) are
    divided by each fold's label sd so tasks on different scales weigh alike; with one task
    they are used as they are and the blend margin is `BLEND_MARGIN` × the label sd.

    `checkpoint` (a folder; `helix chem train` passes one inside the run's staging folder):
    each finished candidate × fold is stored there, and fits already stored with the same key
    are loaded instead of repeated (module docstring), so an interrupted selection resumes.
    """
    from helixforge.chem.models import get_model, minimol_available
    from helixforge.chem.splits import scaffold_groups
    from helixforge.core.estimator import uses_features
    from helixforge.core.progress import progress
    from helixforge.core.splits import kfold_indices

    if rule not in RULES:
        from helixforge.core.errors import ConfigError

        raise ConfigError(f"unknown auto rule {rule!r}; choose from {sorted(RULES)}")
    if metric is not None:
        metric = check_metric(metric, task_types)
    if candidates is None:
        candidates = default_candidates(minimol_available())
    candidates = list(candidates)
    if len(candidates) == 1:
        if record is not None:
            record.update(
                rule=RULES[rule],
                metric=metric or DEFAULT_LOSS,
                baseline=candidates[0],
                chosen=candidates[0],
                candidates={},
                reason="only one candidate (no cross-validation)",
            )
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
    candidates = list(dict.fromkeys(candidates))  # a name listed twice is fitted once
    fold_list = [
        (tr, ho)
        for tr, ho in kfold_indices(
            len(idx), folds, seed=seed, groups=scaffold_groups(sub_smiles, sub_scaf)
        )
        if len(ho) and len(tr)
    ]
    if len(fold_list) < 2:  # all molecules in one scaffold set, or too few to hold any out
        baseline = BASELINE if BASELINE in candidates else candidates[0]
        reason = (
            f"{len(idx)} training molecules in too few scaffold sets for {folds}-fold "
            f"cross-validation: {baseline} chosen without it"
        )
        log(f"auto: {reason}")
        if record is not None:
            record.update(rule=RULES[rule], metric=metric or DEFAULT_LOSS, baseline=baseline,
                          chosen=baseline, candidates={}, reason=reason)  # fmt: skip
        return baseline, {}
    oof: dict[str, list[np.ndarray]] = {}  # per candidate: per fold, the held-out predictions
    total = len(candidates) * len(fold_list)
    folder = Path(checkpoint) if checkpoint is not None else None
    rows_digest = _cv_rows_digest(idx, sub_y, fold_list) if folder is not None else ""
    reused = 0
    with progress("auto: cross-validating", total=total, quiet=quiet, unit="fits") as advance:
        for name in candidates:
            for k, (tr, ho) in enumerate(fold_list):
                kw: dict[str, Any] = dict((params or {}).get(name, {}))
                if name.startswith("dmpnn"):
                    kw = {"epochs": dmpnn_epochs, "device": device, **kw}
                if folder is not None:
                    key = cv_fit_key(name, k, seed + k, kw, rows_digest)
                    path = cv_fit_path(folder, name, k)
                    saved = load_cv_fit(path, key, len(ho), log)
                    if saved is not None:
                        oof.setdefault(name, []).append(saved)
                        reused += 1
                        advance(1)
                        continue
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
                if folder is not None:
                    save_cv_fit(path, key, oof[name][-1])
                advance(1)
    if reused:
        log(f"auto: {reused} of {total} cross-validation fits loaded from {folder}")
    if oof_out is not None:
        order = np.concatenate([ho for _, ho in fold_list])
        back = np.argsort(order)  # the concatenated held-out rows, back in `rows` order
        covered = np.sort(order)
        oof_out.update(
            rows=idx[covered],
            y=sub_y[covered],
            fold=np.concatenate([np.full(len(ho), k) for k, (_, ho) in enumerate(fold_list)])[back],
            pred={n: np.concatenate(oof[n])[back] for n in candidates},
        )
    chosen, scores, info = choose_from_oof(
        task_types,
        sub_y,
        [ho for _, ho in fold_list],
        oof,
        metric=metric,
        rule=rule,
        blend=blend,
        logs=logs,
        log=log,
    )
    if record is not None:
        record.update(
            rule=RULES[rule],
            metric=metric or DEFAULT_LOSS,
            folds=len(fold_list),
            n_molecules=len(idx),
            **info,
        )
    return chosen, scores


CV_FIT_KIND = "helixforge.auto-cv-fit/1"
_RUNTIME_PARAMS = ("quiet",)  # change no prediction: left out of a fit's key


def _cv_rows_digest(
    idx: np.ndarray, y: np.ndarray, fold_list: Sequence[tuple[np.ndarray, np.ndarray]]
) -> str:
    """sha256 of the rows CV uses, their labels and every fold's held-out rows."""
    import hashlib

    h = hashlib.sha256()
    h.update(np.ascontiguousarray(idx, dtype=np.int64).tobytes())
    h.update(np.ascontiguousarray(y, dtype=np.float64).tobytes())
    for _, ho in fold_list:
        h.update(b"|" + np.ascontiguousarray(ho, dtype=np.int64).tobytes())
    return h.hexdigest()


def cv_fit_key(
    name: str, fold: int, seed: int, params: dict[str, Any], rows_digest: str
) -> dict[str, Any]:
    """What a stored cross-validation fit must share with the one it stands in for: the
    candidate, fold, seed, constructor parameters (JSON form) and the CV rows' digest."""
    import json

    shown = {k: v for k, v in params.items() if k not in _RUNTIME_PARAMS}
    return {
        "kind": CV_FIT_KIND,
        "candidate": name,
        "fold": int(fold),
        "seed": int(seed),
        "params": json.loads(json.dumps(shown, sort_keys=True, default=str)),
        "rows": rows_digest,
    }


def file_slug(name: str) -> str:
    """A model name as a file name: made file-safe and cut to 40 characters, plus a tag of the
    full name so two names never share a file (`blend:gbm+minimol-mlp@0.6`, `lm:PATH`)."""
    import hashlib
    import re

    tag = hashlib.sha256(name.encode()).hexdigest()[:8]
    return f"{re.sub(r'[^A-Za-z0-9._-]+', '_', name)[:40]}-{tag}"


def cv_fit_path(folder: str | os.PathLike, name: str, fold: int) -> Path:
    """The file of candidate `name`'s fit on fold `fold` in a checkpoint folder."""
    return Path(folder) / f"{file_slug(name)}.fold{int(fold)}.npz"


def save_cv_fit(path: str | os.PathLike, key: dict[str, Any], pred: np.ndarray) -> Path:
    """Store one fit's out-of-fold predictions and its key (`cv_fit_key`) as an .npz, written
    to a temporary file, fsynced and renamed (a kill leaves the old file or the new one)."""
    import json

    from helixforge.core.io import atomic_file

    with atomic_file(path) as tmp, open(tmp, "wb") as fh:
        np.savez(fh, pred=np.asarray(pred, dtype=float), key=np.array(json.dumps(key)))
    return Path(path)


def load_cv_fit(
    path: str | os.PathLike, key: dict[str, Any], n_rows: int, log: Log = _nolog
) -> np.ndarray | None:
    """The predictions `save_cv_fit` stored at `path` when its key equals `key` and it holds
    `n_rows` rows; None when there is none, or (logged) when it was made with another key or
    cannot be read — that fit is then done again."""
    import json
    import zipfile

    path = Path(path)
    if not path.exists():
        return None
    try:
        with np.load(path, allow_pickle=False) as npz:
            saved = json.loads(str(npz["key"][()]))
            pred = np.asarray(npz["pred"], dtype=float)
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as exc:
        log(f"auto: {path.name} cannot be read ({exc}); fitting it again")
        return None
    if saved != key or len(pred) != n_rows:
        log(f"auto: {path.name} was made with other options or rows; fitting it again")
        return None
    return pred


def choose_from_oof(
    task_types: Sequence[str],
    y: np.ndarray,
    holdouts: Sequence[np.ndarray],
    oof: dict[str, Sequence[np.ndarray]],
    *,
    metric: str | None = None,
    rule: str = DEFAULT_RULE,
    blend: bool = True,
    logs: Sequence[bool] | None = None,
    log: Log = _nolog,
) -> tuple[str, dict[str, float], dict[str, Any]]:
    """`auto`'s decision from cross-validation evidence: `holdouts[k]` are the rows of `y`
    held out in fold k and `oof[name][k]` a candidate's predictions for them. Scores every
    candidate per fold (by `metric` if given), adds the blend of the best two, applies `rule`.
    Returns the chosen name, each candidate's mean CV loss and the decision record. Used by
    `select_model`, and offline on saved evidence (`oof_out`) to score another metric or rule
    without refitting."""
    if metric is not None:
        metric = check_metric(metric, task_types)
    candidates = list(oof)
    fold_list = [(np.empty(0, dtype=int), np.asarray(ho)) for ho in holdouts]
    fold_losses: dict[str, list[float]] = {}  # per candidate: loss of each fold
    for name in candidates:
        fold_losses[name] = [
            _mean(_fold_losses(task_types, y[ho], pred, logs, metric))
            for (_, ho), pred in zip(fold_list, oof[name])
        ]
        log(f"auto: {name} cross-validated loss {_mean(fold_losses[name]):.4f}")
    scores = {name: _mean(fold_losses[name]) for name in candidates}
    weights: dict[str, list[float]] = {}
    blend_oof: dict[str, float] = {}  # the blend's loss at the weight chosen on the same folds
    if blend and len(candidates) > 1 and "multiclass" not in task_types:
        a, b = sorted(candidates, key=lambda c: (_key(scores[c]), c != BASELINE))[:2]
        w, w_loss = best_blend_weight(
            task_types, y, fold_list, oof[a], oof[b], logs=logs, metric=metric
        )
        per_fold, fold_w = crossfit_blend_losses(
            task_types, y, fold_list, oof[a], oof[b], logs=logs, metric=metric
        )
        if np.isfinite(_mean(per_fold)):
            from helixforge.chem.models.blend import blend_name

            name = blend_name([a, b], [w, 1 - w])
            fold_losses[name] = per_fold
            scores[name] = _mean(per_fold)
            weights[name] = fold_w
            blend_oof[name] = float(w_loss)
            log(f"auto: {name} cross-validated loss {scores[name]:.4f} (cross-fitted weight)")
    baseline = BASELINE if BASELINE in candidates else candidates[0]
    blend_margin = BLEND_MARGIN
    if metric is not None and len(task_types) == 1:
        from helixforge.core.metrics import HIGHER_IS_BETTER

        if metric not in HIGHER_IS_BETTER:  # an error metric in label units
            yy = y[:, 0][np.isfinite(y[:, 0])]
            blend_margin = BLEND_MARGIN * (float(np.std(yy)) if len(yy) else 1.0)
    if rule == "margin":
        chosen, info = decide(fold_losses, baseline)
    else:
        chosen, info = decide_lowest(fold_losses, blend_oof, baseline, margin=blend_margin)
    scored = int(np.isfinite(np.asarray(fold_losses[baseline], dtype=float)).sum())
    if chosen != baseline and scored < min(MIN_SCORED_FOLDS, len(holdouts)):
        chosen = info["chosen"] = baseline
        info["reason"] = (
            f"kept {baseline}: only {scored} of {len(holdouts)} cross-validation folds could be "
            "scored (a fold holding one class has no ROC-AUC), too few to compare models"
        )
    log(f"auto: {info['reason']}")
    for name, w in weights.items():
        info["candidates"][name]["fold_weights"] = w
    return chosen, scores, info


def decide(
    fold_losses: dict[str, Sequence[float]], baseline: str = BASELINE
) -> tuple[str, dict[str, Any]]:
    """The paired-fold-margin rule on per-fold CV losses (same folds for every candidate):
    the chosen name and a record of the decision (`baseline`, `chosen`, `reason`, and per
    candidate its mean loss, fold losses, mean gain over the baseline, the gain's sd across
    folds and whether it qualified)."""
    base = np.asarray(fold_losses[baseline], dtype=float)
    cands: dict[str, dict[str, Any]] = {}
    qualified = []
    for name, losses in fold_losses.items():
        v = np.asarray(losses, dtype=float)
        entry: dict[str, Any] = {
            "cv_loss": _round(_mean(v)),
            "fold_losses": [_round(x) for x in v],
        }
        if name != baseline:
            gain, sd, n = paired_gain(base, v)
            ok = n >= 2 and gain > sd
            entry.update(gain=_round(gain), gain_sd=_round(sd), paired_folds=n, qualifies=ok)
            if ok:
                qualified.append(name)
        cands[name] = entry
    if qualified:
        chosen = min(qualified, key=lambda c: (_key(_mean(fold_losses[c])), c))
        e = cands[chosen]
        reason = (
            f"{chosen} beats {baseline} by {e['gain']:.4f} per fold (sd {e['gain_sd']:.4f} over"
            f" {e['paired_folds']} folds)"
            + (
                f"; also qualified: {', '.join(q for q in qualified if q != chosen)}"
                if len(qualified) > 1
                else ""
            )
        )
    else:
        chosen = baseline
        reason = f"no candidate beats {baseline} by more than the fold-to-fold sd of the gain"
    return chosen, {"baseline": baseline, "chosen": chosen, "reason": reason, "candidates": cands}


def decide_lowest(
    fold_losses: dict[str, Sequence[float]],
    blend_loss: dict[str, float],
    baseline: str = BASELINE,
    margin: float = BLEND_MARGIN,
) -> tuple[str, dict[str, Any]]:
    """The "lowest" rule: the single model with the lowest mean CV loss (ties: the baseline
    first, then by name), replaced by the blend when the blend's out-of-fold loss at its chosen
    weight (`blend_loss`) is lower by more than `margin`. Same record as `decide`."""
    singles = [n for n in fold_losses if n not in blend_loss]
    best = min(singles, key=lambda c: (_key(_mean(fold_losses[c])), c != baseline, c))
    cands: dict[str, dict[str, Any]] = {
        n: {"cv_loss": _round(_mean(v)), "fold_losses": [_round(x) for x in v]}
        for n, v in fold_losses.items()
    }
    chosen = best
    reason = f"{best} has the lowest cross-validated loss ({_mean(fold_losses[best]):.4f})"
    for name, loss in blend_loss.items():
        cands[name]["oof_loss_at_chosen_weight"] = _round(loss)
        if np.isfinite(loss) and loss < _mean(fold_losses[best]) - margin:
            chosen = name
            reason = (
                f"{name}: out-of-fold loss {loss:.4f} beats {best} "
                f"({_mean(fold_losses[best]):.4f}) by more than {margin:.4g}"
            )
    return chosen, {"baseline": baseline, "chosen": chosen, "reason": reason, "candidates": cands}


def paired_gain(base: np.ndarray, other: np.ndarray) -> tuple[float, float, int]:
    """Mean and sample sd (ddof=1) over folds of base − other (positive: `other` is better),
    over the folds where both losses are defined, and the number of those folds."""
    d = np.asarray(base, dtype=float) - np.asarray(other, dtype=float)
    d = d[np.isfinite(d)]
    if len(d) < 2:
        return (float(d.mean()) if len(d) else float("nan")), float("nan"), len(d)
    return float(d.mean()), float(d.std(ddof=1)), len(d)


def default_candidates(pretrained: bool) -> list[str]:
    """`auto`'s candidates: gbm, plus the MiniMol models when the extra is installed."""
    return [BASELINE] + (["minimol-gbm", "minimol-mlp"] if pretrained else [])


def _mean(values) -> float:
    v = np.asarray(list(values), dtype=float)
    v = v[np.isfinite(v)]
    return float(v.mean()) if len(v) else float("nan")


def _key(v: float) -> float:
    return v if np.isfinite(v) else float("inf")


def _round(v: float) -> float | None:
    return round(float(v), 6) if np.isfinite(v) else None


def _fold_losses(
    task_types: Sequence[str],
    y: np.ndarray,
    pred: np.ndarray,
    logs: Sequence[bool] | None = None,
    metric: str | None = None,
) -> list[float]:
    out = []
    for j, tt in enumerate(task_types):
        if metric is None:
            v = primary_loss(tt, y[:, j], pred[:, j], bool(logs and logs[j]))
        else:
            yj = y[:, j][np.isfinite(y[:, j])]
            scale = float(np.std(yj)) if len(task_types) > 1 and len(yj) else 1.0
            v = metric_loss(metric, y[:, j], pred[:, j], scale)
        if np.isfinite(v):
            out.append(v)
    return out


def _blend_fold_losses(task_types, y, fold_list, pred_a, pred_b, w, logs, metric) -> list[float]:
    return [
        _mean(_fold_losses(task_types, y[ho], w * pa + (1 - w) * pb, logs, metric))
        for (_, ho), pa, pb in zip(fold_list, pred_a, pred_b)
    ]


def best_blend_weight(
    task_types: Sequence[str],
    y: np.ndarray,
    fold_list: Sequence[tuple[np.ndarray, np.ndarray]],
    pred_a: Sequence[np.ndarray],
    pred_b: Sequence[np.ndarray],
    grid: Sequence[float] = BLEND_GRID,
    logs: Sequence[bool] | None = None,
    use: Sequence[int] | None = None,
    metric: str | None = None,
) -> tuple[float, float]:
    """The weight w of model A in w·A + (1 − w)·B with the lowest mean CV loss over folds
    (out-of-fold predictions; only the folds in `use` if given; the loss of `metric` if
    given, see `select_model`), and that loss."""
    keep = range(len(fold_list)) if use is None else use
    folds = [fold_list[k] for k in keep]
    pa, pb = [pred_a[k] for k in keep], [pred_b[k] for k in keep]
    best_w, best_loss = 0.5, float("inf")
    for w in grid:
        loss = _mean(_blend_fold_losses(task_types, y, folds, pa, pb, w, logs, metric))
        if np.isfinite(loss) and loss < best_loss - 1e-12:
            best_w, best_loss = float(w), loss
    return best_w, best_loss


def crossfit_blend_losses(
    task_types: Sequence[str],
    y: np.ndarray,
    fold_list: Sequence[tuple[np.ndarray, np.ndarray]],
    pred_a: Sequence[np.ndarray],
    pred_b: Sequence[np.ndarray],
    grid: Sequence[float] = BLEND_GRID,
    logs: Sequence[bool] | None = None,
    metric: str | None = None,
) -> tuple[list[float], list[float]]:
    """Per fold k: the blend's loss on fold k with the weight picked on the other folds (so
    the weight search is not scored on the rows it was tuned on), and those weights."""
    losses, weights = [], []
    for k, (_, ho) in enumerate(fold_list):
        others = [j for j in range(len(fold_list)) if j != k]
        w, _ = best_blend_weight(
            task_types, y, fold_list, pred_a, pred_b, grid, logs, others, metric=metric
        )
        weights.append(w)
        mix = w * pred_a[k] + (1 - w) * pred_b[k]
        losses.append(_mean(_fold_losses(task_types, y[ho], mix, logs, metric)))
    return losses, weights


BLEND_FORM = "blend:MODEL_A+MODEL_B@WEIGHT_OF_A, e.g. blend:gbm+minimol-mlp@0.6 (@W optional)"


def check_blend_spec(spec: str, option: str = "--model") -> str:
    """A `blend:A+B[@W]` spec checked whole; returns it canonical (lower-case prefix and model
    names, spaces dropped). A `ConfigError` showing the valid form refuses: an '@' with no
    weight after it (`blend:A+B@`, which was read as 'no weight' and blended 50/50), a weight
    that is not a finite number in [0, 1], more than one '@', fewer than two members, an
    empty member (`A++B`, `A+`), a member that is not a chem model (another blend, `auto`, an
    unknown name; `lm:PATH` is a model), and a member named twice."""
    from helixforge.chem.models import BLEND_PREFIX, LM_PREFIX, MODEL_NAMES
    from helixforge.core.errors import ConfigError

    names = [n for n in MODEL_NAMES if ":" not in n]

    def refuse(why: str) -> ConfigError:
        return ConfigError(f"{option} {spec}: {why}", hint=f"write {BLEND_FORM}")

    text = str(spec).strip()
    if not text.lower().startswith(BLEND_PREFIX):
        raise refuse(f"a blend starts with {BLEND_PREFIX!r}")
    body = text[len(BLEND_PREFIX) :]
    if body.count("@") > 1:
        raise refuse("more than one '@' (one weight, for the first model)")
    members_text, at, weight = body.partition("@")
    if at:
        weight = weight.strip()
        if not weight:
            raise refuse("the weight after '@' is empty")
        import math

        try:
            w = float(weight)
        except ValueError:
            raise refuse(f"the weight {weight!r} is not a number") from None
        if not math.isfinite(w) or not 0.0 <= w <= 1.0:
            raise refuse(f"the weight {weight!r} is not a number from 0 to 1")
    members = [m.strip() for m in members_text.split("+")]
    if len(members) < 2:
        raise refuse("a blend needs two models joined by '+'")
    out = []
    for m in members:
        if not m:
            raise refuse("an empty model name between the '+' signs")
        if m.lower().startswith(LM_PREFIX):
            if not m[len(LM_PREFIX) :].strip():
                raise refuse(f"{m!r} needs a checkpoint path after 'lm:'")
            out.append(LM_PREFIX + m[len(LM_PREFIX) :])
            continue
        if m.lower() not in names:
            raise refuse(f"{m!r} is not a chem model; blend two of: {', '.join(names)}, lm:PATH")
        out.append(m.lower())
    if len(set(out)) < len(out):
        raise refuse("a model is named twice; blend two different models")
    return f"{BLEND_PREFIX}{'+'.join(out)}" + (f"@{weight}" if at else "")
