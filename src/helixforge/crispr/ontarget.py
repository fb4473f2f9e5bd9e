"""On-target efficiency of SpCas9 guides: which spacers will cut well.

    scores = score_ontarget(["TTCTGCCTTGTTTCTTTCCTCTCTGGGTCG", ...])   # 0-100, higher = more active

Two model kinds, both trained here (tools/train_ontarget_defaults.py) and shipped as small files
in a stable format inside the package (``crispr/weights/``, each with a ``card.md``):

- ``gbm``: LightGBM (text model) on Rule Set 2-style features of the 30-mer context:
  position-specific 1- and 2-mers, position-independent 1- and 2-mer counts of the spacer, GC
  count with GC-high / GC-low flags, nearest-neighbour melting temperatures of the context, the
  spacer and three spacer segments (Biopython's ``Tm_NN`` parameters, vectorised), and the
  identity of the N of the PAM and the base after it (NGGN).
- ``cnn``: a small convolutional network on the one-hot context (PyTorch, safetensors + JSON).

``model="default"`` is the mean of the two (each first mapped to its own percentile scale).

Context layout (SpCas9): 30 nt = 4 nt 5' flank + 20 nt spacer + NGG PAM + 3 nt 3' flank, on the
strand of the protospacer. A 23-mer (spacer + PAM, no flanks) is accepted as well: the flanks are
then treated as unknown (``N``), as they are for the 23-mer DeepHF training rows.

Scale: ``predict`` / ``score_ontarget`` return a *percentile* in [0, 100]: the fraction of guides
in the model's training libraries predicted to be less active. Scores rank guides; they are not
indel frequencies.
"""

from __future__ import annotations

import functools
import math
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from helixforge.core.errors import ConfigError, HelixError, InputError, NoUsableRowsError, RowErrors

CONTEXT_LENGTH = 30
SPACER = slice(4, 24)
PAM = slice(24, 27)
SHORT_LENGTH = 23  # spacer + PAM, no flanks
ENZYMES = ("spcas9",)
SHIPPED_MODELS = ("default", "gbm", "cnn")
FEATURE_VERSION = 1
# Segments whose melting temperature is a feature (0-based, on the 30-mer), as in Rule Set 2.
TM_SEGMENTS = {
    "tm_context": (0, 30),
    "tm_spacer": (4, 24),
    "tm_19_24": (19, 24),
    "tm_11_19": (11, 19),
    "tm_6_11": (6, 11),
}

_LUT = np.full(256, 255, dtype=np.uint8)
for _i, _b in enumerate("ACGT"):
    _LUT[ord(_b)] = _LUT[ord(_b.lower())] = _i
_LUT[ord("N")] = _LUT[ord("n")] = 4
_LUT[ord("U")] = _LUT[ord("u")] = 3


# --------------------------------------------------------------------------- contexts


def _check_enzyme(enzyme: str) -> str:
    key = str(enzyme).lower().replace("-", "").replace("_", "")
    if key not in ENZYMES:
        raise ConfigError(
            f"no on-target efficiency model for enzyme {enzyme!r}",
            hint=f"on-target models exist for: {', '.join(ENZYMES)}; rank other enzymes' guides by "
            "off-target specificity, or train one with `helix crispr train-ontarget`",
        )
    return key


def _context_problem(seq: str, codes: np.ndarray) -> str | None:
    """Why a (length-checked, encoded) context is unusable, or None."""
    if (codes == 255).any():
        pos = int(np.argmax(codes == 255))
        return f"character {seq[pos]!r} at position {pos + 1} is not A, C, G, T or N"
    if (codes[SPACER] == 4).any() or (codes[PAM] == 4).any():
        return "N inside the spacer or PAM (positions 5-27); only the flanks may be unknown"
    if codes[25] != 2 or codes[26] != 2:
        return f"PAM {seq[24:27].upper()!r} at positions 25-27 is not NGG"
    return None


