"""Directed message-passing neural network (D-MPNN; Yang et al. 2019, as in Chemprop) in PyTorch.

    model = DMPNNModel(epochs=30).fit(smiles, y, ["regression"], valid=(val_smiles, val_y))
    model.predict(new_smiles)            # (n, n_tasks)
    model.save("run/model"); DMPNNModel.load("run/model")

Messages live on directed bonds. With h⁰(u→v) = W_i [x_u ‖ e_uv], each of `depth - 1` steps sets
h(u→v) = ReLU(h⁰(u→v) + W_h Σ_{k∈N(u)\\v} h(k→u)); atoms then read m_v = Σ_{u∈N(v)} h(u→v),
h_v = ReLU(W_o [x_v ‖ m_v]), and a molecule is the mean (or sum, or sum / 100) of its atoms,
optionally concatenated with RDKit 2D descriptors mapped to their training-set CDF in [0, 1]
("dmpnn-rdkit", as Chemprop-RDKit's normalized descriptors),
followed by a feed-forward head. All sums are `index_add_` over edge/atom indices: no Python
loop over atoms or molecules in the forward pass.

Multi-task with missing labels: `y` holds NaN where a label is missing and the loss is averaged
over present labels only (MSE on standardized targets for regression tasks, BCE-with-logits for
binary tasks, cross-entropy for a multiclass task). The learning rate follows Chemprop's Noam-like
schedule: linear warm-up from lr/10 to lr over `warmup_epochs`, then exponential decay to lr/10.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from helixforge.chem.graphs import (
    ATOM_DIM,
    BOND_DIM,
    GraphSet,
    featurize_graphs,
)
from helixforge.chem.inputs import smiles_list, valid_pair
from helixforge.chem.models.dmpnn_io import N_QUANTILES as _N_QUANTILES
from helixforge.chem.models.dmpnn_net import (  # noqa: F401  (_Batches & co. re-exported)
    AGGREGATIONS,
    DEFAULT_PARAMS,
    FEATURE_SETS,
    _Batches,
    _cdf_scale,
    _make_net,
    _noam_lr,
    _noam_optimizer,
    check_params,
    check_targets,
    make_loss_fn,
)
from helixforge.core.errors import ConfigError, InputError
from helixforge.core.training import torch_threads

TASK_TYPES = ("regression", "binary", "multiclass")
_PREDICT_CHUNK = 20_000  # molecules featurized at a time when predicting


def _compute_descriptors(smiles: Sequence[str]) -> np.ndarray:
    """RDKit 2D descriptors from `helixforge.chem.featurize` as a float (n, d) array."""
    try:
        from helixforge.chem.featurize import descriptors
    except ImportError as exc:  # pragma: no cover - depends on the sibling module being present
        raise ConfigError(
            "features='rdkit' needs helixforge.chem.featurize.descriptors, which is unavailable",
            hint="use features='none' (plain D-MPNN)",
        ) from exc
    values = descriptors(list(smiles))
    if hasattr(values, "to_numpy"):
        values = values.to_numpy()
    return np.asarray(values, dtype=np.float64)


class DMPNNModel:
    """D-MPNN property model (Chemprop-style) implementing `chem.models.base.PropertyModel`.

    `features="rdkit"` concatenates RDKit 2D descriptors, each mapped to its training-set CDF,
    to the learned molecule vector (Chemprop-RDKit). `threads=1` is the default: measured on the shared 2-core machine,
    one torch thread trained 5-7x more molecule-epochs per second than two
    (benchmarks/results/chem_dmpnn.md). `patience` (epochs without a better validation loss)
    only applies when `fit` gets `valid=`. With `checkpoint_dir`, each epoch is saved there and
    a later `fit` with the same directory resumes (same data and options expected; the batch
    order after a resume differs from an uninterrupted run)."""

    def __init__(
        self,
        hidden: int = 300,
        depth: int = 3,
        dropout: float = 0.0,
        ffn_hidden: int = 300,
        ffn_layers: int = 2,
        epochs: int = 50,
        batch_size: int = 50,
        lr: float = 1e-3,
        warmup_epochs: float = 2.0,
        features: str = "none",
        aggregation: str = "mean",
        threads: int | None = 1,
        device: str = "auto",
        patience: int | None = 10,
        quiet: bool = True,
        checkpoint_dir: str | None = None,
        **unknown: Any,
    ):
        given = {k: v for k, v in locals().items() if k in DEFAULT_PARAMS}
        check_params({**given, **unknown})
        self.hidden, self.depth, self.dropout = hidden, depth, dropout
        self.ffn_hidden, self.ffn_layers = ffn_hidden, ffn_layers
        self.epochs, self.batch_size, self.lr, self.warmup_epochs = (
            epochs,
            batch_size,
            lr,
            warmup_epochs,
        )
        self.features, self.aggregation = features, aggregation
        self.threads, self.device, self.patience, self.quiet = threads, device, patience, quiet
        self.checkpoint_dir = None if checkpoint_dir is None else str(checkpoint_dir)
        self.net_ = None
        self.task_types_: list[str] = []
        self.n_classes_: list[int] = []
        self.target_mean_: np.ndarray | None = None
        self.target_std_: np.ndarray | None = None
        self.descriptor_quantiles_: np.ndarray | None = None  # (_N_QUANTILES, n_descriptors)
        self.history_: list[dict[str, float]] = []
        self.best_epoch_: int = -1

    @property
    def name(self) -> str:
        return "dmpnn-rdkit" if self.features == "rdkit" else "dmpnn"

    def get_params(self) -> dict[str, Any]:
        """Constructor arguments (JSON-able)."""
        return {k: getattr(self, k) for k in DEFAULT_PARAMS}

    # ------------------------------------------------------------------ data preparation
    def _graphs(self, smiles: Sequence[str], what: str) -> GraphSet:
        graphs = featurize_graphs(list(smiles))
        bad = np.flatnonzero(~graphs.valid)
        if len(bad):
            shown = ", ".join(f"row {i} ({smiles[i]!r})" for i in bad[:5])
            raise InputError(
                f"{what}: {len(bad)} SMILES could not be parsed by RDKit: {shown}"
                + (" …" if len(bad) > 5 else ""),
                hint="standardize the input first (helixforge.chem.standardize) and drop the "
                "rows it rejects",
            )
        return graphs

    def _extra(self, smiles: Sequence[str], fit: bool = False) -> np.ndarray | None:
        if self.features == "none":
            return None
        raw = _compute_descriptors(smiles)
        if raw.ndim != 2 or raw.shape[0] != len(smiles):
            raise ConfigError(
                f"descriptor function returned shape {raw.shape} for {len(smiles)} molecules"
            )
        raw = np.where(np.isfinite(raw), raw, np.nan)
        if fit:
            levels = np.linspace(0.0, 1.0, _N_QUANTILES)
            with np.errstate(all="ignore"), warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN descriptor columns
                q = np.nanquantile(raw, levels, axis=0)
            self.descriptor_quantiles_ = np.nan_to_num(q, nan=0.0)
        trained = 0 if self.descriptor_quantiles_ is None else self.descriptor_quantiles_.shape[1]
        if trained != raw.shape[1]:
            raise ConfigError(
                f"descriptor width {raw.shape[1]} differs from the {trained} the model was "
                "trained with",
                hint="use the same helixforge version (descriptor set) for training and prediction",
            )
        return _cdf_scale(raw, self.descriptor_quantiles_)

    def _extra_dim(self) -> int:
        return 0 if self.descriptor_quantiles_ is None else int(self.descriptor_quantiles_.shape[1])

    def _build_net(self, extra_dim: int):
        return _make_net(
            atom_dim=ATOM_DIM,
            bond_dim=BOND_DIM,
            hidden=self.hidden,
            depth=self.depth,
            dropout=self.dropout,
            aggregation=self.aggregation,
            extra_dim=extra_dim,
            ffn_hidden=self.ffn_hidden,
            ffn_layers=self.ffn_layers,
            out_dim=int(sum(self._layout()[1])),
        )

    def _layout(self) -> tuple[list[int], list[int]]:
        """Output column of each task (first column for multiclass) and its width."""
        widths = [k if t == "multiclass" else 1 for t, k in zip(self.task_types_, self.n_classes_)]
        starts = np.concatenate(([0], np.cumsum(widths)[:-1])).astype(int).tolist()
        return starts, widths

    # ------------------------------------------------------------------ training
    def fit(
        self,
        smiles: Sequence[str],
        y: np.ndarray,
        task_types: Sequence[str],
        *,
        valid: tuple[Sequence[str], np.ndarray] | None = None,
        seed: int = 0,
    ) -> DMPNNModel:
        """Train on `smiles` / `y` (NaN = missing label). `valid` is used for early stopping and
        best-epoch selection only."""
        from helixforge.core.training import TrainConfig, fit, seed_everything

        task_types = [str(t) for t in task_types]
        for t in task_types:
            if t not in TASK_TYPES:
                raise ConfigError(f"unknown task type {t!r}", hint=f"use one of {TASK_TYPES}")
        smiles = smiles_list(smiles, "DMPNNModel.fit")
        if len(smiles) == 0:
            raise InputError("no training molecules were given")
        y = check_targets(y, task_types, "training data")
        if len(y) != len(smiles):
            raise InputError(
                f"DMPNNModel.fit: {len(smiles)} molecules but {len(y)} rows of labels",
                hint="pass one label row per SMILES, in the same order",
            )
        if valid is not None:
            v_smiles, _ = valid_pair(valid, "DMPNNModel.fit")
            v_smiles = smiles_list(v_smiles, "DMPNNModel.fit", "valid smiles")
            v_y = check_targets(valid[1], task_types, "validation data")
            if len(v_y) != len(v_smiles):
                raise InputError(
                    f"DMPNNModel.fit (valid): {len(v_smiles)} molecules but {len(v_y)} rows of "
                    "labels",
                    hint="pass one label row per SMILES, in the same order",
                )
            if len(v_smiles) == 0:
                valid = None
        for j, t in enumerate(task_types):
            if np.all(np.isnan(y[:, j])):
                raise InputError(
                    f"task {j} ({t}) has no labels in the training data",
                    hint="drop the task or change the split",
                )

        self.task_types_ = task_types
        self.n_classes_ = []
        for j, t in enumerate(task_types):
            if t == "multiclass":
                labels = y[:, j]
                if valid is not None:
                    labels = np.concatenate([labels, v_y[:, j]])
                self.n_classes_.append(int(np.nanmax(labels)) + 1)
            else:
                self.n_classes_.append(1 if t == "regression" else 2)
        reg = np.array([t == "regression" for t in task_types])
        mean = np.zeros(len(task_types))
        std = np.ones(len(task_types))
        if reg.any():
            with np.errstate(all="ignore"):
                mean[reg] = np.nanmean(y[:, reg], axis=0)
                s = np.nanstd(y[:, reg], axis=0)
            std[reg] = np.where(np.isfinite(s) & (s > 1e-12), s, 1.0)
        self.target_mean_, self.target_std_ = mean, std

        graphs = self._graphs(smiles, "training data")
        extra = self._extra(smiles, fit=True)
        y_scaled = ((y - mean) / std).astype(np.float32)
        if valid is not None:
            v_graphs = self._graphs(v_smiles, "validation data")
            v_extra = self._extra(v_smiles)
            v_scaled = ((v_y - mean) / std).astype(np.float32)

        with torch_threads(self.threads):
            seed_everything(seed)
            starts, widths = self._layout()
            self.net_ = self._build_net(0 if extra is None else extra.shape[1])
            rng = np.random.default_rng(seed)
            train_batches = _Batches(graphs, extra, y_scaled, self.batch_size, rng)
            valid_batches = None
            if valid is not None:
                valid_batches = list(
                    _Batches(v_graphs, v_extra, v_scaled, max(self.batch_size, 256))
                )
            steps_per_epoch = len(train_batches)
            optimizer = _noam_optimizer(
                self.net_.parameters(),
                self.lr,
                warmup_steps=int(round(self.warmup_epochs * steps_per_epoch)),
                total_steps=self.epochs * steps_per_epoch,
            )
            config = TrainConfig(
                epochs=self.epochs,
                lr=self.lr,
                patience=self.patience if valid is not None else None,
                grad_clip=None,
                device=self.device,
                quiet=self.quiet,
                # One folder per seed: ensemble members must not resume each other's runs.
                checkpoint_dir=(
                    None
                    if self.checkpoint_dir is None
                    else str(Path(self.checkpoint_dir) / f"seed_{seed}")
                ),
                resume=self.checkpoint_dir is not None,
            )
            result = fit(
                self.net_,
                train_batches,
                loss_fn=make_loss_fn(self.task_types_, *self._layout()),
                valid_batches=valid_batches,
                config=config,
                optimizer=optimizer,
            )
            self.net_.eval()
        self.history_ = result.history
        self.best_epoch_ = result.best_epoch
        return self

    # ------------------------------------------------------------------ inference
    def _require_fitted(self) -> None:
        if self.net_ is None:
            raise ConfigError("this D-MPNN model is not trained", hint="call fit() or load() first")

    def _raw_outputs(
        self, smiles: Sequence[str], encode: bool = False
    ) -> tuple[np.ndarray, np.ndarray]:
        """(outputs of valid rows, valid mask) in input order; `encode` returns molecule vectors."""
        import torch

        from helixforge.core.training import resolve_device

        self._require_fitted()
        smiles = smiles_list(smiles, "DMPNNModel.predict")
        device = resolve_device(self.device)
        chunks, valid_all = [], np.zeros(len(smiles), dtype=bool)
        with torch_threads(self.threads), torch.inference_mode():
            net = self.net_.to(device).eval()
            for start in range(0, len(smiles), _PREDICT_CHUNK):
                part = smiles[start : start + _PREDICT_CHUNK]
                graphs = featurize_graphs(part)
                ok = np.flatnonzero(graphs.valid)
                valid_all[start + ok] = True
                if len(ok) == 0:
                    continue
                graphs = graphs.subset(ok)
                ok_smiles = [part[i] for i in ok]
                extra = self._extra(ok_smiles)
                for batch in _Batches(graphs, extra, None, max(self.batch_size, 256)):
                    g = batch["graph"].to(device)
                    e = None if batch["extra"] is None else batch["extra"].to(device)
                    res = net.encode(g, e) if encode else net(g, e)
                    chunks.append(res.float().cpu().numpy())
        width = (self.hidden + self._extra_dim()) if encode else sum(self._layout()[1])
        out = np.concatenate(chunks) if chunks else np.zeros((0, width), dtype=np.float32)
        return out, valid_all

    def _probabilities(self, smiles: Sequence[str]) -> tuple[list[np.ndarray], np.ndarray]:
        raw, valid = self._raw_outputs(smiles)
        starts, widths = self._layout()
        per_task = []
        for j, kind in enumerate(self.task_types_):
            block = raw[:, starts[j] : starts[j] + widths[j]].astype(np.float64)
            if kind == "regression":
                per_task.append(block[:, 0] * self.target_std_[j] + self.target_mean_[j])
            elif kind == "binary":
                per_task.append(1.0 / (1.0 + np.exp(-block[:, 0])))
            else:
                z = np.exp(block - block.max(axis=1, keepdims=True))
                per_task.append(z / z.sum(axis=1, keepdims=True))
        return per_task, valid

    def predict(self, smiles: Sequence[str]) -> np.ndarray:
        """(n, n_tasks): values for regression tasks, P(y = 1) for binary ones, the most likely
        class for a multiclass task. Rows whose SMILES do not parse are NaN."""
        per_task, valid = self._probabilities(smiles)
        out = np.full((len(valid), len(self.task_types_)), np.nan)
        for j, values in enumerate(per_task):
            out[valid, j] = values.argmax(axis=1) if values.ndim == 2 else values
        return out

    def predict_proba(self, smiles: Sequence[str]) -> np.ndarray:
        """Class probabilities (n, k) for a single multiclass task; otherwise as `predict`."""
        smiles = smiles_list(smiles, "DMPNNModel.predict_proba")  # read twice below
        per_task, valid = self._probabilities(smiles)
        if len(self.task_types_) == 1 and self.task_types_[0] == "multiclass":
            out = np.full((len(valid), self.n_classes_[0]), np.nan)
            out[valid] = per_task[0]
            return out
        return self.predict(smiles)

    def embed(self, smiles: Sequence[str]) -> np.ndarray:
        """Learned molecule vectors (n, hidden [+ descriptors]) before the feed-forward head;
        NaN rows for SMILES that do not parse."""
        raw, valid = self._raw_outputs(smiles, encode=True)
        out = np.full((len(valid), raw.shape[1]), np.nan, dtype=np.float32)
        out[valid] = raw
        return out

    # ------------------------------------------------------------------ persistence
    def save(self, path: str | os.PathLike) -> None:
        """Write config.json, weights.safetensors and scaler.json into directory `path`."""
        from helixforge.chem.models.dmpnn_io import save_dmpnn

        self._require_fitted()
        save_dmpnn(self, path)

    @classmethod
    def load(cls, path: str | os.PathLike) -> DMPNNModel:
        """Rebuild a trained model from a directory written by `save`."""
        from helixforge.chem.models.base import reading_model
        from helixforge.chem.models.dmpnn_io import load_dmpnn

        with reading_model(path, "D-MPNN"):
            return load_dmpnn(cls, path)
