"""LightGBM on ECFP4 / FCFP4 / atom-pair counts + the fast RDKit descriptor set: one booster
per task.

    model = GBMModel(n_estimators=600).fit(smiles, y, ["regression"], valid=(vs, vy))
    model.save("run/model/member_0")          # task_0.txt (LightGBM text) + gbm.json
    GBMModel.load("run/model/member_0").predict(new_smiles)

Missing labels (NaN) are masked per task. With `valid`, each booster stops early on it
(patience `early_stopping_rounds`) and keeps its best iteration; without, it trains
`n_estimators` rounds. Defaults are MapLight-style (boosted trees on count fingerprints and
descriptors) tuned lightly for small ADMET sets: slow learning rate, column subsampling.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from helixforge.chem.featurize import FeatureSpec, featurize
from helixforge.chem.inputs import check_int, label_matrix, smiles_list, valid_pair
from helixforge.chem.models.base import reading_model
from helixforge.core.errors import ConfigError, InputError

# ECFP4 + FCFP4 + atom-pair counts + fast descriptors. On TDC caco2_wang / herg (seeds 1-3,
# official test set) adding the FCFP and atom-pair blocks to ECFP + descriptors improved MAE
# 0.318 → 0.303 and ROC-AUC 0.834 → 0.838 for ~0.1 ms / molecule more.
# ErG pharmacophore pairs (as MapLight uses them) were added after a TDC ablation: 16 tasks x
# seeds 1-2, ErG + refit (below) beat the earlier default on 23 of 31 (task, seed) pairs,
# mean relative gain 2.1 % (benchmarks/results/chem_property.md has the full runs).
# That ablation ran before the ErG determinism fix (ErG then read a stale distance-matrix cache
# on ~1.5 % of TDC molecules, see chem/fingerprints.py): to be rerun before it is quoted again.
DEFAULT_FEATURES = FeatureSpec(
    morgan_bits=2048, fcfp_bits=1024, atom_pair_bits=1024, erg=True, descriptors="standard"
)
# "gbm-fast": ECFP4 counts + the lite descriptor set (no SMARTS-heavy blocks), ~4× faster to
# featurize than DEFAULT_FEATURES, for screening big libraries (benchmarks/chem_property.py
# measures what it costs in accuracy on TDC).
FAST_FEATURES = FeatureSpec(morgan_bits=2048, descriptors="lite")

# Lightly tuned on caco2_wang, herg, bbb_martins (TDC seeds 1-3, official test): 15 leaves,
# feature fraction 0.5, L2 5, 5 per leaf edged out 31 leaves / 0.25 / L2 1 on all three (by
# 0.002-0.004, within seed noise); a higher learning rate or feature fraction 0.1 was worse.
DEFAULT_PARAMS: dict[str, Any] = {
    "n_estimators": 1000,
    "learning_rate": 0.03,
    "num_leaves": 15,
    "min_child_samples": 5,
    "feature_fraction": 0.5,
    "bagging_fraction": 0.8,
    "bagging_freq": 1,
    "lambda_l2": 5.0,
    "early_stopping_rounds": 100,
    # After early stopping on the validation part, retrain on train + valid for the best
    # number of rounds scaled by the size ratio (12.5 % more data on TDC's split). The
    # early-stopped model's predictions on the validation molecules are kept (`valid_pred_`)
    # for honest validation metrics and conformal calibration.
    "refit": True,
    "num_threads": 1,
    # "auto": fit regression targets that are positive and right-skewed (half-life, VDss,
    # clearance: orders of magnitude) on log10 scale, predict back in the original units.
    "log_target": "auto",
}
_NON_LGB = {"n_estimators", "early_stopping_rounds", "log_target", "refit"}
# LightGBM parameters accepted besides DEFAULT_PARAMS, with their LightGBM defaults
EXTRA_PARAMS: dict[str, Any] = {
    "max_bin": 255,
    "min_split_gain": 0.0,
    "lambda_l1": 0.0,
    "verbose": -1,
}


def check_params(params: dict[str, Any]) -> dict[str, Any]:
    """`params` checked against DEFAULT_PARAMS / EXTRA_PARAMS: an unknown key, a wrong type or an
    out-of-range value → ConfigError naming the key, the expected type and the valid keys."""
    from helixforge.core.options import check_param_types, require_float, require_int

    valid = f"valid keys: {', '.join(sorted({**DEFAULT_PARAMS, **EXTRA_PARAMS}))}"
    types = {**DEFAULT_PARAMS, **EXTRA_PARAMS, "log_target": None}
    try:
        out = check_param_types(params, types)
        for key, low in (("n_estimators", 1), ("early_stopping_rounds", 1), ("num_leaves", 2)):
            if key in out:
                require_int(out[key], f"--param {key}", min_value=low)
        lows = {"min_child_samples": 0, "bagging_freq": 0, "num_threads": -1, "max_bin": 2}
        for key, low in lows.items():  # num_threads <= 0: LightGBM's default (all cores)
            if key in out:
                require_int(out[key], f"--param {key}", min_value=low)
        if "learning_rate" in out:
            require_float(out["learning_rate"], "--param learning_rate", low=0, low_open=True)
        for key in ("feature_fraction", "bagging_fraction"):
            if key in out:
                require_float(out[key], f"--param {key}", low=0, high=1, low_open=True)
        for key in ("lambda_l1", "lambda_l2", "min_split_gain"):
            if key in out:
                require_float(out[key], f"--param {key}", low=0)
        if out.get("log_target", "auto") not in ("auto", True, False):
            raise ConfigError(
                f"--param log_target={out['log_target']!r}: expected auto, true or false"
            )
    except ConfigError as exc:
        raise ConfigError(exc.message, hint=exc.hint or valid) from None
    return out


def use_log_target(y: np.ndarray, setting: str | bool = "auto") -> bool:
    """Whether to model log10(y): always/never when `setting` is a bool, else when every label is
    positive and the skewness of y exceeds 1 while that of log10(y) is smaller in magnitude
    (TDC half-life, VDss and both clearances qualify; PPBR, LD50, logD, solubility do not)."""
    if isinstance(setting, bool):
        return setting
    y = np.asarray(y, float)
    y = y[np.isfinite(y)]
    if len(y) < 10 or np.any(y <= 0):
        return False
    from scipy.stats import skew

    return bool(skew(y) > 1 and abs(skew(np.log10(y))) < abs(skew(y)))


def _unread_rows(X: np.ndarray) -> np.ndarray:
    """Rows `featurize` left all NaN: SMILES that did not parse."""
    return np.isnan(X).all(axis=1) if X.size else np.zeros(len(X), dtype=bool)


def _refuse_unread(X: np.ndarray, smiles, where: str) -> None:
    """InputError for training SMILES that did not parse: LightGBM trained on their all-NaN
    feature rows (every split's default branch) with their labels, silently."""
    bad = np.flatnonzero(_unread_rows(X))
    if len(bad):
        shown = smiles[bad[0]] if smiles is not None else None
        raise InputError(
            f"{where}: {len(bad)} SMILES could not be read (first: position {bad[0]}, "
            f"{shown!r}); a model cannot learn from them",
            hint="drop them first (helixforge.chem.standardize.parse_smiles(s)[0] is None for "
            "such a SMILES), or train with train_property_model / `helix chem train`, which "
            "sends them to the errors table",
        )


class GBMModel:
    """`PropertyModel` backed by LightGBM (see `helixforge.chem.models.base`)."""

    name = "gbm"
    uses_features = True  # takes precomputed feature matrices (core.estimator.uses_features)

    def __init__(self, features: FeatureSpec | dict | None = None, n_jobs: int = 1, **params: Any):
        self.params = {**DEFAULT_PARAMS, **check_params(params)}
        self.features = (
            FeatureSpec.from_dict(features)
            if isinstance(features, dict)
            else (features or DEFAULT_FEATURES)
        )
        self.n_jobs = n_jobs
        self.task_types: list[str] = []
        self.n_classes: list[int] = []
        self.boosters: list = []
        self.best_iterations: list[int] = []
        self.history: list[dict[str, float]] = []
        self.log_targets: list[bool] = []

    # ------------------------------------------------------------ training
    def _lgb_params(self, task_type: str, n_classes: int, seed: int) -> dict[str, Any]:
        p = {k: v for k, v in self.params.items() if k not in _NON_LGB}
        p.update(seed=seed, verbose=-1, deterministic=True, force_col_wise=True)
        if task_type == "regression":
            p.update(objective="regression", metric="l2")
        elif task_type == "binary":
            p.update(objective="binary", metric="binary_logloss")
        elif task_type == "multiclass":
            p.update(objective="multiclass", metric="multi_logloss", num_class=n_classes)
        else:
            raise ConfigError(
                f"unknown task type {task_type!r}", hint="regression, binary or multiclass"
            )
        return p

    def fit(
        self,
        smiles: Sequence[str],
        y: np.ndarray,
        task_types: Sequence[str],
        *,
        valid: tuple[Sequence[str], np.ndarray] | None = None,
        seed: int = 0,
        features: np.ndarray | None = None,
        valid_features: np.ndarray | None = None,
    ) -> GBMModel:
        """Train one booster per task. `features` / `valid_features` skip featurisation when the
        caller already has `featurize(smiles, self.features)` (ensembles reuse it)."""
        from helixforge.core.imports import lightgbm

        lgb = lightgbm()

        check_int(seed, "seed", "GBMModel.fit")
        X = self._matrix(smiles, features, "GBMModel.fit")
        _refuse_unread(X, smiles, "GBMModel.fit")
        y = label_matrix(y, task_types, "GBMModel.fit", n=len(X))
        Xv = yv = None
        if valid is not None:
            v_smiles, v_y = valid_pair(valid, "GBMModel.fit")
            if valid_features is not None or (v_smiles is not None and len(v_smiles)):
                Xv = self._matrix(v_smiles, valid_features, "GBMModel.fit (valid)")
                _refuse_unread(Xv, v_smiles, "GBMModel.fit (valid)")
                yv = label_matrix(v_y, task_types, "GBMModel.fit (valid)", n=len(Xv))
        self.task_types = list(task_types)
        self.boosters, self.n_classes, self.best_iterations, self.history = [], [], [], []
        self.log_targets = []
        # per task: predictions for every validation molecule by a booster that never saw them
        self.valid_pred_: list[np.ndarray] | None = [] if Xv is not None else None
        for j, ttype in enumerate(self.task_types):
            keep = np.isfinite(y[:, j])
            if keep.sum() < 2:
                raise InputError(
                    f"task {j} has {int(keep.sum())} labelled training molecules; need at least 2"
                )
            yj = y[keep, j]
            log_t = ttype == "regression" and use_log_target(yj, self.params["log_target"])
            if log_t:
                yj = np.log10(yj)
            k = int(np.nanmax(yj)) + 1 if ttype == "multiclass" else (2 if ttype == "binary" else 0)
            params = self._lgb_params(ttype, k, seed + j)
            if ttype != "regression" and len(np.unique(yj)) < 2:
                # a task with one class in training: a constant model, not a crash
                params.update(boost_from_average=True)
            train_set = lgb.Dataset(X[keep], label=yj, free_raw_data=True)
            callbacks = []
            valid_sets = []
            evals: dict = {}
            if Xv is not None:
                vk = np.isfinite(yv[:, j])
                if log_t:
                    vk &= np.nan_to_num(yv[:, j], nan=-1.0) > 0
                if vk.sum() >= 2:
                    yvj = np.log10(yv[vk, j]) if log_t else yv[vk, j]
                    valid_sets = [lgb.Dataset(Xv[vk], label=yvj, reference=train_set)]
                    callbacks = [
                        lgb.early_stopping(self.params["early_stopping_rounds"], verbose=False),
                        lgb.record_evaluation(evals),
                    ]
            booster = lgb.train(
                params,
                train_set,
                num_boost_round=int(self.params["n_estimators"]),
                valid_sets=valid_sets or None,
                valid_names=["valid"] if valid_sets else None,
                callbacks=callbacks,
            )
            best = (
                booster.best_iteration
                if valid_sets and booster.best_iteration > 0
                else booster.current_iteration()
            )
            if self.valid_pred_ is not None:
                vp = np.asarray(booster.predict(Xv, num_iteration=best))
                self.valid_pred_.append(10.0**vp if log_t else vp)
            if valid_sets and self.params["refit"]:
                n_tr, n_va = int(keep.sum()), int(vk.sum())
                best = max(1, int(round(best * (n_tr + n_va) / n_tr)))
                full = lgb.Dataset(
                    np.concatenate([X[keep], Xv[vk]]),
                    label=np.concatenate([yj, yvj]),
                    free_raw_data=True,
                )
                booster = lgb.train(params, full, num_boost_round=best)
            self.boosters.append(booster)
            self.n_classes.append(k)
            self.best_iterations.append(int(best))
            self.log_targets.append(bool(log_t))
            if evals:
                name = next(iter(evals["valid"]))
                for it, v in enumerate(evals["valid"][name]):
                    if len(self.history) <= it:
                        self.history.append({"epoch": it + 1})
                    self.history[it][f"valid_{name}_task{j}"] = float(v)
        return self

    def _matrix(self, smiles, features, where: str) -> np.ndarray:
        """Feature rows: `features` checked (2-D, the spec's width, as many rows as SMILES), or
        the SMILES featurized."""
        if features is None:
            return featurize(smiles_list(smiles, where), self.features, n_jobs=self.n_jobs)
        try:
            X = np.asarray(features, dtype=np.float32)
        except (TypeError, ValueError) as exc:
            raise InputError(f"{where}: features is not a numeric matrix ({exc})") from None
        width = self.boosters[0].num_feature() if self.boosters else len(self.features.names())
        if X.ndim != 2 or X.shape[1] != width:
            raise InputError(
                f"{where}: features has shape {X.shape}; this model needs (n, {width})",
                hint="pass featurize(smiles, model.features), or leave features out",
            )
        if smiles is not None and len(smiles_list(smiles, where)) != len(X):
            raise InputError(
                f"{where}: {len(smiles_list(smiles, where))} SMILES but {len(X)} feature rows"
            )
        return X

    # ------------------------------------------------------------ prediction
    def _check_fitted(self) -> None:
        if not self.boosters:
            raise ConfigError("the GBM model is not trained yet", hint="call fit() or load() first")

    def predict_proba_tasks(
        self, smiles: Sequence[str] | None = None, features: np.ndarray | None = None
    ) -> list[np.ndarray]:
        """Per task: (n,) values/probabilities, or (n, k) probabilities for multiclass."""
        self._check_fitted()
        X = self._matrix(smiles, features, "GBMModel.predict")
        unread = _unread_rows(X)  # a SMILES that did not parse: NaN, not LightGBM's default leaf
        out = []
        logs = self.log_targets or [False] * len(self.boosters)
        for booster, best, log_t in zip(self.boosters, self.best_iterations, logs):
            p = np.asarray(
                booster.predict(X, num_iteration=best, num_threads=self.params["num_threads"])
            )
            p = 10.0**p if log_t else p
            if unread.any():
                p = p.astype(float)
                p[unread] = np.nan
            out.append(p)
        return out

    def predict(self, smiles: Sequence[str], features: np.ndarray | None = None) -> np.ndarray:
        """(n, n_tasks): values (regression), P(1) (binary), argmax class (multiclass)."""
        parts = self.predict_proba_tasks(smiles, features)
        cols = [p.argmax(axis=1).astype(float) if p.ndim == 2 else p for p in parts]
        return np.stack(cols, axis=1)

    def predict_proba(
        self, smiles: Sequence[str], features: np.ndarray | None = None
    ) -> np.ndarray:
        """(n, k) class probabilities of the first multiclass (or binary) task."""
        p = self.predict_proba_tasks(smiles, features)[0]
        return p if p.ndim == 2 else np.stack([1 - p, p], axis=1)

    # ------------------------------------------------------------ persistence
    def save(self, path: str | os.PathLike) -> None:
        """LightGBM text models (task_<j>.txt) + gbm.json; no pickles."""
        from helixforge.core.artifacts import save_json
        from helixforge.core.tables import atomic_path

        self._check_fitted()
        d = Path(path)
        d.mkdir(parents=True, exist_ok=True)
        for j, (booster, best) in enumerate(zip(self.boosters, self.best_iterations)):
            with atomic_path(d / f"task_{j}.txt") as tmp:
                booster.save_model(str(tmp), num_iteration=best)
        save_json(
            {
                "model": self.name,
                "params": self.params,
                "features": self.features.to_dict(),
                "task_types": self.task_types,
                "n_classes": self.n_classes,
                "best_iterations": self.best_iterations,
                "log_targets": self.log_targets,
            },
            d / "gbm.json",
        )

    @classmethod
    def load(cls, path: str | os.PathLike) -> GBMModel:
        from helixforge.core.imports import lightgbm

        lgb = lightgbm()

        d = Path(path)
        meta_path = d / "gbm.json"
        if not meta_path.exists():
            raise InputError(f"{d}: not a GBM model directory (gbm.json missing)")
        with reading_model(d, "GBM"):
            return cls._load(d, meta_path, lgb)

    @classmethod
    def _load(cls, d: Path, meta_path: Path, lgb) -> GBMModel:
        meta = json.loads(meta_path.read_text())
        # The thread count training used (--jobs) is not part of the model: a loaded model
        # predicts with one thread (the same values). LightGBM's OpenMP pool, once started
        # with several threads, deadlocks worker processes forked after it (screen --jobs).
        model = cls(features=meta["features"], **{**meta["params"], "num_threads": 1})
        model.task_types = meta["task_types"]
        model.n_classes = meta["n_classes"]
        model.boosters = [
            lgb.Booster(model_file=str(d / f"task_{j}.txt")) for j in range(len(model.task_types))
        ]
        # saved with num_iteration=best, so the file holds exactly the trees to use
        model.best_iterations = [b.current_iteration() for b in model.boosters]
        model.log_targets = meta.get("log_targets", [False] * len(model.boosters))
        width = len(model.features.names())
        for j, b in enumerate(model.boosters):
            if b.num_feature() != width:
                raise InputError(
                    f"{d}: task_{j}.txt reads {b.num_feature()} features but gbm.json's feature "
                    f"spec makes {width} (the files do not belong together)",
                    hint="save or train the model again",
                )
        return model
