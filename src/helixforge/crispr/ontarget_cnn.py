"""The on-target CNN: parallel convolutions over the one-hot context, and its training loop.

Training uses the one torch loop (`core.training.fit`) and the one batching helper
(`core.batching.Batches`, shuffled from the run's seed) on `device` (auto / cpu / cuda); the
fitted network is moved back to the CPU, where `OnTargetModel` predicts.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from helixforge.crispr.ontarget_features import CONTEXT_LENGTH, one_hot_contexts


def make_cnn(channels: int = 32, hidden: int = 64, dropout: float = 0.25):
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


def fit_cnn(codes, target, train_idx, valid_idx, params: dict[str, Any], *, seed: int = 0,
            device: str = "cpu"):  # fmt: skip
    """Train a fresh `make_cnn` network on encoded contexts; returns (net on CPU, info)."""
    import torch

    from helixforge.core.batching import Batches, out_of_memory_as_error
    from helixforge.core.estimator import check_not_diverged_outputs
    from helixforge.core.training import TrainConfig, fit, seed_everything

    seed_everything(seed)
    p = params
    with out_of_memory_as_error(
        f"--param channels={p['channels']}, hidden={p['hidden']}: the on-target CNN",
        hint="lower --param channels / hidden",
    ):
        net = make_cnn(p["channels"], p["hidden"], p["dropout"])
    X = torch.from_numpy(one_hot_contexts(codes))
    Y = torch.from_numpy(target.astype(np.float32))

    def batches(idx: np.ndarray, shuffle: bool) -> Batches:
        def collate(sel: np.ndarray):
            sel = torch.from_numpy(sel)
            return X[sel], Y[sel]

        return Batches(np.asarray(idx), int(p["batch_size"]), collate, shuffle=shuffle, seed=seed)

    def loss_fn(model, batch):
        x, y = batch
        dev = next(model.parameters()).device
        return torch.nn.functional.mse_loss(model(x.to(dev)), y.to(dev))

    cfg = TrainConfig(epochs=int(p["epochs"]), lr=float(p["lr"]), weight_decay=float(p["weight_decay"]),
                      patience=int(p["patience"]), device=device, quiet=True)  # fmt: skip
    result = fit(net, batches(train_idx, True), loss_fn=loss_fn,
                 valid_batches=batches(valid_idx, False) if len(valid_idx) > 1 else None, config=cfg)  # fmt: skip
    net = net.cpu().eval()
    check_not_diverged_outputs(net, result.history, float(p["lr"]), option="--param lr")
    return net, {"best_epoch": int(result.best_epoch), "epochs_run": int(result.epochs_run)}
