"""D-MPNN building blocks: the torch network, the Noam-like learning-rate schedule, descriptor
CDF scaling, mini-batching, the masked multi-task loss and label checks (`dmpnn.DMPNNModel`
puts them together)."""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from typing import Any

import numpy as np

from helixforge.chem.graphs import GraphSet
from helixforge.core.errors import ConfigError

AGGREGATIONS = ("mean", "sum", "norm")
FEATURE_SETS = ("none", "rdkit")
# constructor defaults: `--param` values are checked against their types (None: int or None)
DEFAULT_PARAMS: dict[str, Any] = {
    "hidden": 300,
    "depth": 3,
    "dropout": 0.0,
    "ffn_hidden": 300,
    "ffn_layers": 2,
    "epochs": 50,
    "batch_size": 50,
    "lr": 1e-3,
    "warmup_epochs": 2.0,
    "features": "none",
    "aggregation": "mean",
    "threads": None,
    "device": "auto",
    "patience": None,
    "quiet": True,
    "checkpoint_dir": None,
}


def check_params(params: dict[str, Any]) -> None:
    """Unknown keys, wrong types and out-of-range values → ConfigError naming the key, the
    expected type and the valid keys."""
    from helixforge.core.options import (
        check_param_types,
        require_choice,
        require_float,
        require_int,
    )

    valid = f"valid keys: {', '.join(sorted(DEFAULT_PARAMS))}"
    try:
        check_param_types(params, DEFAULT_PARAMS)
        for key in ("hidden", "depth", "ffn_hidden", "ffn_layers", "epochs", "batch_size"):
            require_int(params[key], f"--param {key}", min_value=1)
        for key in ("threads", "patience"):
            if params[key] is not None:
                require_int(params[key], f"--param {key}", min_value=0 if key == "threads" else 1)
        require_float(params["dropout"], "--param dropout", low=0, high=1, high_open=True)
        require_float(params["lr"], "--param lr", low=0, low_open=True)
        require_float(params["warmup_epochs"], "--param warmup_epochs", low=0)
        require_choice(params["features"], "--param features", FEATURE_SETS)
        require_choice(params["aggregation"], "--param aggregation", AGGREGATIONS)
        if params["checkpoint_dir"] is not None and not isinstance(
            params["checkpoint_dir"], str | os.PathLike
        ):
            raise ConfigError(
                f"--param checkpoint_dir={params['checkpoint_dir']!r}: expected a path"
            )
    except ConfigError as exc:
        raise ConfigError(exc.message, hint=exc.hint or valid) from None


def _make_net(**kw: Any):
    import torch
    from torch import nn

    class DMPNNNet(nn.Module):
        """Bond message passing encoder + feed-forward head."""

        def __init__(
            self,
            atom_dim: int,
            bond_dim: int,
            hidden: int,
            depth: int,
            dropout: float,
            aggregation: str,
            extra_dim: int,
            ffn_hidden: int,
            ffn_layers: int,
            out_dim: int,
        ):
            super().__init__()
            self.depth = depth
            self.aggregation = aggregation
            self.W_i = nn.Linear(atom_dim + bond_dim, hidden, bias=False)
            self.W_h = nn.Linear(hidden, hidden, bias=False)
            self.W_o = nn.Linear(atom_dim + hidden, hidden)
            self.dropout = nn.Dropout(dropout)
            layers: list[nn.Module] = []
            width = hidden + extra_dim
            for _ in range(ffn_layers - 1):
                layers += [nn.Dropout(dropout), nn.Linear(width, ffn_hidden), nn.ReLU()]
                width = ffn_hidden
            layers += [nn.Dropout(dropout), nn.Linear(width, out_dim)]
            self.ffn = nn.Sequential(*layers)

        def encode(self, graph, extra=None):
            """(n_mols, hidden [+ extra_dim]) molecule vectors."""
            atoms, bonds = graph.atoms, graph.bonds
            src, dst = graph.edge_index[0], graph.edge_index[1]
            n_atoms, hidden = atoms.shape[0], self.W_h.in_features
            h0 = self.W_i(torch.cat([atoms[src], bonds], dim=1))
            h = torch.relu(h0)
            for _ in range(self.depth - 1):
                incoming = h.new_zeros(n_atoms, hidden).index_add_(0, dst, h)
                message = incoming[src] - h[graph.rev_index]
                h = self.dropout(torch.relu(h0 + self.W_h(message)))
            incoming = h.new_zeros(n_atoms, hidden).index_add_(0, dst, h)
            atom_h = self.dropout(torch.relu(self.W_o(torch.cat([atoms, incoming], dim=1))))
            mol = atom_h.new_zeros(graph.n_mols, hidden).index_add_(0, graph.atom_batch, atom_h)
            if self.aggregation == "mean":
                counts = torch.bincount(graph.atom_batch, minlength=graph.n_mols).clamp_(min=1)
                mol = mol / counts.unsqueeze(1).to(mol.dtype)
            elif self.aggregation == "norm":
                mol = mol / 100.0
            if extra is not None:
                mol = torch.cat([mol, extra], dim=1)
            return mol

        def forward(self, graph, extra=None):
            return self.ffn(self.encode(graph, extra))

    return DMPNNNet(**kw)


