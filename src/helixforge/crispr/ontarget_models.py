"""On-target efficiency models: LightGBM on `featurize` features, a small CNN, an ensemble.

Each model maps raw outputs to a 0-100 percentile of its training predictions (`calibrate`),
and saves as data only: config.json plus LightGBM text (model.txt) or safetensors weights.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from helixforge.core.errors import ConfigError, HelixError, InputError, NoUsableRowsError
from helixforge.core.training import torch_threads
from helixforge.crispr.ontarget_features import (
    FEATURE_VERSION,
    FEATURE_VERSIONS,
    _check_version,
    _ContextScorer,
    encode_contexts,
    feature_names,
    featurize,
    mask_flanks,
    one_hot_contexts,
    rank_normalize,
)

# what marks a run directory of the supervised-run layer (or its model/ folder)
RUN_MARKERS = ("model/manifest.json", "manifest.json", "model/member_0", "member_0")
# 1,300 trees (early-stopped on the validation part): the on-target recipe's CV (fold 0 of the
# training rows) rises 0.615 → 0.629 → 0.637 from 600 to 1,300 to 2,500 trees; 1,300 is what keeps
# the shipped default at ≥ 10× Rule Set 3's guides per second (docs/crispr_ontarget.md).
GBM_DEFAULTS: dict[str, Any] = {
    "n_estimators": 1300,
    "learning_rate": 0.05,
    "num_leaves": 15,
    "min_child_samples": 30,
    "colsample_bytree": 0.4,
    "subsample": 0.8,
    "subsample_freq": 1,
    "reg_lambda": 1.0,
}
# predict batch: a few hundred (4, 30) contexts keep the cnn's activations in cache (8,192 was
# 4x slower per guide on one core)
CNN_PREDICT_BATCH = 256
CNN_DEFAULTS: dict[str, Any] = {"channels": 32, "hidden": 64, "dropout": 0.25, "epochs": 25, "lr": 2e-3,
                                "weight_decay": 1e-4, "batch_size": 256, "patience": 4}  # fmt: skip


class OnTargetModel(_ContextScorer):
    """On-target efficiency regressor for SpCas9 30-mer contexts (sklearn-style).

    kind="gbm": LightGBM on `featurize` features; kind="cnn": `OnTargetCNN` on the one-hot context.
    `fit(contexts, y, groups=None)` rank-normalises `y` per group (dataset) when
    `target_transform="rank"`, holds out `valid_fraction` for early stopping, and learns a
    percentile calibration so `predict` returns 0-100 (see the module docstring).
    `feature_version` picks the gbm's features (`ontarget_features.featurize`); `flank_free`
    makes a model that never sees the flanks (trained and scored on spacer + PAM only: the
    model for 23-mers, instead of a 30-mer model fed N flanks).
    """

    def __init__(
        self,
        kind: str = "gbm",
        *,
        params: dict[str, Any] | None = None,
        target_transform: str = "rank",
        valid_fraction: float = 0.1,
        seed: int = 0,
        n_threads: int | None = None,
        device: str = "cpu",
        feature_version: int = FEATURE_VERSION,
        flank_free: bool = False,
    ) -> None:
        if kind not in ("gbm", "cnn"):
            raise ConfigError(f"unknown on-target model kind {kind!r}", hint="use 'gbm' or 'cnn'")
        if target_transform not in ("rank", "none"):
            raise ConfigError(
                f"unknown target transform {target_transform!r}", hint="use 'rank' or 'none'"
            )
        self.kind = kind
        self.params = {**(GBM_DEFAULTS if kind == "gbm" else CNN_DEFAULTS), **(params or {})}
        self.target_transform = target_transform
        self.valid_fraction = valid_fraction
        self.seed = seed
        self.n_threads = n_threads
        self.device = device
        self.feature_version = _check_version(feature_version)
        self.flank_free = bool(flank_free)
        self.calibration: list[float] | None = None
        self.info: dict[str, Any] = {}
        self._booster = None
        self._net = None
        self._trees = None  # the gbm's trees for ONNX Runtime (`export_onnx`), when shipped so
        self._model_txt: Any = None  # LightGBM text behind `_trees`, parsed only when needed
        self._onnx: dict[str, Any] = {}

    # -- training
    def fit(
        self,
        contexts: Sequence[str],
        y: Sequence[float],
        groups: Sequence[Any] | None = None,
        *,
        valid: tuple[Sequence[str], Sequence[float]] | None = None,
        sample_weight: Sequence[float] | None = None,
    ) -> OnTargetModel:
        """Fit on contexts (30- or 23-mers) and activities (higher = more active).

        Early stopping uses `valid` (contexts, activities) when given, else a random
        `valid_fraction` of the rows. With `target_transform="rank"`, `groups` covers the
        training rows followed by the `valid` rows. `sample_weight` (gbm only; one per training
        row, then 1 for `valid` rows) weights rows in the loss, e.g. to balance datasets."""
        codes, target = self._encode_targets(contexts, y)
        weight = np.ones(len(codes)) if sample_weight is None else np.asarray(sample_weight, float)
        if len(weight) != len(codes):
            raise InputError(f"{len(codes)} contexts but {len(weight)} sample weights")
        if self.flank_free:
            codes = mask_flanks(codes)
        is_valid = np.zeros(len(codes), dtype=bool)
        if valid is not None:
            v_codes, v_target = self._encode_targets(*valid)
            v_codes = mask_flanks(v_codes) if self.flank_free else v_codes
            codes = np.concatenate([codes, v_codes])
            target = np.concatenate([target, v_target])
            is_valid = np.concatenate([is_valid, np.ones(len(v_codes), dtype=bool)])
            weight = np.concatenate([weight, np.ones(len(v_codes))])
        if self.target_transform == "rank":
            target = rank_normalize(target, groups)
        keep = np.isfinite(target)
        if keep.sum() < 10:
            raise NoUsableRowsError(
                f"only {int(keep.sum())} rows with a finite target; need at least 10 to train"
            )
        codes, target, is_valid, weight = codes[keep], target[keep], is_valid[keep], weight[keep]
        if valid is not None:
            train_idx, valid_idx = np.flatnonzero(~is_valid), np.flatnonzero(is_valid)
        else:
            order = np.random.default_rng(self.seed).permutation(len(codes))
            n_valid = (
                max(1, int(round(self.valid_fraction * len(codes))))
                if self.valid_fraction > 0
                else 0
            )
            valid_idx, train_idx = order[:n_valid], order[n_valid:]
        if self.kind == "gbm":
            self._fit_gbm(codes, target, train_idx, valid_idx, weight)
        else:
            self._fit_cnn(codes, target, train_idx, valid_idx)
        raw = self.predict_raw_codes(codes[train_idx])
        self._check_learned(raw, len(train_idx))
        self.calibration = np.quantile(raw, np.linspace(0, 1, 201)).tolist()
        self.info.update({"n_train": int(len(train_idx)), "n_valid": int(len(valid_idx))})
        if len(valid_idx) > 1:
            from helixforge.core.metrics import spearman

            self.info["valid_spearman"] = spearman(
                target[valid_idx], self.predict_raw_codes(codes[valid_idx])
            )
        return self

    def _check_learned(self, raw: np.ndarray, n_train: int) -> None:
        """A `ConfigError` when the fitted model gives every training guide the same output: a
        gbm on fewer rows than two leaves of `min_child_samples` makes no split, and its
        "scores" (100 for every guide) ranked nothing while the run reported success."""
        if len(raw) < 2 or np.ptp(raw) > 0:
            return
        if self.kind == "gbm":
            leaf = int(self.params.get("min_child_samples", GBM_DEFAULTS["min_child_samples"]))
            why = (
                f"LightGBM splits a node only with min_child_samples={leaf} rows on each side, "
                f"and {n_train} rows were fitted"
            )
            hint = (
                f"train on more rows (the default parameters need well over {2 * leaf} training "
                "rows), or for a small screen pass a smaller leaf, e.g. --param "
                "min_child_samples=5"
            )
        else:
            why = f"{n_train} rows were fitted"
            hint = "train on more rows, or with more epochs (--param epochs=N)"
        raise ConfigError(
            f"the {self.kind} on-target model learned nothing: it predicts the same activity for "
            f"every training guide ({why})",
            hint=hint,
        )

    @staticmethod
    def _encode_targets(
        contexts: Sequence[str], y: Sequence[float]
    ) -> tuple[np.ndarray, np.ndarray]:
        codes, _ = encode_contexts(contexts)
        target = np.asarray(y, dtype=float)
        if len(target) != len(codes):
            raise InputError(f"{len(codes)} contexts but {len(target)} targets")
        return codes, target

    def _fit_gbm(self, codes, target, train_idx, valid_idx, weight=None) -> None:
        from helixforge.core.imports import lightgbm

        lgb = lightgbm()

        X = featurize(codes, self.feature_version)
        p = dict(self.params)
        n_estimators = int(p.pop("n_estimators"))
        lgb_params = {"objective": "regression", "verbosity": -1, "seed": self.seed, "deterministic": True,
                      "force_row_wise": True, "num_threads": self.n_threads or 0, **p}  # fmt: skip
        lgb_params["bagging_fraction"] = lgb_params.pop("subsample", 1.0)
        lgb_params["bagging_freq"] = lgb_params.pop("subsample_freq", 0)
        lgb_params["feature_fraction"] = lgb_params.pop("colsample_bytree", 1.0)
        lgb_params["min_data_in_leaf"] = lgb_params.pop("min_child_samples", 20)
        lgb_params["lambda_l2"] = lgb_params.pop("reg_lambda", 0.0)
        dtrain = lgb.Dataset(
            X[train_idx],
            target[train_idx],
            weight=None if weight is None else weight[train_idx],
            feature_name=feature_names(self.feature_version),
            free_raw_data=True,
        )
        callbacks, valid_sets = [], []
        if len(valid_idx) > 1:
            valid_sets = [lgb.Dataset(X[valid_idx], target[valid_idx], reference=dtrain)]
            callbacks = [lgb.early_stopping(50, verbose=False)]
        booster = lgb.train(
            lgb_params,
            dtrain,
            num_boost_round=n_estimators,
            valid_sets=valid_sets,
            callbacks=callbacks,
        )
        if valid_sets and booster.best_iteration > 0:
            booster = lgb.Booster(
                model_str=booster.model_to_string(num_iteration=booster.best_iteration)
            )
        self._booster = booster
        self.info["n_trees"] = int(booster.num_trees())

    def _fit_cnn(self, codes, target, train_idx, valid_idx) -> None:
        from helixforge.crispr.ontarget_cnn import fit_cnn

        self._net, info = fit_cnn(
            codes, target, train_idx, valid_idx, self.params, seed=self.seed, device=self.device
        )
        self.info.update(info)

    # -- prediction
    def predict_raw_codes(self, codes: np.ndarray) -> np.ndarray:
        """Uncalibrated model output for encoded contexts (the scale of the training target)."""
        if self._booster is None and self._net is None and self._trees is None:
            raise HelixError(
                "this OnTargetModel is not fitted", hint="call fit() or OnTargetModel.load(dir)"
            )
        if len(codes) == 0:
            return np.zeros(0)
        if self.flank_free:
            codes = mask_flanks(codes)
        if self.kind == "gbm":
            X = featurize(codes, self.feature_version)
            if self._trees is not None:  # same leaves as LightGBM, ~3x faster (core.onnx_trees)
                return self._trees.predict(X)
            return self._booster.predict(X, num_threads=self.n_threads or 0)
        import torch

        out = []
        # One thread: torch's parallel reductions give last-bit differences between thread
        # counts, and the same guides must get the same bytes in every process. Small batches
        # stay in cache: 4x faster than 8,192.
        with torch_threads(1), torch.inference_mode():
            for s in range(0, len(codes), CNN_PREDICT_BATCH):
                batch = one_hot_contexts(codes[s : s + CNN_PREDICT_BATCH])
                out.append(self._net(torch.from_numpy(batch)).numpy())
        return np.concatenate(out).astype(float)

    def booster(self):
        """The LightGBM booster (parsed from model.txt on first use when the trees run on ONNX)."""
        if self._booster is None and self._model_txt is not None:
            from helixforge.core.imports import lightgbm

            self._booster = lightgbm().Booster(
                model_str=self._model_txt.read_text(encoding="utf-8")
            )
        return self._booster

    def calibrate(self, raw: np.ndarray) -> np.ndarray:
        """Map raw outputs to 0-100 percentiles of the training predictions."""
        if not self.calibration:
            return np.asarray(raw, dtype=float)
        q = np.asarray(self.calibration)
        return np.interp(raw, q, np.linspace(0, 100, len(q)))

    def predict_codes(self, codes: np.ndarray) -> np.ndarray:
        """Calibrated 0-100 scores for already-encoded, valid contexts."""
        return self.calibrate(self.predict_raw_codes(codes))

    # -- persistence
    def config(self) -> dict[str, Any]:
        return {
            "format": "helixforge.crispr.ontarget",
            "kind": self.kind,
            "enzyme": "spcas9",
            "context": (
                "23-mer: spacer + NGG (flanks never used)"
                if self.flank_free
                else "30-mer: 4 nt + 20 nt spacer + NGG + 3 nt (23-mers padded with N)"
            ),  # fmt: skip
            "feature_version": self.feature_version,
            "flank_free": self.flank_free,
            "params": self.params,
            "target_transform": self.target_transform,
            "valid_fraction": self.valid_fraction,
            "seed": self.seed,
            "calibration": self.calibration,
            "info": self.info,
            **({"onnx": self._onnx} if self._trees is not None else {}),
        }

    def save(self, directory: str | os.PathLike) -> Path:
        """Write config.json and model.txt (LightGBM text) or model.safetensors (torch) to `directory`."""
        from helixforge.core.artifacts import save_json
        from helixforge.core.tables import write_text

        if self._booster is None and self._net is None and self._trees is None:
            raise HelixError("cannot save an unfitted OnTargetModel", hint="call fit() first")
        d = Path(directory)
        d.mkdir(parents=True, exist_ok=True)
        if self.kind == "gbm":
            if self._trees is not None:  # copied as loaded: config.json's digest names model.txt
                import shutil

                from helixforge.core.io import atomic_file

                for f in ("model.txt", "model.onnx"):
                    with atomic_file(d / f) as tmp:
                        shutil.copyfile(self._model_txt.parent / f, tmp)
            else:
                write_text(self._booster.model_to_string(), d / "model.txt")
        else:
            from helixforge.core.training import save_weights

            save_weights(self._net, d / "model.safetensors")
        save_json(self.config(), d / "config.json")
        return d

    @classmethod
    def load(
        cls, directory: str | os.PathLike | Any, *, siblings: Any = None
    ) -> OnTargetModel | OnTargetEnsemble:
        """Load a model directory written by `save` (or an ensemble directory, see OnTargetEnsemble).

        An ensemble config with ``"member_base": "siblings"`` names members beside it (in
        `siblings`, default the parent directory), which is how the shipped default shares the
        gbm and cnn weights instead of copying them.
        """
        import json

        d = directory if hasattr(directory, "joinpath") else Path(directory)
        if isinstance(d, Path) and any((d / f).exists() for f in RUN_MARKERS):
            from helixforge.crispr.ontarget_estimator import load_ontarget_run

            return load_ontarget_run(d)  # a run directory of `helix crispr train-ontarget`
        if not (d / "config.json").is_file() and (d / "model" / "config.json").is_file():
            d = d / "model"  # a run directory of `helix crispr train-ontarget`
        cfg_file = d / "config.json"
        if not cfg_file.is_file():
            raise InputError(f"{d}: no config.json; not an on-target model directory",
                             hint="pass --model default|accurate|gbm|cnn or the --out directory of `helix crispr train-ontarget`")  # fmt: skip
        try:
            cfg = json.loads(cfg_file.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise InputError(f"{cfg_file}: corrupt on-target model config ({exc})",
                             hint="retrain the model or restore the file") from None  # fmt: skip
        if not isinstance(cfg, dict) or cfg.get("format") != "helixforge.crispr.ontarget":
            if isinstance(cfg, dict) and (d / "model" / "config.json").is_file():
                return cls.load(d / "model")
            raise InputError(f"{cfg_file}: not a HelixForge on-target model config")
        try:
            return _load_from_config(cls, d, cfg, siblings)
        except (KeyError, TypeError, ValueError, OSError, RuntimeError) as exc:
            raise InputError(f"{d}: incomplete or corrupt on-target model ({type(exc).__name__}: {exc})",
                             hint="retrain the model with `helix crispr train-ontarget`") from None  # fmt: skip


def _load_from_config(cls, d, cfg: dict, siblings) -> OnTargetModel | OnTargetEnsemble:
    if cfg["kind"] == "ensemble":
        base = d
        if cfg.get("member_base") == "siblings":
            base = siblings if siblings is not None else Path(d).parent
        short = cfg.get("flank_free")
        return OnTargetEnsemble([cls.load(base / m) for m in cfg["members"]], cfg.get("weights"),
                                flank_free=cls.load(base / short) if short else None)  # fmt: skip
    version = cfg.get("feature_version", 1)
    if version not in FEATURE_VERSIONS:
        raise InputError(f"{d}: model uses feature version {version}, this HelixForge computes {FEATURE_VERSIONS}",
                         hint="retrain it with `helix crispr train-ontarget`")  # fmt: skip
    model = cls(cfg["kind"], params=cfg["params"], target_transform=cfg["target_transform"],
                valid_fraction=cfg.get("valid_fraction", 0.1), seed=cfg.get("seed", 0),
                feature_version=version, flank_free=cfg.get("flank_free", False))  # fmt: skip
    model.calibration = cfg.get("calibration")
    model.info = cfg.get("info", {})
    if model.kind == "gbm" and cfg.get("onnx"):
        model._trees, model._onnx, model._model_txt = _load_onnx(d, cfg["onnx"])
    elif model.kind == "gbm":
        from helixforge.core.imports import lightgbm

        f = d / "model.txt"
        try:
            model._booster = lightgbm().Booster(model_str=f.read_text(encoding="utf-8"))
        except Exception as exc:  # LightGBM raises its own error type for a damaged model
            if isinstance(exc, OSError | InputError):
                raise
            raise InputError(f"{f}: truncated or corrupt LightGBM model ({exc})",
                             hint="retrain the model with `helix crispr train-ontarget`") from None  # fmt: skip
    else:
        from safetensors import SafetensorError
        from safetensors.torch import load

        from helixforge.crispr.ontarget_cnn import make_cnn

        f = d / "model.safetensors"
        p = model.params
        net = make_cnn(p["channels"], p["hidden"], p["dropout"])
        try:
            net.load_state_dict(load(f.read_bytes()))
        except SafetensorError as exc:
            raise InputError(f"{f}: truncated or corrupt safetensors weights ({exc})",
                             hint="retrain the model with `helix crispr train-ontarget`") from None  # fmt: skip
        net.eval()
        model._net = net
    return model


def _load_onnx(d, record: dict) -> tuple[Any, dict, Any]:
    """The ONNX trees beside model.txt, refused when they were exported from another model.txt."""
    from helixforge.core.onnx_trees import OnnxTrees, model_digest

    text = (d / "model.txt").read_text(encoding="utf-8")
    if model_digest(text) != record.get("model_txt_sha256"):
        raise InputError(f"{d}: model.onnx was exported from a different model.txt",
                         hint="re-export it with `python -m helixforge.crispr.ontarget_recipe onnx "
                              f"{d}`, or remove the \"onnx\" entry from config.json to score with LightGBM")  # fmt: skip
    try:
        trees = OnnxTrees(d / record.get("file", "model.onnx"))
    except InputError as exc:
        raise InputError(exc.message, hint="re-export it with `python -m helixforge.crispr."
                         f"ontarget_recipe onnx {d}`, or reinstall helixforge") from None  # fmt: skip
    return trees, record, d / "model.txt"


def export_onnx(directory: str | os.PathLike) -> dict:
    """Export a gbm model directory's trees to model.onnx and record it in its config.json;
    `OnTargetModel.load` then scores with ONNX Runtime (same leaves, ~3x the guides/s).
    Build-time: needs onnxmltools."""
    import json

    from helixforge.core.artifacts import save_json
    from helixforge.core.imports import lightgbm
    from helixforge.core.onnx_trees import export_lightgbm_onnx, model_digest

    d = Path(directory)
    cfg = json.loads((d / "config.json").read_text(encoding="utf-8"))
    if cfg.get("kind") != "gbm":
        raise ConfigError(
            f"{d}: only gbm on-target models have trees to export (kind {cfg.get('kind')!r})"
        )
    text = (d / "model.txt").read_text(encoding="utf-8")
    export_lightgbm_onnx(lightgbm().Booster(model_str=text), d / "model.onnx")
    cfg["onnx"] = {"file": "model.onnx", "model_txt_sha256": model_digest(text)}
    save_json(cfg, d / "config.json")
    return cfg["onnx"]


# the ensemble lives in its own module; imported here so both import paths work
from helixforge.crispr.ontarget_ensemble import OnTargetEnsemble  # noqa: E402
