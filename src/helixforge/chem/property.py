"""Molecular property prediction, end to end: the library behind `helix chem train / predict /
evaluate`.

    run = train_property_model("assay.csv", "smiles", ["pIC50"], split="scaffold", out="runs/pic50")
    predict_property("runs/pic50", "library.csv", "library_pred.csv")
    evaluate_property("runs/pic50", "new_measurements.csv")

A run directory holds: config.json (resolved options, including what `auto` chose),
versions.json (library versions, data sha256), model/member_<i>/ (one trained model per
ensemble member), uncertainty.json (conformal calibration), ad.json + ad_train_bits.npy
(applicability domain), metrics.json (train/valid/test per task), predictions.csv (every
usable row with its split, prediction, ensemble spread, interval or prediction set and AD
flag), errors.csv (rejected rows), conflicts.csv (duplicates whose labels disagree),
card.md and report.html.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from helixforge.chem.models import GBM_NAMES
from helixforge.chem.standardize import (
    CANONICAL_COL,
    StandardizeOptions,
    merge_duplicates,
    standardize_table,
)
from helixforge.core.errors import ConfigError, InputError, NoUsableRowsError, RowErrors

Log = Callable[[str], None]
TASK_TYPES = ("regression", "binary", "multiclass")
MAX_CLASSES = 10
SPLIT_COL = "split"


def _nolog(_: str) -> None:
    pass


# ---------------------------------------------------------------- tasks


def detect_task(values: np.ndarray, max_classes: int = MAX_CLASSES) -> str:
    """'binary' if labels ⊂ {0, 1}; 'multiclass' for 3..max_classes integer labels; else 'regression'."""
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    if len(v) == 0:
        return "regression"
    uniq = np.unique(v)
    if set(uniq.tolist()) <= {0.0, 1.0}:
        return "binary"
    if np.all(uniq == np.round(uniq)) and 3 <= len(uniq) <= max_classes and len(v) >= 5 * len(uniq):
        return "multiclass"
    return "regression"


def resolve_tasks(
    task: str | Sequence[str], y: np.ndarray, targets: Sequence[str]
) -> tuple[list[str], list[str]]:
    """Task type per target (from `task`: 'auto', one type, or one per target) and notes."""
    notes: list[str] = []
    if isinstance(task, str):
        parts = [t.strip() for t in task.split(",")] if "," in task else [task] * len(targets)
    else:
        parts = list(task)
    if len(parts) != len(targets):
        raise ConfigError(
            f"--task got {len(parts)} values for {len(targets)} targets",
            hint="give one task, or one per --target",
        )
    types = []
    for j, (t, name) in enumerate(zip(parts, targets)):
        if t == "auto":
            t = detect_task(y[:, j])
            if t == "multiclass" and len(targets) > 1:
                notes.append(
                    f"{name}: integer labels treated as regression (multiclass needs a single target)"
                )
                t = "regression"
        elif t not in TASK_TYPES:
            raise ConfigError(
                f"unknown task {t!r}", hint="use auto, regression, binary or multiclass"
            )
        if t == "multiclass" and len(targets) > 1:
            raise ConfigError("multiclass is supported for a single --target only")
        if t == "binary":
            bad = set(np.unique(y[np.isfinite(y[:, j]), j]).tolist()) - {0.0, 1.0}
            if bad:
                raise ConfigError(
                    f"target {name!r} is declared binary but has labels {sorted(bad)[:5]} besides 0/1",
                    hint="use --task regression, or recode the labels as 0 and 1",
                )
        types.append(t)
    return types, notes


# ---------------------------------------------------------------- data


@dataclass
class PropertyTable:
    """A cleaned training table: one row per unique canonical SMILES."""

    frame: pd.DataFrame  # original columns + canonical_smiles (+ n_merged), index = file line
    smiles: list[str]
    y: np.ndarray  # (n, n_targets), NaN = missing
    targets: list[str]
    errors: RowErrors
    conflicts: pd.DataFrame
    task_types: list[str] = field(default_factory=list)
    classes: dict[str, list[float]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def load_property_table(
    data: str | os.PathLike | pd.DataFrame,
    smiles_col: str,
    targets: Sequence[str],
    *,
    task: str | Sequence[str] = "auto",
    split_col: str | None = None,
    tolerance: float = 0.5,
    options: StandardizeOptions = StandardizeOptions(),
    n_jobs: int = 1,
    source: str | None = None,
) -> PropertyTable:
    """Read, validate labels, standardize SMILES, detect tasks and merge duplicates."""
    from helixforge.core.tables import (
        read_table,
        require_columns,
        skipped_line_errors,
        to_numeric_column,
    )

    targets = list(targets)
    if not targets:
        raise ConfigError("no --target given", hint="name at least one label column with --target")
    needed = [smiles_col, *targets] + ([split_col] if split_col else [])
    source = source or (str(data) if not isinstance(data, pd.DataFrame) else "<table>")
    df = read_table(data, columns=needed) if not isinstance(data, pd.DataFrame) else data.copy()
    require_columns(df, needed, source)
    errors = RowErrors(source)
    errors.extend(skipped_line_errors(df, source))
    for t in targets:
        values, bad = to_numeric_column(df, t)
        for row in df.index[bad.to_numpy()]:
            errors.add(int(row), t, df.at[row, t], "label is not a number; treated as missing")
        df[t] = values
    y_all = df[targets].to_numpy(dtype=float)
    no_label = ~np.isfinite(y_all).any(axis=1)
    for row in df.index[no_label]:
        errors.add(
            int(row), ",".join(targets), None, "no usable label in any target column; row skipped"
        )
    df = df[~no_label]
    if df.empty:
        raise NoUsableRowsError(
            f"{source}: no row has a usable label", hint=f"check the target column(s) {targets}"
        )
    df, errors = standardize_table(
        df, smiles_col, source=source, options=options, n_jobs=n_jobs, errors=errors
    )
    if df.empty:
        raise NoUsableRowsError(
            f"{source}: none of the SMILES in column {smiles_col!r} could be used",
            hint="see errors.csv for the reason of each row; check --smiles-col",
        )
    task_types, notes = resolve_tasks(task, df[targets].to_numpy(dtype=float), targets)
    if split_col:
        df[split_col] = df[split_col].astype(str).str.strip().str.lower()
    merged, conflicts = merge_duplicates(df, targets, task_types, tolerance=tolerance)
    if merged["n_merged"].gt(1).any():
        n_dup = int(df.duplicated(CANONICAL_COL, keep=False).sum())
        # with a split column a molecule listed in two parts would leak; the first row's part wins
        kept = " (first row's split kept)" if split_col else ""
        notes.append(
            f"{n_dup} rows were duplicates after standardisation and were merged into {int(merged['n_merged'].gt(1).sum())}{kept}"
        )
    y = np.array(merged[targets].to_numpy(dtype=float), dtype=float)  # writable copy
    classes: dict[str, list[float]] = {}
    for j, (t, tt) in enumerate(zip(targets, task_types)):
        if tt == "multiclass":
            uniq = np.unique(y[np.isfinite(y[:, j]), j])
            classes[t] = uniq.tolist()
            lookup = {v: i for i, v in enumerate(uniq.tolist())}
            y[:, j] = [lookup[v] if np.isfinite(v) else np.nan for v in y[:, j]]
    return PropertyTable(
        frame=merged,
        smiles=merged[CANONICAL_COL].tolist(),
        y=y,
        targets=targets,
        errors=errors,
        conflicts=conflicts,
        task_types=task_types,
        classes=classes,
        notes=notes,
    )


# ---------------------------------------------------------------- splits


def split_table(
    table: PropertyTable,
    split: str,
    *,
    split_col: str | None = None,
    fractions: Sequence[float] = (0.8, 0.1, 0.1),
    seed: int = 0,
):
    """Train/valid/test positions. A predefined split without a valid part gets one carved
    from its train part by scaffold (10%), for early stopping and conformal calibration."""
    import helixforge.chem  # noqa: F401  (registers scaffold / cluster)
    from helixforge.core.splits import Split, make_split

    n = len(table.smiles)
    if split_col:
        sp = make_split("predefined", n, assignment=table.frame[split_col].tolist())
    else:
        kw: dict[str, Any] = {"smiles": table.smiles}
        if split == "stratified":
            kw["y"] = table.y[:, 0]
        sp = make_split(split, n, fractions=fractions, seed=seed, **kw)
    if len(sp.train) == 0:
        raise ConfigError(
            "the split left no training molecules", hint="check --split-col values or the fractions"
        )
    if len(sp.valid) == 0 and len(sp.train) >= 20:
        inner = make_split(
            "scaffold",
            len(sp.train),
            smiles=[table.smiles[i] for i in sp.train],
            fractions=(0.9, 0.1, 0.0),
            seed=seed,
        )
        held = np.concatenate([inner.valid, inner.test])  # leftover scaffold sets join valid
        sp = Split(sp.train[inner.train], sp.train[held], sp.test)
    return sp


# ---------------------------------------------------------------- model selection


def _primary_loss(task_type: str, y: np.ndarray, pred: np.ndarray) -> float:
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
    log: Log = _nolog,
) -> tuple[str, dict[str, float]]:
    """The `--model auto` rule: k-fold CV (folds grouped by Bemis–Murcko scaffold) on the
    training molecules only; each candidate's loss is averaged over folds and tasks
    (RMSE/SD for regression, 1 − ROC-AUC for binary, error rate for multiclass); the lowest
    wins, ties go to the cheaper GBM. For speed CV uses at most `max_molecules` molecules
    and caps D-MPNN at `dmpnn_epochs` epochs. With D-MPNN unavailable GBM is chosen without CV.
    `params` maps a candidate name to its constructor parameters.
    """
    from helixforge.chem.models import dmpnn_available, get_model
    from helixforge.chem.splits import scaffold_groups
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
    fold_list = kfold_indices(len(idx), folds, seed=seed, groups=scaffold_groups(sub_smiles))
    scores: dict[str, float] = {}
    for name in candidates:
        losses = []
        for k, (tr, ho) in enumerate(fold_list):
            kw: dict[str, Any] = dict((params or {}).get(name, {}))
            if name.startswith("dmpnn"):
                kw = {"epochs": dmpnn_epochs, "device": device, **kw}
            model = get_model(name, **kw)
            model.fit([sub_smiles[i] for i in tr], sub_y[tr], task_types, seed=seed + k)
            pred = model.predict([sub_smiles[i] for i in ho])
            for j, tt in enumerate(task_types):
                v = _primary_loss(tt, sub_y[ho, j], pred[:, j])
                if np.isfinite(v):
                    losses.append(v)
        scores[name] = float(np.mean(losses)) if losses else float("inf")
        log(f"auto: {name} cross-validated loss {scores[name]:.4f}")
    best = min(candidates, key=lambda c: (scores[c], c != "gbm"))
    return best, scores


# ---------------------------------------------------------------- ensemble


class PropertyEnsemble:
    """N trained members of one model type; prediction = mean, uncertainty = spread (SD)."""

    def __init__(self, members: list, model_name: str, task_types: Sequence[str]):
        self.members = members
        self.model_name = model_name
        self.task_types = list(task_types)
        # Classes per multiclass task in the whole table. A member trained without the highest
        # classes outputs fewer columns; they are padded with probability 0 (never seen).
        self.class_counts: list[int | None] = [None] * len(self.task_types)

    def feature_spec(self):
        """The `FeatureSpec` all members share when every member is a GBM, else None (then
        features cannot be computed once for the whole ensemble)."""
        from helixforge.chem.models.gbm import GBMModel

        if not all(isinstance(m, GBMModel) for m in self.members):
            return None
        specs = {m.features for m in self.members}
        return next(iter(specs)) if len(specs) == 1 else None

    def _gbm_features(self, smiles: Sequence[str], n_jobs: int = 1, features=None):
        from helixforge.chem.featurize import featurize

        self.ecfp_bits = None
        spec = self.feature_spec()
        if spec is None:
            return None
        X = features if features is not None else featurize(smiles, spec, n_jobs=n_jobs)
        if spec.morgan_radius == 2 and spec.morgan_bits == 2048:
            from helixforge.chem.featurize import bits_from_counts

            self.ecfp_bits = bits_from_counts(X[:, :2048])  # reused by the AD (no re-parse)
        return X

    def predict_members(
        self, smiles: Sequence[str], n_jobs: int = 1, features: np.ndarray | None = None
    ) -> list[list[np.ndarray]]:
        """[member][task] → (n,) values/P(1) or (n, k) class probabilities. `features`: rows of
        `featurize(smiles, self.feature_spec())` when the caller has them already."""
        smiles = list(smiles)
        X = self._gbm_features(smiles, n_jobs, features)
        out = []
        for m in self.members:
            if X is not None:
                out.append(m.predict_proba_tasks(features=X))
                continue
            pred = m.predict(smiles)
            per_task = []
            for j, tt in enumerate(self.task_types):
                per_task.append(m.predict_proba(smiles) if tt == "multiclass" else pred[:, j])
            out.append(per_task)
        return out

    def predict(
        self, smiles: Sequence[str], n_jobs: int = 1, features: np.ndarray | None = None
    ) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """Per task: mean prediction ((n,) or (n, k)) and spread ((n,) SD across members)."""
        return self.combine(self.predict_members(smiles, n_jobs, features))

    def combine(
        self, per_member: list[list[np.ndarray]]
    ) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """Mean and spread per task from `[member][task]` predictions."""
        means, spreads = [], []
        for j, tt in enumerate(self.task_types):
            cols = [pm[j] for pm in per_member]
            if tt == "multiclass":
                width = max([c.shape[1] for c in cols] + [self.class_counts[j] or 0])
                cols = [np.pad(c, ((0, 0), (0, width - c.shape[1]))) for c in cols]
            stack = np.stack(cols, axis=0)
            mean = stack.mean(axis=0)
            if tt == "multiclass":
                spread = (
                    stack.max(axis=2).std(axis=0) if len(per_member) > 1 else np.zeros(len(mean))
                )
            else:
                spread = stack.std(axis=0) if len(per_member) > 1 else np.zeros(len(mean))
            means.append(mean)
            spreads.append(spread)
        return means, spreads

    def save(self, path: str | os.PathLike) -> None:
        """Write all members into a fresh folder, then swap it in: a retrained run never keeps
        members of an earlier, larger ensemble (load() reads every member_* it finds)."""
        import shutil
        import tempfile

        from helixforge.chem.models import save_model

        dest = Path(path)
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{dest.name}.", dir=dest.parent))
        try:
            for i, m in enumerate(self.members):
                save_model(m, tmp / f"member_{i}", self.model_name)
            if dest.exists():
                shutil.rmtree(dest)
            tmp.rename(dest)
        finally:
            if tmp.exists():
                shutil.rmtree(tmp)

    @classmethod
    def load(
        cls, path: str | os.PathLike, model_name: str, task_types: Sequence[str]
    ) -> PropertyEnsemble:
        from helixforge.chem.models import load_model

        dirs = sorted(Path(path).glob("member_*"), key=lambda p: int(p.name.split("_")[1]))
        if not dirs:
            raise InputError(
                f"{path}: no trained models (member_*) found",
                hint="is this a finished training run?",
            )
        return cls([load_model(d) for d in dirs], model_name, task_types)


# ---------------------------------------------------------------- the predictor


class Predictor:
    """Everything `predict` needs from a run directory: ensemble, calibration, AD, config."""

    def __init__(self, run_dir: str | os.PathLike):
        from helixforge.chem.uncertainty import (
            ApplicabilityDomain,
            ClassificationConformal,
            RegressionConformal,
        )
        from helixforge.core.artifacts import RunDir, load_json

        self.run = RunDir(run_dir, create=False)
        self.config = self.run.load_config()
        self.targets = self.config["targets"]
        self.task_types = self.config["task_types"]
        self.classes = self.config.get("classes", {})
        self.ensemble = PropertyEnsemble.load(
            self.run / "model", self.config["model"], self.task_types
        )
        self.ensemble.class_counts = [
            len(self.classes[t]) if t in self.classes else None for t in self.targets
        ]
        unc = (
            load_json(self.run / "uncertainty.json")
            if (self.run / "uncertainty.json").exists()
            else {}
        )
        self.conformal = {}
        for t, tt in zip(self.targets, self.task_types):
            if t in unc:
                cls = RegressionConformal if tt == "regression" else ClassificationConformal
                self.conformal[t] = cls.from_dict(unc[t])
        ad = (
            load_json(self.run / "ad.json")
            if (self.run / "ad.json").exists()
            else {"threshold": 0.3}
        )
        self.ad = ApplicabilityDomain(threshold=ad["threshold"])
        bits_path = self.run / "ad_train_bits.npy"
        self.train_bits = np.load(bits_path, allow_pickle=False) if bits_path.exists() else None

    def predict_frame(
        self, smiles: Sequence[str], n_jobs: int = 1, features: np.ndarray | None = None
    ) -> pd.DataFrame:
        return prediction_columns(
            smiles,
            self.ensemble,
            self.targets,
            self.task_types,
            self.conformal,
            self.ad,
            self.train_bits,
            self.classes,
            n_jobs=n_jobs,
            features=features,
        )


def prediction_columns(
    smiles: Sequence[str],
    ensemble: PropertyEnsemble,
    targets: Sequence[str],
    task_types: Sequence[str],
    conformal: dict,
    ad,
    train_bits: np.ndarray | None,
    classes: dict[str, list[float]],
    n_jobs: int = 1,
    features: np.ndarray | None = None,
) -> pd.DataFrame:
    """Prediction, spread, interval / prediction set and AD columns for canonical SMILES
    (`features`: their GBM feature rows, when already computed)."""
    from helixforge.chem.featurize import morgan_bits
    from helixforge.chem.uncertainty import max_tanimoto, set_labels

    smiles = list(smiles)
    means, spreads = ensemble.predict(smiles, n_jobs=n_jobs, features=features)
    cols: dict[str, Any] = {}
    for j, (t, tt) in enumerate(zip(targets, task_types)):
        mean, spread = means[j], spreads[j]
        cal = conformal.get(t)
        if tt == "regression":
            cols[f"{t}_pred"] = mean
            cols[f"{t}_std"] = spread
            if cal is not None:
                lo, hi = cal.interval(mean, spread)
                cols[f"{t}_lower"], cols[f"{t}_upper"] = lo, hi
        elif tt == "binary":
            cols[f"{t}_prob"] = mean
            cols[f"{t}_pred"] = (mean >= 0.5).astype(int)
            cols[f"{t}_std"] = spread
            if cal is not None:
                cols[f"{t}_set"] = set_labels(cal.sets(mean), [0, 1])
        else:
            labels = classes.get(t, list(range(mean.shape[1])))
            names = [f"{v:g}" for v in labels]
            for c, name in enumerate(names):
                cols[f"{t}_prob_{name}"] = mean[:, c]
            cols[f"{t}_pred"] = [labels[i] for i in mean.argmax(axis=1)]
            cols[f"{t}_std"] = spread
            if cal is not None:
                cols[f"{t}_set"] = set_labels(cal.sets(mean), names)
    if train_bits is not None:
        bits = getattr(ensemble, "ecfp_bits", None)
        if bits is None or len(bits) != len(smiles):
            bits = morgan_bits(smiles)
        sim = max_tanimoto(bits, train_bits)
        cols["ad_similarity"] = sim
        cols["in_domain"] = ad.flag(sim)
    return pd.DataFrame(cols)


# ---------------------------------------------------------------- metrics


def task_metrics(task_type: str, y: np.ndarray, pred: np.ndarray) -> dict[str, float]:
    """Metrics for one task: `pred` is values (regression), P(1) (binary) or (n, k) probabilities."""
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


def _coverage_metrics(
    task_type: str, y: np.ndarray, frame: pd.DataFrame, t: str, classes
) -> dict[str, float]:
    keep = np.isfinite(y)
    if not keep.any():
        return {}
    if task_type == "regression" and f"{t}_lower" in frame:
        lo, hi = frame[f"{t}_lower"].to_numpy()[keep], frame[f"{t}_upper"].to_numpy()[keep]
        yy = y[keep]
        return {
            "interval_coverage": float(np.mean((yy >= lo) & (yy <= hi))),
            "interval_mean_width": float(np.mean(hi - lo)),
        }
    if f"{t}_set" in frame:
        sets = frame[f"{t}_set"].to_numpy()[keep]
        names = [f"{v:g}" for v in classes] if classes else ["0", "1"]
        truth = [names[int(v)] for v in y[keep]]
        members = [s.strip("{}").split(",") if s != "{}" else [] for s in sets]
        return {
            "set_coverage": float(np.mean([tr in m for tr, m in zip(truth, members)])),
            "set_mean_size": float(np.mean([len(m) for m in members])),
        }
    return {}


def score_frame(
    y: np.ndarray,
    preds: pd.DataFrame,
    targets: Sequence[str],
    task_types: Sequence[str],
    classes: dict,
) -> tuple[dict[str, dict[str, float]], list[str]]:
    """Metrics per target for one part, plus notes about undefined metrics."""
    out: dict[str, dict[str, float]] = {}
    notes = []
    for j, (t, tt) in enumerate(zip(targets, task_types)):
        yj = y[:, j]
        if tt == "regression":
            p = preds[f"{t}_pred"].to_numpy(float)
        elif tt == "binary":
            p = preds[f"{t}_prob"].to_numpy(float)
            present = set(np.unique(yj[np.isfinite(yj)]).tolist())
            if np.isfinite(yj).any() and len(present) < 2:
                notes.append(
                    f"{t}: only class {sorted(present)} present; ROC-AUC and PR-AUC are undefined (NaN)"
                )
        else:
            labels = classes.get(t, [])
            p = preds[[f"{t}_prob_{v:g}" for v in labels]].to_numpy(float)
        m = task_metrics(tt, yj, p)
        m.update(_coverage_metrics(tt, yj, preds, t, classes.get(t)))
        out[t] = m
    return out, notes


# ---------------------------------------------------------------- training


@dataclass
class PropertyRun:
    """What `train_property_model` returns."""

    run_dir: Path
    config: dict[str, Any]
    metrics: dict[str, Any]
    report: Path


def train_property_model(
    data: str | os.PathLike | pd.DataFrame,
    smiles_col: str,
    targets: Sequence[str],
    *,
    task: str | Sequence[str] = "auto",
    split: str = "scaffold",
    split_col: str | None = None,
    fractions: Sequence[float] = (0.8, 0.1, 0.1),
    model: str = "auto",
    model_params: dict[str, Any] | None = None,
    ensemble: int = 1,
    seed: int = 0,
    coverage: float = 0.9,
    ad_threshold: float = 0.3,
    tolerance: float = 0.5,
    tautomer: bool = False,
    device: str = "auto",
    n_jobs: int = 1,
    out: str | os.PathLike = "run",
    report: bool = True,
    quiet: bool = True,
    log: Log | None = None,
) -> PropertyRun:
    """Train (an ensemble of) property models on a SMILES table and write a run directory.

    data: CSV/TSV/Parquet path (or a DataFrame); targets: one or more label columns (NaN =
    missing label); task: 'auto' | 'regression' | 'binary' | 'multiclass' (or one per target,
    comma-separated); split: 'scaffold' | 'cluster' | 'random' | 'stratified', or `split_col`
    naming a column of train/valid/test; model: 'auto' | 'gbm' | 'dmpnn' | 'dmpnn-rdkit' |
    'lm:PATH'; ensemble: number of members (seeds seed, seed+1, …); coverage: target coverage
    of conformal intervals / sets, calibrated on the validation split; report: write
    report.html (plots take a few seconds).
    """
    from helixforge.chem.featurize import morgan_bits
    from helixforge.chem.models import get_model
    from helixforge.chem.uncertainty import (
        ApplicabilityDomain,
        ClassificationConformal,
        RegressionConformal,
    )
    from helixforge.core.artifacts import RunDir, save_json
    from helixforge.core.training import seed_everything

    log = log or _nolog
    t_start = time.time()
    if ensemble < 1:
        raise ConfigError("--ensemble must be at least 1")
    if not 0 < coverage < 1:
        raise ConfigError(f"--coverage {coverage} must be between 0 and 1 (for example 0.9)")
    seed_everything(seed)
    run = RunDir(out)
    log(f"reading {data if not isinstance(data, pd.DataFrame) else 'table'}")
    table = load_property_table(
        data,
        smiles_col,
        targets,
        task=task,
        split_col=split_col,
        tolerance=tolerance,
        options=StandardizeOptions(tautomer=tautomer),
        n_jobs=n_jobs,
    )
    table.errors.write(run / "errors.csv")
    from helixforge.core.tables import write_table

    write_table(table.conflicts, run / "conflicts.csv")
    log(
        f"{len(table.smiles)} molecules ({len(table.errors)} rows rejected, {len(table.conflicts)} label conflicts); "
        f"tasks: {', '.join(f'{t}={tt}' for t, tt in zip(table.targets, table.task_types))}"
    )
    sp = split_table(table, split, split_col=split_col, fractions=fractions, seed=seed)
    log(f"split {'column ' + split_col if split_col else split}: {sp.sizes()}")
    smiles = table.smiles
    tr_smi = [smiles[i] for i in sp.train]
    va_smi = [smiles[i] for i in sp.valid]

    params = dict(model_params or {})
    selection: dict[str, float] = {}
    chosen = model
    if model == "auto":
        log("auto: choosing the model by cross-validation on the training split")
        chosen, selection = select_model(
            tr_smi, table.y[sp.train], table.task_types, seed=seed, device=device, log=log
        )
        log(f"auto chose {chosen}")
    if chosen.startswith("dmpnn"):
        params.setdefault("device", device)
        params.setdefault("quiet", quiet)
    is_gbm = chosen in GBM_NAMES
    if is_gbm:
        params.setdefault("num_threads", n_jobs)  # --jobs also sets LightGBM's threads
    members = []
    histories = []
    for i in range(ensemble):
        log(f"training {chosen} member {i + 1}/{ensemble}")
        m = get_model(chosen, **params)
        valid = (va_smi, table.y[sp.valid]) if len(va_smi) else None
        if is_gbm and i == 0:
            from helixforge.chem.featurize import featurize

            X_tr = featurize(tr_smi, m.features, n_jobs=n_jobs)
            X_va = featurize(va_smi, m.features, n_jobs=n_jobs) if valid else None
        if is_gbm:
            m.fit(
                tr_smi,
                table.y[sp.train],
                table.task_types,
                valid=valid,
                seed=seed + i,
                features=X_tr,
                valid_features=X_va,
            )
        else:
            m.fit(tr_smi, table.y[sp.train], table.task_types, valid=valid, seed=seed + i)
        members.append(m)
        histories.append(getattr(m, "history_", None) or getattr(m, "history", None) or [])
    ens = PropertyEnsemble(members, chosen, table.task_types)
    ens.class_counts = [
        len(table.classes[t]) if t in table.classes else None for t in table.targets
    ]
    ens.save(run / "model")

    # predictions on every part; conformal calibration on valid only
    log("predicting train / valid / test and calibrating uncertainty")
    labels = sp.labels(len(smiles))
    means, spreads = ens.predict(smiles, n_jobs=n_jobs)
    held_out = [getattr(m, "valid_pred_", None) for m in members]
    if len(sp.valid) and all(h is not None for h in held_out):
        # GBM refits on train + valid after early stopping: the validation rows get the
        # early-stopped boosters' predictions (made before those rows were trained on), so the
        # valid metrics and the conformal calibration below stay out-of-sample.
        v_means, v_spreads = ens.combine(held_out)
        for j in range(len(means)):
            means[j][sp.valid] = v_means[j]
            spreads[j][sp.valid] = v_spreads[j]
        if any(getattr(m, "params", {}).get("refit") for m in members):
            table.notes.append(
                "the GBM was refit on train + valid after early stopping; valid metrics and"
                " conformal calibration use the early-stopped model's held-out predictions"
            )
    conformal: dict[str, Any] = {}
    for j, (t, tt) in enumerate(zip(table.targets, table.task_types)):
        yv = table.y[sp.valid, j]
        if len(sp.valid) == 0 or not np.isfinite(yv).any():
            continue
        if tt == "regression":
            normalized = ensemble > 1
            conformal[t] = RegressionConformal(coverage, normalized).fit(
                yv, means[j][sp.valid], spreads[j][sp.valid]
            )
        else:
            conformal[t] = ClassificationConformal(coverage).fit(yv, means[j][sp.valid])
    save_json({t: c.to_dict() for t, c in conformal.items()}, run / "uncertainty.json")
    train_bits = morgan_bits(tr_smi)
    np.save(run / "ad_train_bits.npy", train_bits, allow_pickle=False)
    ad = ApplicabilityDomain(ad_threshold)
    save_json(
        {"threshold": ad_threshold, "fingerprint": "ECFP4 2048 bits", "n_train": len(tr_smi)},
        run / "ad.json",
    )

    preds = _frame_from_means(means, spreads, table, conformal, ad, train_bits, smiles)
    metrics: dict[str, Any] = {}
    notes = list(table.notes)
    for part, idx in (("train", sp.train), ("valid", sp.valid), ("test", sp.test)):
        if len(idx) == 0:
            continue
        m_part, n_part = score_frame(
            table.y[idx],
            preds.iloc[idx].reset_index(drop=True),
            table.targets,
            table.task_types,
            table.classes,
        )
        metrics[part] = m_part
        notes += [f"{part}: {n}" for n in n_part]
    if "in_domain" in preds:
        for part, idx in (("valid", sp.valid), ("test", sp.test)):
            if len(idx):
                metrics.setdefault(part, {})["_domain"] = {
                    "in_domain_fraction": float(preds["in_domain"].to_numpy()[idx].mean()),
                    "median_similarity": float(np.median(preds["ad_similarity"].to_numpy()[idx])),
                }
    metrics["notes"] = notes
    metrics["selection"] = selection
    metrics["train_seconds"] = round(time.time() - t_start, 2)
    run.save_metrics(metrics)

    out_frame = table.frame.copy()
    out_frame.insert(0, "row", out_frame.index.astype(int))
    out_frame[SPLIT_COL if SPLIT_COL not in out_frame else "assigned_split"] = labels
    for c in preds.columns:
        out_frame[c] = preds[c].to_numpy()
    for t, cls in table.classes.items():
        out_frame[t] = [
            cls[int(v)] if np.isfinite(v) else np.nan for v in table.y[:, table.targets.index(t)]
        ]
    write_table(out_frame.reset_index(drop=True), run / "predictions.csv")

    config = {
        "data": str(data) if not isinstance(data, pd.DataFrame) else "<DataFrame>",
        "smiles_col": smiles_col,
        "targets": table.targets,
        "task": task if isinstance(task, str) else list(task),
        "task_types": table.task_types,
        "classes": table.classes,
        "split": "predefined" if split_col else split,
        "split_col": split_col,
        "fractions": list(fractions),
        "split_sizes": sp.sizes(),
        "model_requested": model,
        "model": chosen,
        "model_params": params,
        "ensemble": ensemble,
        "seed": seed,
        "coverage": coverage,
        "ad_threshold": ad_threshold,
        "duplicate_tolerance": tolerance,
        "tautomer": tautomer,
        "device": device,
        "n_molecules": len(smiles),
        "n_rejected_rows": len(table.errors),
    }
    run.save_config(config)
    run.save_versions([data] if not isinstance(data, pd.DataFrame) else None)
    report_path = run / "report.html"
    if report:
        report_path = _write_report(run, config, metrics, table, sp, preds, histories, selection)
    _write_card(run, config, metrics)
    log(f"done in {time.time() - t_start:.1f}s; report: {report_path}")
    return PropertyRun(run.path, config, metrics, report_path)


def _frame_from_means(
    means, spreads, table: PropertyTable, conformal, ad, train_bits, smiles
) -> pd.DataFrame:
    """Same columns as `prediction_columns`, from already computed ensemble outputs."""

    class _Fixed:
        def predict(self, _smiles, n_jobs=1, features=None):
            return means, spreads

    return prediction_columns(
        smiles, _Fixed(), table.targets, table.task_types, conformal, ad, train_bits, table.classes
    )


# ---------------------------------------------------------------- report and card


def _write_report(
    run, config, metrics, table: PropertyTable, sp, preds: pd.DataFrame, histories, selection
) -> Path:
    from helixforge.core.report import Report, confusion_figure, histogram_figure

    targets, types = table.targets, table.task_types
    rep = Report(
        f"Property model — {', '.join(targets)}",
        f"{config['model']} × {config['ensemble']} · split {config['split']} · data {config['data']}",
    )
    rep.add_heading("Summary")
    rep.add_text(
        f"{config['n_molecules']} unique molecules used ({config['n_rejected_rows']} rows rejected, see errors.csv; "
        f"{len(table.conflicts)} duplicate-label conflicts, see conflicts.csv). Split sizes: {sp.sizes()}. "
        f"Tasks: {', '.join(f'{t} ({tt})' for t, tt in zip(targets, types))}."
    )
    if selection:
        rep.add_text(
            "Model selection (cross-validated loss, lower is better): "
            + ", ".join(f"{k}={v:.4f}" for k, v in selection.items())
        )
    for note in metrics.get("notes", []):
        rep.add_text(f"Note: {note}")
    rep.add_heading("Metrics")
    rows = []
    for part in ("train", "valid", "test"):
        for t in targets:
            if part in metrics and t in metrics[part]:
                rows.append(
                    {"split": part, "target": t, **{k: v for k, v in metrics[part][t].items()}}
                )
    if rows:
        rep.add_table(pd.DataFrame(rows))
    eval_part = sp.test if len(sp.test) else sp.valid
    part_name = "test" if len(sp.test) else "valid"
    for j, (t, tt) in enumerate(zip(targets, types)):
        y = table.y[eval_part, j]
        p = preds.iloc[eval_part]
        keep = np.isfinite(y)
        if not keep.any():
            continue
        if tt == "regression":
            lo = p[f"{t}_lower"].to_numpy()[keep] if f"{t}_lower" in p else None
            hi = p[f"{t}_upper"].to_numpy()[keep] if f"{t}_upper" in p else None
            rep.add_regression(
                y[keep],
                p[f"{t}_pred"].to_numpy()[keep],
                name=f"{t} ({part_name})",
                lower=lo,
                upper=hi,
            )
        elif tt == "binary":
            rep.add_classification(
                y[keep], p[f"{t}_prob"].to_numpy()[keep], name=f"{t} ({part_name})"
            )
        else:
            labels = table.classes.get(t, [])
            proba = p[[f"{t}_prob_{v:g}" for v in labels]].to_numpy()[keep]
            rep.add_heading(f"Multiclass — {t} ({part_name})")
            rep.add_figure(confusion_figure(y[keep].astype(int), proba.argmax(axis=1)))
    hist = [h for h in histories if h]
    if hist:
        rep.add_heading("Learning curves")
        rep.add_learning_curves(
            hist[0], name="ensemble member 0 (validation loss per round / epoch)"
        )
    if "ad_similarity" in preds and len(eval_part):
        rep.add_heading("Applicability domain")
        sim = preds["ad_similarity"].to_numpy()[eval_part]
        rep.add_figure(
            histogram_figure(
                sim,
                f"Max Tanimoto to training set ({part_name})",
                "nearest-neighbour similarity (ECFP4)",
            ),
            caption=f"threshold {config['ad_threshold']}: {np.mean(sim >= config['ad_threshold']):.0%} in domain",
        )
    if len(table.errors):
        rep.add_heading("Rejected rows (first 20)")
        rep.add_table(table.errors.to_frame().head(20))
    if len(table.conflicts):
        rep.add_heading("Duplicate label conflicts (first 20)")
        rep.add_table(table.conflicts.head(20))
    return rep.write(run / "report.html")


def _write_card(run, config, metrics) -> Path:
    lines = []
    for part in ("valid", "test"):
        for t, m in metrics.get(part, {}).items():
            if t.startswith("_"):
                continue
            shown = ", ".join(
                f"{k}={v:.3f}" for k, v in m.items() if isinstance(v, float) and np.isfinite(v)
            )
            lines.append(f"- {part} / {t}: {shown}")
    return run.write_card(
        f"Model card — {', '.join(config['targets'])}",
        {
            "Model": f"{config['model']} (requested: {config['model_requested']}), ensemble of {config['ensemble']}, seed {config['seed']}.",
            "Data": f"{config['data']}; {config['n_molecules']} unique standardized molecules; {config['n_rejected_rows']} rows rejected (errors.csv).",
            "Tasks": ", ".join(
                f"{t}: {tt}" for t, tt in zip(config["targets"], config["task_types"])
            ),
            "Split": f"{config['split']} {config['split_sizes']}",
            "Metrics": "\n".join(lines) or "(no held-out metrics)",
            "Uncertainty": f"Ensemble spread; split-conformal intervals / prediction sets at {config['coverage']:.0%} coverage, calibrated on the validation split.",
            "Intended use and limits": (
                "Ranking and triage of small molecules similar to the training set. Predictions for molecules with "
                f"nearest-neighbour Tanimoto < {config['ad_threshold']} to the training set (in_domain = False) are "
                "extrapolations. Conformal coverage assumes calibration and new molecules are exchangeable; under "
                "scaffold shift it can fall below the nominal level (see the test coverage in metrics.json)."
            ),
        },
    )


# ---------------------------------------------------------------- predict


def _find_smiles_col(df: pd.DataFrame, preferred: str | None, source) -> str:
    from helixforge.core.errors import ColumnNotFoundError

    if preferred and preferred in df.columns:
        return preferred
    for c in ("smiles", "SMILES", "Smiles", "canonical_smiles", "Drug", "mol"):
        if c in df.columns:
            return c
    raise ColumnNotFoundError([preferred or "smiles"], df.columns, source)


def predict_property(
    run_dir: str | os.PathLike,
    input: str | os.PathLike,
    out: str | os.PathLike,
    *,
    smiles_col: str | None = None,
    chunk_size: int = 10_000,
    n_jobs: int = 1,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, Any]:
    """Predict every row of `input` that parses; write `out` (input columns + predictions,
    spread, interval / set, AD) and `<out>.errors.csv` for the rest.

    Large inputs are processed in chunks of `chunk_size` rows; each finished chunk is written
    to `<out>.parts/` and recorded, so a rerun after a crash resumes where it stopped. The
    final table is assembled and renamed into place atomically.
    """
    from helixforge.chem.featurize import standardize_and_featurize
    from helixforge.chem.standardize import _errors_path, apply_standardization, standardize_many
    from helixforge.core.artifacts import load_json, save_json
    from helixforge.core.parallel import resolve_jobs
    from helixforge.core.tables import (
        read_table,
        require_columns,
        skipped_line_errors,
        write_table,
    )

    predictor = Predictor(run_dir)
    spec = predictor.ensemble.feature_spec()
    n_jobs = resolve_jobs(n_jobs)
    df = read_table(input)
    col = _find_smiles_col(df, smiles_col or predictor.config.get("smiles_col"), input)
    out = Path(out)
    parts_dir = out.parent / (out.name + ".parts")
    st = Path(input).stat()
    fingerprint = {
        "input": str(Path(input).resolve()),
        "size": st.st_size,
        "mtime": st.st_mtime,
        "chunk_size": chunk_size,
        "run": str(Path(run_dir).resolve()),
    }
    state_path = parts_dir / "state.json"
    if parts_dir.exists() and (
        not state_path.exists() or load_json(state_path).get("fingerprint") != fingerprint
    ):
        shutil.rmtree(parts_dir)
    parts_dir.mkdir(parents=True, exist_ok=True)
    state = (
        load_json(state_path) if state_path.exists() else {"fingerprint": fingerprint, "done": []}
    )
    n_chunks = max(1, -(-len(df) // chunk_size))
    for k in range(n_chunks):
        if k in state["done"]:
            if progress:
                progress(k + 1, n_chunks)
            continue
        chunk = df.iloc[k * chunk_size : (k + 1) * chunk_size]
        X = None
        if spec is not None:  # GBM: parse each molecule once, in n_jobs processes
            require_columns(chunk, [col], input)
            results, X = standardize_and_featurize(chunk[col].tolist(), spec, n_jobs=n_jobs)
        else:
            results = standardize_many(chunk[col].tolist(), n_jobs=n_jobs)
        clean, errors = apply_standardization(chunk, col, results, source=input)
        if len(clean):
            pred = predictor.predict_frame(clean[CANONICAL_COL].tolist(), n_jobs=n_jobs, features=X)
            pred.index = clean.index
            clash = {c: f"input_{c}" for c in clean.columns if c in pred.columns or c == "row"}
            res = pd.concat([clean.rename(columns=clash), pred], axis=1)
            res.insert(0, "row", res.index.astype(int))
        else:
            res = pd.DataFrame(columns=["row", *chunk.columns, CANONICAL_COL])
        write_table(res.reset_index(drop=True), parts_dir / f"chunk_{k:06d}.parquet")
        errors.write(parts_dir / f"errors_{k:06d}.csv")
        state["done"].append(k)
        save_json(state, state_path)
        if progress:
            progress(k + 1, n_chunks)
    frames = [pd.read_parquet(parts_dir / f"chunk_{k:06d}.parquet") for k in range(n_chunks)]
    result = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    err_frames = [
        pd.read_csv(parts_dir / f"errors_{k:06d}.csv", dtype=str, keep_default_na=False)
        for k in range(n_chunks)
    ]
    skipped = RowErrors(input)
    skipped.extend(skipped_line_errors(df, input))
    errors_all = pd.concat([skipped.to_frame(), *err_frames], ignore_index=True)
    errors_path = _errors_path(str(out))
    write_table(errors_all, errors_path)
    if result.empty:
        raise NoUsableRowsError(
            f"{input}: none of the {len(df)} SMILES in column {col!r} could be used",
            hint=f"see {errors_path} for the reason of each row",
        )
    write_table(result, out)
    shutil.rmtree(parts_dir, ignore_errors=True)
    summary: dict[str, Any] = {
        "rows": len(df),
        "predicted": len(result),
        "errors": len(errors_all),
        "out": str(out),
        "errors_path": errors_path,
    }
    if "in_domain" in result:
        summary["in_domain_fraction"] = float(result["in_domain"].astype(bool).mean())
    return summary


# ---------------------------------------------------------------- evaluate


def _training_molecules(run: Path) -> set[str]:
    """Canonical SMILES the run trained or early-stopped on (from its predictions.csv, whose
    split column is 'split', or 'assigned_split' when the input had its own 'split')."""
    path = Path(run) / "predictions.csv"
    if not path.exists():
        return set()
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    part = "assigned_split" if "assigned_split" in df.columns else "split"
    if "canonical_smiles" not in df.columns or part not in df.columns:
        return set()
    return set(df.loc[df[part].isin(["train", "valid"]), "canonical_smiles"])


def evaluate_property(
    run_dir: str | os.PathLike,
    data: str | os.PathLike,
    *,
    smiles_col: str | None = None,
    targets: Sequence[str] | None = None,
    out: str | os.PathLike | None = None,
    n_jobs: int = 1,
) -> dict[str, Any]:
    """Score a trained run on a new labelled table. Writes `out` (default
    RUN/evaluations/<data stem>/) with metrics.json, predictions.csv, errors.csv, report.html."""
    from helixforge.core.artifacts import RunDir, save_json
    from helixforge.core.report import Report
    from helixforge.core.tables import read_table, write_table

    predictor = Predictor(run_dir)
    targets = list(targets or predictor.targets)
    unknown = [t for t in targets if t not in predictor.targets]
    if unknown:
        raise ConfigError(
            f"the model was not trained on {unknown}", hint=f"its targets are {predictor.targets}"
        )
    df = read_table(data)
    col = _find_smiles_col(df, smiles_col or predictor.config.get("smiles_col"), data)
    from helixforge.core.tables import require_columns

    require_columns(df, targets, data)
    stem = Path(str(data)).name.split(".")[0]
    dest = RunDir(out or Path(run_dir) / "evaluations" / stem)
    table = load_property_table(
        df,
        col,
        targets,
        task=[predictor.task_types[predictor.targets.index(t)] for t in targets],
        tolerance=float("inf"),
        source=str(data),
    )
    for t in targets:  # map multiclass labels onto the model's class indices
        if t in predictor.classes:
            lookup = {v: i for i, v in enumerate(predictor.classes[t])}
            j = targets.index(t)
            raw = table.frame[t].to_numpy(float)
            table.y[:, j] = [lookup.get(v, np.nan) for v in raw]
    preds = predictor.predict_frame(table.smiles, n_jobs=n_jobs)
    idx = [predictor.targets.index(t) for t in targets]
    tt = [predictor.task_types[i] for i in idx]
    metrics, notes = score_frame(table.y, preds, targets, tt, predictor.classes)
    seen = _training_molecules(predictor.run.path) & set(table.smiles)
    result = {
        "data": str(data),
        "n_molecules": len(table.smiles),
        "n_rejected_rows": len(table.errors),
        "n_seen_in_training": len(seen),
        "metrics": metrics,
        "notes": notes,
    }
    if seen:
        unseen = ~np.isin(np.asarray(table.smiles), list(seen))
        notes.append(
            f"{len(seen)} of {len(table.smiles)} molecules were in the model's training or "
            "validation data; 'metrics' include them, 'metrics_unseen' leave them out"
        )
        if unseen.any():
            result["metrics_unseen"] = score_frame(
                table.y[unseen],
                preds[unseen].reset_index(drop=True),
                targets,
                tt,
                predictor.classes,
            )[0]
    if "in_domain" in preds:
        result["in_domain_fraction"] = float(preds["in_domain"].mean())
    save_json(result, dest / "metrics.json")
    table.errors.write(dest / "errors.csv")
    frame = table.frame.copy()
    frame.insert(0, "row", frame.index.astype(int))
    for c in preds.columns:
        frame[c] = preds[c].to_numpy()
    write_table(frame.reset_index(drop=True), dest / "predictions.csv")
    rep = Report(f"Evaluation — {', '.join(targets)}", f"run {run_dir} on {data}")
    rep.add_text(f"{len(table.smiles)} molecules scored, {len(table.errors)} rows rejected.")
    for n in notes:
        rep.add_text(f"Note: {n}")
    rep.add_table(pd.DataFrame([{"target": t, **m} for t, m in metrics.items()]))
    for j, (t, ty) in enumerate(zip(targets, tt)):
        y = table.y[:, j]
        keep = np.isfinite(y)
        if ty == "regression" and keep.any():
            lo = preds[f"{t}_lower"].to_numpy()[keep] if f"{t}_lower" in preds else None
            hi = preds[f"{t}_upper"].to_numpy()[keep] if f"{t}_upper" in preds else None
            rep.add_regression(y[keep], preds[f"{t}_pred"].to_numpy()[keep], t, lo, hi)
        elif ty == "binary" and keep.any():
            rep.add_classification(y[keep], preds[f"{t}_prob"].to_numpy()[keep], t)
    result["report"] = str(rep.write(dest / "report.html"))
    result["out"] = str(dest.path)
    return result