def _noam_optimizer(params, lr: float, warmup_steps: int, total_steps: int):
    """Adam whose learning rate follows Chemprop's Noam-like schedule, stepped with the optimizer
    (core.training.fit owns the loop; the step count lives in the param group, so it is saved
    and restored with the optimizer state)."""
    import torch

    class NoamAdam(torch.optim.Adam):
        def step(self, closure=None):
            for group in self.param_groups:
                group["lr"] = _noam_lr(group["noam_step"], lr, warmup_steps, total_steps)
                group["noam_step"] += 1
            return super().step(closure)

    opt = NoamAdam(params, lr=lr / 10)
    for group in opt.param_groups:
        group["noam_step"] = 0
    return opt


def _noam_lr(step: int, max_lr: float, warmup_steps: int, total_steps: int) -> float:
    init_lr = final_lr = max_lr / 10
    if step < warmup_steps:
        return init_lr + (max_lr - init_lr) * step / max(1, warmup_steps)
    decay_steps = max(1, total_steps - warmup_steps)
    frac = min(1.0, (step - warmup_steps) / decay_steps)
    return max_lr * (final_lr / max_lr) ** frac


def _cdf_scale(raw: np.ndarray, quantiles: np.ndarray) -> np.ndarray:
    """Map each descriptor to its empirical CDF over the training set, in [0, 1] (as
    Chemprop-RDKit's normalized descriptors): robust to heavy tails and to count-valued
    descriptors (ties get the mid-rank). Missing values become 0.5."""
    n_q = quantiles.shape[0]
    out = np.empty(raw.shape, dtype=np.float32)
    for j in range(raw.shape[1]):
        q = quantiles[:, j]
        x = raw[:, j]
        left = np.searchsorted(q, x, side="left")
        right = np.searchsorted(q, x, side="right")
        # interpolate inside a quantile bin so continuous descriptors keep their resolution
        lo = np.clip(right - 1, 0, n_q - 1)
        hi = np.clip(right, 0, n_q - 1)
        width = q[hi] - q[lo]
        with np.errstate(all="ignore"):
            frac = np.where(width > 0, (x - q[lo]) / width, 0.0)
        pos = np.where(left == right, lo + np.clip(frac, 0.0, 1.0), (left + right - 1) / 2)
        pos = np.where(right == 0, 0.0, pos)
        out[:, j] = np.where(np.isnan(x), 0.5, np.clip(pos / (n_q - 1), 0.0, 1.0))
    return out


class _Batches:
    """Re-iterable mini-batches over a GraphSet; reshuffled each epoch when `rng` is given."""

    def __init__(
        self,
        graphs: GraphSet,
        extra: np.ndarray | None,
        y: np.ndarray | None,
        batch_size: int,
        rng: np.random.Generator | None = None,
    ):
        self.graphs, self.extra, self.y = graphs, extra, y
        self.batch_size, self.rng = batch_size, rng

    def __len__(self) -> int:
        return math.ceil(len(self.graphs) / self.batch_size)

    def __iter__(self):
        import torch

        n = len(self.graphs)
        order = self.rng.permutation(n) if self.rng is not None else np.arange(n)
        for start in range(0, n, self.batch_size):
            idx = order[start : start + self.batch_size]
            yield {
                "graph": self.graphs.batch(idx),
                "extra": None if self.extra is None else torch.from_numpy(self.extra[idx]),
                "y": None if self.y is None else torch.from_numpy(self.y[idx]),
            }


def make_loss_fn(task_types: Sequence[str], starts: list[int], widths: list[int]):
    """Mean loss over present labels: MSE (standardized regression targets), BCE-with-logits
    (binary), cross-entropy (multiclass); NaN labels are masked."""
    import torch
    import torch.nn.functional as F

    reg_tasks = [j for j, t in enumerate(task_types) if t == "regression"]
    bin_tasks = [j for j, t in enumerate(task_types) if t == "binary"]
    multi_tasks = [j for j, t in enumerate(task_types) if t == "multiclass"]
    reg_cols = torch.tensor([starts[j] for j in reg_tasks], dtype=torch.long)
    bin_cols = torch.tensor([starts[j] for j in bin_tasks], dtype=torch.long)

    def loss_fn(net, batch):
        out = net(batch["graph"], batch["extra"])
        y = batch["y"]
        total = out.new_zeros(())
        count = out.new_zeros(())
        if reg_tasks:
            target = y[:, reg_tasks]
            mask = ~torch.isnan(target)
            err = (out[:, reg_cols.to(out.device)] - torch.nan_to_num(target)) ** 2
            total = total + (err * mask).sum()
            count = count + mask.sum()
        if bin_tasks:
            target = y[:, bin_tasks]
            mask = ~torch.isnan(target)
            err = F.binary_cross_entropy_with_logits(
                out[:, bin_cols.to(out.device)], torch.nan_to_num(target), reduction="none"
            )
            total = total + (err * mask).sum()
            count = count + mask.sum()
        for j in multi_tasks:
            target = y[:, j]
            mask = ~torch.isnan(target)
            logits = out[mask, starts[j] : starts[j] + widths[j]]
            total = total + F.cross_entropy(logits, target[mask].long(), reduction="sum")
            count = count + mask.sum()
        return total / count.clamp(min=1)

    return loss_fn


def check_targets(y: np.ndarray, task_types: Sequence[str], what: str) -> np.ndarray:
    """Labels as a float (n, tasks) array; wrong shapes or labels → a clear error
    (`chem.inputs.label_matrix`)."""
    from helixforge.chem.inputs import label_matrix

    return label_matrix(y, task_types, what)