def encode_contexts(
    contexts: Sequence[str],
    *,
    errors: RowErrors | None = None,
    rows: Sequence[int] | None = None,
    column: str | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Validate and encode SpCas9 contexts → (codes (n, 30) uint8 A0 C1 G2 T3 N4, valid mask).

    A 23-mer (spacer + PAM) is padded with N flanks. Without `errors`, the first invalid context
    raises `InputError` naming its index and the problem; with `errors`, each one is recorded
    there (row = `rows[i]` when given, else the index) and its mask entry is False.
    """
    if isinstance(contexts, str):
        raise InputError(
            "contexts must be a list of sequences, not one string", hint="wrap it: [context]"
        )
    n = len(contexts)
    codes = np.full((n, CONTEXT_LENGTH), 4, dtype=np.uint8)
    valid = np.ones(n, dtype=bool)
    for i, raw in enumerate(contexts):
        seq = (
            raw
            if isinstance(raw, str)
            else ("" if raw is None or (isinstance(raw, float) and math.isnan(raw)) else str(raw))
        )
        seq = seq.strip()
        problem = None
        if len(seq) == CONTEXT_LENGTH:
            c = _LUT[np.frombuffer(seq.encode("ascii", "replace"), dtype=np.uint8)]
        elif len(seq) == SHORT_LENGTH:
            c = np.full(CONTEXT_LENGTH, 4, dtype=np.uint8)
            c[4:27] = _LUT[np.frombuffer(seq.encode("ascii", "replace"), dtype=np.uint8)]
            seq = "NNNN" + seq + "NNN"
        else:
            c = None
            problem = (
                f"length {len(seq)}; expected a 30-mer (4 nt + 20 nt spacer + NGG PAM + 3 nt) "
                "or a 23-mer (spacer + PAM)"
            )
        if c is not None:
            problem = _context_problem(seq, c)
        if problem:
            if errors is None:
                raise InputError(
                    f"context {i} ({seq[:40]!r}): {problem}",
                    hint="pass SpCas9 contexts on the protospacer strand: 4 nt 5' flank, 20 nt spacer, "
                    "NGG PAM, 3 nt 3' flank",
                )
            errors.add(rows[i] if rows is not None else i, column, seq, problem)
            valid[i] = False
            continue
        codes[i] = c
    return codes, valid


# --------------------------------------------------------------------------- features


@functools.lru_cache(maxsize=1)
def _tm_tables() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, float]:
    """Dinucleotide dH/dS (16,) and terminal-base dH/dS (4,) from Biopython's default Tm_NN table."""
    from Bio.SeqUtils import MeltingTemp as mt

    table = mt.DNA_NN3
    comp = {"A": "T", "C": "G", "G": "C", "T": "A"}
    nn_h, nn_s = np.zeros(16), np.zeros(16)
    for a, x in enumerate("ACGT"):
        for b, y in enumerate("ACGT"):
            key = x + y + "/" + comp[x] + comp[y]
            val = table.get(key, table.get(key[::-1]))
            nn_h[a * 4 + b], nn_s[a * 4 + b] = val
    end_h = np.array([table["init_A/T"][0] if b in "AT" else table["init_G/C"][0] for b in "ACGT"])
    end_s = np.array([table["init_A/T"][1] if b in "AT" else table["init_G/C"][1] for b in "ACGT"])
    base_h = table["init"][0] + table["init_oneG/C"][0]
    return nn_h, nn_s, end_h, end_s, base_h


def melting_temperature(codes: np.ndarray) -> np.ndarray:
    """Nearest-neighbour Tm (°C) of each row of `codes` (A0 C1 G2 T3; rows with N → NaN).

    Same numbers as ``Bio.SeqUtils.MeltingTemp.Tm_NN(seq)`` with its defaults (Allawi &
    SantaLucia 1997 table, 25 nM strands, 50 mM Na+, salt correction 5), vectorised over rows;
    sequences without any G/C use Biopython's all-A/T initiation.
    """
    from Bio.SeqUtils import MeltingTemp as mt

    nn_h, nn_s, end_h, end_s, base_h = _tm_tables()
    codes = np.asarray(codes)
    n, length = codes.shape
    bad = (codes > 3).any(axis=1)
    c = np.where(codes > 3, 0, codes).astype(np.int64)
    pair = c[:, :-1] * 4 + c[:, 1:]
    dh = nn_h[pair].sum(axis=1) + end_h[c[:, 0]] + end_h[c[:, -1]] + base_h
    ds = nn_s[pair].sum(axis=1) + end_s[c[:, 0]] + end_s[c[:, -1]] + mt.DNA_NN3["init"][1]
    no_gc = ~((c == 1) | (c == 2)).any(axis=1)
    table = mt.DNA_NN3
    dh += (
        np.where(no_gc, table["init_allA/T"][0], table["init_oneG/C"][0]) - table["init_oneG/C"][0]
    )
    ds += np.where(no_gc, table["init_allA/T"][1], table["init_oneG/C"][1])
    dh += table["init_5T/A"][0] * ((c[:, 0] == 3).astype(float) + (c[:, -1] == 0))
    ds += table["init_5T/A"][1] * ((c[:, 0] == 3).astype(float) + (c[:, -1] == 0))
    ds += 0.368 * (length - 1) * math.log(50e-3)  # salt correction method 5 at 50 mM Na+
    k = (25 - 25 / 2.0) * 1e-9
    tm = 1000 * dh / (ds + 1.987 * math.log(k)) - 273.15
    tm[bad] = np.nan
    return tm


def _one_hot_positions(idx: np.ndarray, n_values: int, unknown: np.ndarray) -> np.ndarray:
    n, length = idx.shape
    out = np.zeros((n, length, n_values), dtype=np.float32)
    rows, cols = np.nonzero(~unknown)
    out[rows, cols, idx[rows, cols]] = 1.0
    out[unknown] = np.nan
    return out.reshape(n, length * n_values)


def feature_names() -> list[str]:
    """Names of the columns of `featurize` (stable across versions with the same FEATURE_VERSION)."""
    bases, names = "ACGT", []
    names += [f"pos{p + 1}_{b}" for p in range(CONTEXT_LENGTH) for b in bases]
    names += [f"pos{p + 1}_{a}{b}" for p in range(CONTEXT_LENGTH - 1) for a in bases for b in bases]
    names += [f"spacer_count_{b}" for b in bases]
    names += [f"spacer_count_{a}{b}" for a in bases for b in bases]
    names += ["spacer_gc_count", "spacer_gc_high", "spacer_gc_low"]
    names += list(TM_SEGMENTS)
    names += [f"nggn_{a}gg{b}" for a in bases for b in bases]
    return names


def featurize(codes: np.ndarray) -> np.ndarray:
    """Rule Set 2-style features (n, 628) float32 from encoded 30-mer contexts; unknown (N) → NaN."""
    codes = np.asarray(codes, dtype=np.uint8)
    unknown = codes > 3
    c = np.where(unknown, 0, codes).astype(np.int64)
    blocks = [_one_hot_positions(c, 4, unknown)]
    blocks.append(
        _one_hot_positions(c[:, :-1] * 4 + c[:, 1:], 16, unknown[:, :-1] | unknown[:, 1:])
    )
    sp = c[:, SPACER]
    counts1 = np.stack([(sp == b).sum(axis=1) for b in range(4)], axis=1)
    dimer = sp[:, :-1] * 4 + sp[:, 1:]
    counts2 = np.stack([(dimer == d).sum(axis=1) for d in range(16)], axis=1)
    gc = counts1[:, 1] + counts1[:, 2]
    blocks += [counts1, counts2, np.stack([gc, gc > 10, gc < 10], axis=1)]
    blocks.append(
        np.stack([melting_temperature(codes[:, a:b]) for a, b in TM_SEGMENTS.values()], axis=1)
    )
    nggn = _one_hot_positions(
        (c[:, 24] * 4 + c[:, 27])[:, None], 16, (unknown[:, 24] | unknown[:, 27])[:, None]
    )
    blocks.append(nggn)
    return np.concatenate([np.asarray(b, dtype=np.float32) for b in blocks], axis=1)


def one_hot_contexts(codes: np.ndarray) -> np.ndarray:
    """(n, 4, 30) float32 one-hot, channels ACGT; N = all zeros."""
    codes = np.asarray(codes)
    eye = np.vstack([np.eye(4, dtype=np.float32), np.zeros((1, 4), dtype=np.float32)])
    return np.ascontiguousarray(eye[np.minimum(codes, 4)].transpose(0, 2, 1))


def rank_normalize(y: Sequence[float], groups: Sequence[Any] | None = None) -> np.ndarray:
    """Per-group rank percentile in (0, 1): (rank - 0.5) / n, ties averaged; NaN stays NaN."""
    import pandas as pd

    s = pd.Series(np.asarray(y, dtype=float))
    g = pd.Series(np.zeros(len(s)) if groups is None else np.asarray(groups))
    ranks = s.groupby(g.values).rank(method="average")
    sizes = s.notna().groupby(g.values).transform("sum")
    return ((ranks - 0.5) / sizes).to_numpy(dtype=float)


# --------------------------------------------------------------------------- models


def _make_cnn(channels: int = 32, hidden: int = 64, dropout: float = 0.25):
    import torch
    from torch import nn

    class OnTargetCNN(nn.Module):
        """Parallel convolutions (k = 3, 5, 7) over the one-hot context, then a position-aware dense head."""

        def __init__(self) -> None:
            super().__init__()
            self.convs = nn.ModuleList(nn.Conv1d(4, channels, k, padding=k // 2) for k in (3, 5, 7))
            self.mix = nn.Conv1d(3 * channels, channels, 1)
            self.drop = nn.Dropout(dropout)
            self.head = nn.Sequential(
                nn.Linear(channels * CONTEXT_LENGTH, hidden),
                nn.ReLU(),
                nn.Dropout(dropout),
                nn.Linear(hidden, 1),
            )

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            h = torch.relu(torch.cat([conv(x) for conv in self.convs], dim=1))
            h = torch.relu(self.mix(self.drop(h)))
            return self.head(self.drop(h).flatten(1)).squeeze(-1)

    return OnTargetCNN()


GBM_DEFAULTS: dict[str, Any] = {
    "n_estimators": 600,
    "learning_rate": 0.05,
    "num_leaves": 15,
    "min_child_samples": 30,
    "colsample_bytree": 0.4,
    "subsample": 0.8,
    "subsample_freq": 1,
    "reg_lambda": 1.0,
}
CNN_DEFAULTS: dict[str, Any] = {"channels": 32, "hidden": 64, "dropout": 0.25, "epochs": 25, "lr": 2e-3,
                                "weight_decay": 1e-4, "batch_size": 256, "patience": 4}  # fmt: skip


class _ContextScorer:
    """Shared `predict`: encode contexts, score the valid ones with the subclass's
    `predict_codes(codes) -> np.ndarray`."""

    def predict(self, contexts: Sequence[str], *, errors: RowErrors | None = None) -> np.ndarray:
        """Scores 0-100 (higher = more active); invalid contexts raise, or are NaN + a RowError in `errors`."""
        codes, valid = encode_contexts(contexts, errors=errors)
        out = np.full(len(codes), np.nan)
        if valid.any():
            out[valid] = self.predict_codes(codes[valid])
        return out


class OnTargetModel(_ContextScorer):
    """On-target efficiency regressor for SpCas9 30-mer contexts (sklearn-style).

    kind="gbm": LightGBM on `featurize` features; kind="cnn": `OnTargetCNN` on the one-hot context.
    `fit(contexts, y, groups=None)` rank-normalises `y` per group (dataset) when
    `target_transform="rank"`, holds out `valid_fraction` for early stopping, and learns a
    percentile calibration so `predict` returns 0-100 (see the module docstring).
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
        self.calibration: list[float] | None = None
        self.info: dict[str, Any] = {}
        self._booster = None
        self._net = None

    # -- training
    def fit(
        self, contexts: Sequence[str], y: Sequence[float], groups: Sequence[Any] | None = None
    ) -> OnTargetModel:
        """Fit on contexts (30- or 23-mers) and activities (higher = more active)."""
        codes, _ = encode_contexts(contexts)
        target = np.asarray(y, dtype=float)
        if len(target) != len(codes):
            raise InputError(f"{len(codes)} contexts but {len(target)} targets")
        if self.target_transform == "rank":
            target = rank_normalize(target, groups)
        keep = np.isfinite(target)
        if keep.sum() < 10:
            raise NoUsableRowsError(
                f"only {int(keep.sum())} rows with a finite target; need at least 10 to train"
            )
        codes, target = codes[keep], target[keep]
        rng = np.random.default_rng(self.seed)
        order = rng.permutation(len(codes))
        n_valid = (
            max(1, int(round(self.valid_fraction * len(codes)))) if self.valid_fraction > 0 else 0
        )
        valid_idx, train_idx = order[:n_valid], order[n_valid:]
        if self.kind == "gbm":
            self._fit_gbm(codes, target, train_idx, valid_idx)
        else:
            self._fit_cnn(codes, target, train_idx, valid_idx)
        raw = self.predict_raw_codes(codes[train_idx])
        self.calibration = np.quantile(raw, np.linspace(0, 1, 201)).tolist()
        self.info.update({"n_train": int(len(train_idx)), "n_valid": int(len(valid_idx))})
        if n_valid > 1:
            from helixforge.core.metrics import spearman

            self.info["valid_spearman"] = spearman(
                target[valid_idx], self.predict_raw_codes(codes[valid_idx])
            )
        return self

    def _fit_gbm(self, codes, target, train_idx, valid_idx) -> None:
        from helixforge.core.imports import lightgbm

        lgb = lightgbm()

        X = featurize(codes)
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
            X[train_idx], target[train_idx], feature_name=feature_names(), free_raw_data=True
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
        import torch

        from helixforge.core.training import TrainConfig, fit, seed_everything

        seed_everything(self.seed)
        p = self.params
        net = _make_cnn(p["channels"], p["hidden"], p["dropout"])
        X = torch.from_numpy(one_hot_contexts(codes))
        Y = torch.from_numpy(target.astype(np.float32))

        def batches(idx: np.ndarray, shuffle: bool):
            class _Batches:
                def __len__(self) -> int:
                    return math.ceil(len(idx) / p["batch_size"])

                def __iter__(self):
                    order = np.random.permutation(idx) if shuffle else idx
                    for s in range(0, len(order), p["batch_size"]):
                        sel = torch.from_numpy(order[s : s + p["batch_size"]])
                        yield X[sel], Y[sel]

            return _Batches()

        def loss_fn(model, batch):
            x, y = batch
            return torch.nn.functional.mse_loss(model(x), y)

        cfg = TrainConfig(epochs=int(p["epochs"]), lr=float(p["lr"]), weight_decay=float(p["weight_decay"]),
                          patience=int(p["patience"]), device="cpu", quiet=True)  # fmt: skip
        result = fit(net, batches(train_idx, True), loss_fn=loss_fn,
                     valid_batches=batches(valid_idx, False) if len(valid_idx) > 1 else None, config=cfg)  # fmt: skip
        net.eval()
        self._net = net
        self.info.update(
            {"best_epoch": int(result.best_epoch), "epochs_run": int(result.epochs_run)}
        )

    # -- prediction
    def predict_raw_codes(self, codes: np.ndarray) -> np.ndarray:
        """Uncalibrated model output for encoded contexts (the scale of the training target)."""
        if self._booster is None and self._net is None:
            raise HelixError(
                "this OnTargetModel is not fitted", hint="call fit() or OnTargetModel.load(dir)"
            )
        if len(codes) == 0:
            return np.zeros(0)
        if self.kind == "gbm":
            return self._booster.predict(featurize(codes), num_threads=self.n_threads or 0)
        import torch

        out = []
        with torch.inference_mode():
            for s in range(0, len(codes), 8192):
                out.append(
                    self._net(torch.from_numpy(one_hot_contexts(codes[s : s + 8192]))).numpy()
                )
        return np.concatenate(out).astype(float)

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
            "context": "30-mer: 4 nt + 20 nt spacer + NGG + 3 nt (23-mers padded with N)",
            "feature_version": FEATURE_VERSION,
            "params": self.params,
            "target_transform": self.target_transform,
            "valid_fraction": self.valid_fraction,
            "seed": self.seed,
            "calibration": self.calibration,
            "info": self.info,
        }

    def save(self, directory: str | os.PathLike) -> Path:
        """Write config.json and model.txt (LightGBM text) or model.safetensors (torch) to `directory`."""
        from helixforge.core.artifacts import save_json
        from helixforge.core.tables import write_text

        if self._booster is None and self._net is None:
            raise HelixError("cannot save an unfitted OnTargetModel", hint="call fit() first")
        d = Path(directory)
        d.mkdir(parents=True, exist_ok=True)
        if self.kind == "gbm":
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
        cfg_file = d / "config.json"
        if not cfg_file.is_file():
            raise InputError(f"{d}: no config.json; not an on-target model directory",
                             hint="pass --model default|gbm|cnn or the --out directory of `helix crispr train-ontarget`")  # fmt: skip
        cfg = json.loads(cfg_file.read_text(encoding="utf-8"))
        if cfg.get("format") != "helixforge.crispr.ontarget":
            raise InputError(f"{cfg_file}: not a HelixForge on-target model config")
        if cfg["kind"] == "ensemble":
            base = d
            if cfg.get("member_base") == "siblings":
                base = siblings if siblings is not None else Path(d).parent
            return OnTargetEnsemble(
                [cls.load(base / m) for m in cfg["members"]], cfg.get("weights")
            )
        if cfg.get("feature_version", FEATURE_VERSION) != FEATURE_VERSION:
            raise InputError(f"{d}: model uses feature version {cfg['feature_version']}, this HelixForge computes {FEATURE_VERSION}",
                             hint="retrain it with `helix crispr train-ontarget`")  # fmt: skip
        model = cls(cfg["kind"], params=cfg["params"], target_transform=cfg["target_transform"],
                    valid_fraction=cfg.get("valid_fraction", 0.1), seed=cfg.get("seed", 0))  # fmt: skip
        model.calibration = cfg.get("calibration")
        model.info = cfg.get("info", {})
        if model.kind == "gbm":
            from helixforge.core.imports import lightgbm

            lgb = lightgbm()
            model._booster = lgb.Booster(model_str=(d / "model.txt").read_text(encoding="utf-8"))
        else:
            from safetensors.torch import load

            p = model.params
            net = _make_cnn(p["channels"], p["hidden"], p["dropout"])
            net.load_state_dict(load((d / "model.safetensors").read_bytes()))
            net.eval()
            model._net = net
        return model


class OnTargetEnsemble(_ContextScorer):
    """Mean of member models' percentile scores (each member calibrated on its own training set)."""

    kind = "ensemble"

    def __init__(
        self, members: Sequence[OnTargetModel], weights: Sequence[float] | None = None
    ) -> None:
        if not members:
            raise ConfigError("an ensemble needs at least one member model")
        self.members = list(members)
        w = np.ones(len(members)) if weights is None else np.asarray(weights, dtype=float)
        self.weights = w / w.sum()

    def predict_codes(self, codes: np.ndarray) -> np.ndarray:
        """Weighted mean of the members' 0-100 scores for encoded, valid contexts."""
        parts = [m.predict_codes(codes) for m in self.members]
        return np.average(np.stack(parts), axis=0, weights=self.weights)

    def save(self, directory: str | os.PathLike, names: Sequence[str] | None = None) -> Path:
        """Write each member to a subdirectory and an ensemble config.json naming them."""
        from helixforge.core.artifacts import save_json

        d = Path(directory)
        names = list(names or [f"member{i}_{m.kind}" for i, m in enumerate(self.members)])
        for name, m in zip(names, self.members, strict=True):
            m.save(d / name)
        save_json({"format": "helixforge.crispr.ontarget", "kind": "ensemble", "enzyme": "spcas9",
                   "members": names, "weights": self.weights.tolist()}, d / "config.json")  # fmt: skip
        return d


# --------------------------------------------------------------------------- public entry points


def _weights_root():
    from importlib.resources import files

    return files("helixforge.crispr").joinpath("weights")


@functools.lru_cache(maxsize=8)
def _load_shipped(model: str, enzyme: str) -> OnTargetModel | OnTargetEnsemble:
    d = _weights_root().joinpath(f"{enzyme}_{model}")
    if not d.joinpath("config.json").is_file():
        raise HelixError(f"the shipped on-target model {model!r} is missing from this installation ({d})",
                         hint="reinstall helixforge, or rebuild it with tools/train_ontarget_defaults.py")  # fmt: skip
    return OnTargetModel.load(d, siblings=_weights_root())


def load_ontarget_model(
    model: str = "default", enzyme: str = "spcas9"
) -> OnTargetModel | OnTargetEnsemble:
    """A shipped model by name ('default', 'gbm', 'cnn'; loaded once, then cached) or a model directory path."""
    key = _check_enzyme(enzyme)
    if model in SHIPPED_MODELS:
        return _load_shipped(model, key)
    path = Path(model)
    if not path.is_dir():
        raise ConfigError(f"unknown on-target model {model!r}",
                          hint=f"use one of {', '.join(SHIPPED_MODELS)} or a directory written by `helix crispr train-ontarget`")  # fmt: skip
    return OnTargetModel.load(path)


def score_ontarget(
    contexts: Sequence[str],
    enzyme: str = "spcas9",
    model: str = "default",
    *,
    errors: RowErrors | None = None,
) -> np.ndarray:
    """On-target efficiency scores for guide contexts; higher = more active.

    SpCas9 context: the 30-mer on the protospacer strand = 4 nt 5' flank + 20 nt spacer + NGG PAM
    + 3 nt 3' flank (lowercase accepted; N allowed only in the flanks); a 23-mer spacer+PAM is
    accepted too (flanks unknown, slightly less accurate).

    Scale: float64 in [0, 100], the predicted percentile of the guide's activity among the
    guides of the model's training libraries (50 = a typical guide, > 70 good, < 20 poor). Only
    the ranking is meaningful; it is not an indel percentage.

    Invalid contexts: without `errors`, the first one raises `InputError` naming its 0-based
    index and the problem; with a `RowErrors` collector (batch mode) each invalid context gets
    NaN and a RowError (row = its index) so one bad guide never stops a design job.
    """
    m = load_ontarget_model(model, enzyme)
    return m.predict(list(contexts), errors=errors)


def score_ontarget_table(
    data: str | os.PathLike,
    context_col: str,
    out: str | os.PathLike,
    *,
    model: str = "default",
    enzyme: str = "spcas9",
) -> dict[str, Any]:
    """Score a table's contexts; write it back with an `ontarget_score` column (NaN for bad rows).

    Rows whose context is invalid are listed in `<out stem>.errors.csv` (file line, column,
    value, reason); the job fails only when no row can be scored.
    """
    from helixforge.core.tables import read_table, write_table

    df = read_table(data, columns=[context_col])
    errors = RowErrors(data)
    m = load_ontarget_model(model, enzyme)
    codes, valid = encode_contexts(
        df[context_col].tolist(), errors=errors, rows=df.index.tolist(), column=context_col
    )
    if not valid.any():
        raise NoUsableRowsError(
            f"{data}: no valid context in column {context_col!r}", hint=errors.summary(3)
        )
    scores = np.full(len(df), np.nan)
    scores[valid] = m.predict_codes(codes[valid])
    result = df.copy()
    result["ontarget_score"] = np.round(scores, 3)
    out_path = Path(out)
    write_table(result, out_path)
    errors_path = out_path.with_name(out_path.name.split(".")[0] + ".errors.csv")
    if len(errors):
        errors.write(errors_path)
    return {
        "n_scored": int(valid.sum()),
        "n_errors": len(errors),
        "out": str(out_path),
        "errors_path": str(errors_path),
    }


def _spacer_holdout(
    spacers: Sequence[str], fraction: float, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """Random (train, test) row indices with every copy of a spacer on the same side."""
    uniq, inverse = np.unique(np.asarray(spacers), return_inverse=True)
    is_test = np.random.default_rng(seed).random(len(uniq)) < fraction
    return np.flatnonzero(~is_test[inverse]), np.flatnonzero(is_test[inverse])


def train_ontarget(
    data: str | os.PathLike,
    context_col: str,
    target_col: str,
    kind: str = "gbm",
    out: str | os.PathLike = "ontarget_model",
    *,
    group_col: str | None = None,
    target_transform: str = "rank",
    test_fraction: float = 0.1,
    seed: int = 0,
    params: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Train an on-target model on a user table and write a model directory to `out`.

    Rows with an invalid context or a non-numeric target go to `out/errors.csv`. A random
    `test_fraction` of the usable rows (grouped by spacer, so duplicates never straddle) is held
    out and scored (Spearman, Pearson); the rest is fitted (with its own early-stopping split).
    `out` then holds config.json, the weights, metrics.json, versions.json and card.md; use it
    with `score_ontarget(..., model=str(out))`. Returns the metrics.
    """
    from helixforge.core.artifacts import RunDir
    from helixforge.core.metrics import bootstrap_ci, pearson, spearman
    from helixforge.core.tables import read_table, to_numeric_column

    cols = [context_col, target_col] + ([group_col] if group_col else [])
    df = read_table(data, columns=cols)
    errors = RowErrors(data)
    y, bad = to_numeric_column(df, target_col)
    for row in df.index[bad.to_numpy()]:
        errors.add(int(row), target_col, df.at[row, target_col], "target is not a number")
    for row in df.index[(y.isna() & ~bad).to_numpy()]:
        errors.add(int(row), target_col, None, "target is empty")
    codes, valid = encode_contexts(
        df[context_col].tolist(), errors=errors, rows=df.index.tolist(), column=context_col
    )
    keep = valid & y.notna().to_numpy()
    run = RunDir(out)
    errors.write(run / "errors.csv")
    if keep.sum() < 20:
        raise NoUsableRowsError(f"{data}: only {int(keep.sum())} usable rows (need at least 20)",
                                hint=f"see {run / 'errors.csv'} for the rejected rows")  # fmt: skip
    ctx = [("NNNN" + s.strip() + "NNN") if len(s.strip()) == SHORT_LENGTH else s.strip()
           for s in df.loc[keep, context_col].astype(str)]  # fmt: skip
    target = y.to_numpy()[keep]
    groups = df.loc[keep, group_col].to_numpy() if group_col else None
    tr, te = _spacer_holdout([s[4:24].upper() for s in ctx], test_fraction, seed)
    model = OnTargetModel(kind, params=params, target_transform=target_transform, seed=seed)
    model.fit([ctx[i] for i in tr], target[tr], None if groups is None else groups[tr])
    pred = model.predict([ctx[i] for i in te])
    y_test = (
        target[te]
        if target_transform == "none"
        else rank_normalize(target[te], None if groups is None else groups[te])
    )
    metrics = {
        "n_rows": int(len(df)), "n_rejected": len(errors), "n_train": int(len(tr)), "n_test": int(len(te)),
        "test_spearman": spearman(y_test, pred), "test_pearson": pearson(y_test, pred),
    }  # fmt: skip
    if len(te) > 10:
        metrics["test_spearman_ci95"] = list(
            bootstrap_ci(spearman, y_test, pred, n_boot=300, seed=seed)
        )
    model.save(run.path)
    run.save_metrics(metrics)
    run.save_versions([data])
    run.write_card(
        f"On-target efficiency model ({kind}) trained on {Path(data).name}",
        {
            "Training data": f"{data}: columns {context_col!r} (context) and {target_col!r} (activity); "
            f"{metrics['n_train']} rows fitted, {metrics['n_rejected']} rejected (errors.csv).",
            "Target transform": "per-group rank percentile"
            if target_transform == "rank"
            else "none (raw values)",
            "Held-out evaluation": f"{metrics['n_test']} rows held out by spacer: Spearman "
            f"{metrics['test_spearman']:.3f}, Pearson {metrics['test_pearson']:.3f}.",
            "Output scale": "0-100 percentile of the training-set predictions; higher = more active.",
        },
    )
    return metrics
