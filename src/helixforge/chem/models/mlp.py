"""`minimol-mlp`: an ensemble of small MLPs on the MiniMol embedding (the MiniMol paper's
downstream recipe: frozen 512-d graph embedding, a few-layer MLP head, several seeds averaged).

    model = MiniMolMLP(members=5).fit(smiles, y, ["regression"], valid=(vs, vy), seed=1)
    model.save("run/model/member_0")          # mlp.safetensors + mlp.json
    MiniMolMLP.load("run/model/member_0").predict(new_smiles)

Embeddings come from the `minimol` feature block (so from the persistent embedding cache).
Inputs are z-scored with training statistics (a molecule MiniMol could not embed gets the
training mean, i.e. zeros); regression targets are z-scored (log10 first for positive
right-skewed targets, as `gbm` does). Training: AdamW, cosine schedule, early stopping on the
valid split (best epoch restored) through `core.training.fit`. Each member has its own seed
(`seed * 1000 + k`); predictions are the members' mean.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from helixforge.core.errors import ConfigError, InputError
from helixforge.core.training import restores_torch_threads, set_threads

DEFAULT_PARAMS: dict[str, Any] = {
    "members": 5,
    "hidden": 512,
    "depth": 1,  # hidden layers
    "dropout": 0.3,
    "lr": 2e-4,
    "weight_decay": 1e-4,
    "epochs": 40,
    "patience": 15,
    "batch_size": 64,
    "log_target": "auto",
    "num_threads": 1,
}


def minimol_spec():
    """The FeatureSpec of the bare MiniMol embedding (512 columns)."""
    from helixforge.chem.featurize import FeatureSpec

    return FeatureSpec(morgan_bits=0, descriptors="none", extra=("minimol",))


def _check(params: dict[str, Any]) -> dict[str, Any]:
    from helixforge.core.options import check_param_types, require_float, require_int

    out = check_param_types(params, {**DEFAULT_PARAMS, "log_target": None})
    for key, low in (("members", 1), ("hidden", 1), ("depth", 0), ("epochs", 1)):
        if key in out:
            require_int(out[key], f"--param {key}", min_value=low)
    for key, low in (("patience", 1), ("batch_size", 1), ("num_threads", 1)):
        if key in out:
            require_int(out[key], f"--param {key}", min_value=low)
    if "dropout" in out:
        require_float(out["dropout"], "--param dropout", low=0, high=1, high_open=True)
    if "lr" in out:
        require_float(out["lr"], "--param lr", low=0, low_open=True)
    if "weight_decay" in out:
        require_float(out["weight_decay"], "--param weight_decay", low=0)
    if out.get("log_target", "auto") not in ("auto", True, False):
        raise ConfigError(f"--param log_target={out['log_target']!r}: expected auto, true or false")
    return out


def _net(n_in: int, n_out: int, hidden: int, depth: int, dropout: float):
    import torch.nn as nn

    layers: list = []
    width = n_in
    for _ in range(depth):
        layers += [nn.Linear(width, hidden), nn.LayerNorm(hidden), nn.ReLU(), nn.Dropout(dropout)]
        width = hidden
    layers.append(nn.Linear(width, n_out))
    return nn.Sequential(*layers)


class _Shuffled:
    """Mini-batches of (x, y) tensors, reshuffled each epoch by a seeded generator."""

    def __init__(self, x, y, batch_size: int, seed: int):
        self.x, self.y, self.bs = x, y, batch_size
        self.rng = np.random.default_rng(seed)

    def __len__(self) -> int:
        return max(1, -(-len(self.x) // self.bs))

    def __iter__(self):
        import torch

        order = torch.from_numpy(self.rng.permutation(len(self.x)))
        for i in range(0, len(order), self.bs):
            idx = order[i : i + self.bs]
            yield self.x[idx], self.y[idx]


class MiniMolMLP:
    """`PropertyModel`: MLP-head ensemble on MiniMol embeddings (see the module docstring)."""

    name = "minimol-mlp"
    uses_features = False  # embeddings come from the cache, by SMILES

    def __init__(self, **params: Any):
        try:
            self.params = {**DEFAULT_PARAMS, **_check(params)}
        except ConfigError as exc:
            valid = f"valid keys: {', '.join(sorted(DEFAULT_PARAMS))}"
            raise ConfigError(exc.message, hint=exc.hint or valid) from None
        self.task_types: list[str] = []
        self.n_classes: list[int] = []
        self.log_targets: list[bool] = []
        self.x_mean = self.x_std = self.y_mean = self.y_std = None
        self.nets: list = []
        self.history: list[dict[str, float]] = []

    # ------------------------------------------------------------ data
    @staticmethod
    def embed(smiles: Sequence[str]) -> np.ndarray:
        """(n, 512) MiniMol embeddings (NaN rows where MiniMol fails)."""
        from helixforge.chem.featurize import featurize
        from helixforge.chem.inputs import smiles_list

        return featurize(smiles_list(smiles, "MiniMolMLP.embed"), minimol_spec())

    def _x(self, emb: np.ndarray):
        import torch

        x = (emb - self.x_mean) / self.x_std
        return torch.from_numpy(np.nan_to_num(x, nan=0.0).astype(np.float32))

    def _targets(self, y: np.ndarray) -> np.ndarray:
        """Labels in training space: log10 and z-score per regression task; NaN kept."""
        t = np.array(y, dtype=np.float64, copy=True)
        for j, tt in enumerate(self.task_types):
            if tt == "regression":
                col = t[:, j]
                if self.log_targets[j]:
                    col = np.where(col > 0, np.log10(np.where(col > 0, col, 1.0)), np.nan)
                t[:, j] = (col - self.y_mean[j]) / self.y_std[j]
        return t.astype(np.float32)

    def _loss(self, net, batch):
        import torch
        import torch.nn.functional as F

        x, y = batch
        out = net(x)
        losses = []
        col = 0
        for j, tt in enumerate(self.task_types):
            yj = y[:, j]
            keep = torch.isfinite(yj)
            k = self.n_classes[j] if tt == "multiclass" else 1
            logits = out[:, col : col + k]
            col += k
            if not bool(keep.any()):
                continue
            if tt == "regression":
                losses.append(F.mse_loss(logits[keep, 0], yj[keep]))
            elif tt == "binary":
                losses.append(F.binary_cross_entropy_with_logits(logits[keep, 0], yj[keep]))
            else:
                losses.append(F.cross_entropy(logits[keep], yj[keep].long()))
        if not losses:
            return out.sum() * 0.0
        return torch.stack(losses).mean()

    # ------------------------------------------------------------ training
    @restores_torch_threads
    def fit(
        self,
        smiles: Sequence[str],
        y: np.ndarray,
        task_types: Sequence[str],
        *,
        valid: tuple[Sequence[str], np.ndarray] | None = None,
        seed: int = 0,
        embeddings: np.ndarray | None = None,
        valid_embeddings: np.ndarray | None = None,
    ) -> MiniMolMLP:
        """Train `members` MLPs; `valid` (when given, ≥ 2 labelled rows) for early stopping."""
        import torch

        from helixforge.chem.inputs import label_matrix
        from helixforge.chem.models.gbm import use_log_target
        from helixforge.core.training import TrainConfig, fit, seed_everything

        set_threads(self.params["num_threads"])
        emb = embeddings if embeddings is not None else self.embed(smiles)
        y = label_matrix(y, task_types, "MiniMolMLP.fit", n=len(emb))
        self.task_types = list(task_types)
        ok = np.all(np.isfinite(emb), axis=1)
        if ok.sum() < 2:
            raise InputError("fewer than 2 training molecules have a MiniMol embedding")
        self.x_mean = emb[ok].mean(axis=0)
        self.x_std = emb[ok].std(axis=0) + 1e-6
        self.n_classes, self.log_targets, self.y_mean, self.y_std = [], [], [], []
        for j, tt in enumerate(self.task_types):
            col = y[ok, j][np.isfinite(y[ok, j])]
            if len(col) < 2:
                raise InputError(f"task {j} has {len(col)} labelled training molecules; need 2")
            log_t = tt == "regression" and use_log_target(col, self.params["log_target"])
            if log_t:
                col = np.log10(col)
            self.log_targets.append(bool(log_t))
            self.n_classes.append(int(np.nanmax(col)) + 1 if tt == "multiclass" else 0)
            mean = float(col.mean()) if tt == "regression" else 0.0
            sd = float(col.std()) if tt == "regression" else 1.0
            self.y_mean.append(mean)
            self.y_std.append(sd if sd > 0 else 1.0)
        x_tr, y_tr = self._x(emb[ok]), torch.from_numpy(self._targets(y[ok]))
        valid_batches = None
        if valid is not None and len(valid[0]):
            v_emb = valid_embeddings if valid_embeddings is not None else self.embed(valid[0])
            vy = np.asarray(valid[1], dtype=float).reshape(len(v_emb), -1)
            v_ok = np.all(np.isfinite(v_emb), axis=1)
            if np.isfinite(vy[v_ok]).sum() >= 2:
                valid_batches = [(self._x(v_emb[v_ok]), torch.from_numpy(self._targets(vy[v_ok])))]
        n_out = sum(k if tt == "multiclass" else 1 for tt, k in zip(task_types, self.n_classes))
        p = self.params
        self.nets, self.history = [], []
        for k in range(p["members"]):
            member_seed = seed * 1000 + k
            seed_everything(member_seed)
            net = _net(emb.shape[1], n_out, p["hidden"], p["depth"], p["dropout"])
            cfg = TrainConfig(
                epochs=p["epochs"],
                lr=p["lr"],
                weight_decay=p["weight_decay"],
                patience=p["patience"] if valid_batches else None,
                device="cpu",
                schedule="cosine",
                warmup_fraction=0.05,
                min_lr_fraction=0.05,
                quiet=True,
            )
            batches = _Shuffled(x_tr, y_tr, p["batch_size"], member_seed)
            res = fit(net, batches, loss_fn=self._loss, valid_batches=valid_batches, config=cfg)
            net.eval()
            self.nets.append(net)
            self.history.append({"member": k, "best_epoch": res.best_epoch})
        return self

    # ------------------------------------------------------------ prediction
    def predict_proba_tasks(
        self, smiles: Sequence[str] | None = None, embeddings: np.ndarray | None = None
    ) -> list[np.ndarray]:
        """Per task: (n,) values / P(1), or (n, k) class probabilities; members averaged."""
        import torch

        if not self.nets:
            raise ConfigError("the MLP model is not trained yet", hint="call fit() or load()")
        emb = embeddings if embeddings is not None else self.embed(smiles)
        x = self._x(emb)
        with torch.no_grad():
            outs = [net(x).numpy().astype(np.float64) for net in self.nets]
        parts = []
        for out in outs:
            cols, col = [], 0
            for j, tt in enumerate(self.task_types):
                k = self.n_classes[j] if tt == "multiclass" else 1
                z = out[:, col : col + k]
                col += k
                if tt == "regression":
                    v = z[:, 0] * self.y_std[j] + self.y_mean[j]
                    cols.append(10.0**v if self.log_targets[j] else v)
                elif tt == "binary":
                    cols.append(1.0 / (1.0 + np.exp(-z[:, 0])))
                else:
                    e = np.exp(z - z.max(axis=1, keepdims=True))
                    cols.append(e / e.sum(axis=1, keepdims=True))
            parts.append(cols)
        return [np.mean([p[j] for p in parts], axis=0) for j in range(len(self.task_types))]

    def predict(self, smiles: Sequence[str], embeddings: np.ndarray | None = None) -> np.ndarray:
        """(n, n_tasks): values (regression), P(1) (binary), argmax class (multiclass)."""
        parts = self.predict_proba_tasks(smiles, embeddings)
        return np.stack([p.argmax(axis=1).astype(float) if p.ndim == 2 else p for p in parts], 1)

    def predict_proba(self, smiles: Sequence[str]) -> np.ndarray:
        """(n, k) class probabilities of the first multiclass (or binary) task."""
        p = self.predict_proba_tasks(smiles)[0]
        return p if p.ndim == 2 else np.stack([1 - p, p], axis=1)

    # ------------------------------------------------------------ persistence
    def save(self, path: str | os.PathLike) -> None:
        """mlp.safetensors (every member's weights, prefixed m<k>.) + mlp.json; no pickles."""
        from safetensors.torch import save_file

        from helixforge.core.artifacts import save_json
        from helixforge.core.tables import atomic_path

        if not self.nets:
            raise ConfigError("the MLP model is not trained yet", hint="call fit() first")
        d = Path(path)
        d.mkdir(parents=True, exist_ok=True)
        state = {
            f"m{k}.{name}": t.detach().cpu().contiguous()
            for k, net in enumerate(self.nets)
            for name, t in net.state_dict().items()
        }
        with atomic_path(d / "mlp.safetensors") as tmp:
            save_file(state, str(tmp))
        save_json(
            {
                "model": self.name,
                "params": self.params,
                "task_types": self.task_types,
                "n_classes": self.n_classes,
                "log_targets": self.log_targets,
                "x_mean": [float(v) for v in self.x_mean],
                "x_std": [float(v) for v in self.x_std],
                "y_mean": self.y_mean,
                "y_std": self.y_std,
                "embedding": "minimol",
            },
            d / "mlp.json",
        )

    @classmethod
    def load(cls, path: str | os.PathLike) -> MiniMolMLP:
        from safetensors.torch import load_file

        from helixforge.chem.models.base import reading_model

        d = Path(path)
        meta_path = d / "mlp.json"
        if not meta_path.exists():
            raise InputError(f"{d}: not a MiniMol-MLP model directory (mlp.json missing)")
        with reading_model(d, "MiniMol-MLP"):
            return cls._load(d, meta_path, load_file)

    @classmethod
    def _load(cls, d: Path, meta_path: Path, load_file) -> MiniMolMLP:
        meta = json.loads(meta_path.read_text())
        model = cls(**meta["params"])
        model.task_types = meta["task_types"]
        model.n_classes = meta["n_classes"]
        model.log_targets = meta["log_targets"]
        model.x_mean = np.asarray(meta["x_mean"], dtype=np.float32)
        model.x_std = np.asarray(meta["x_std"], dtype=np.float32)
        model.y_mean, model.y_std = meta["y_mean"], meta["y_std"]
        state = load_file(str(d / "mlp.safetensors"))
        p = model.params
        n_out = sum(
            k if tt == "multiclass" else 1 for tt, k in zip(model.task_types, model.n_classes)
        )
        n_in = len(model.x_mean)
        for k in range(p["members"]):
            net = _net(n_in, n_out, p["hidden"], p["depth"], p["dropout"])
            prefix = f"m{k}."
            net.load_state_dict(
                {n[len(prefix) :]: t for n, t in state.items() if n.startswith(prefix)}
            )
            net.eval()
            model.nets.append(net)
        return model
