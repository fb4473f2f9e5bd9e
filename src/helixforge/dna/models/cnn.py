"""The Genomic Benchmarks baseline CNN, on one-hot input.

Genomic Benchmarks (Grešová et al. 2023) trains an embedding (100-d) → three blocks of
Conv1d(kernel 8) → BatchNorm → ReLU → MaxPool(2) with 16, 8 and 4 channels → flatten →
Linear(512) → output. An embedding of one-hot bases is a 1×1 convolution, which is what this
module uses so that gradients with respect to the one-hot input exist (attributions, ISM).
The flattened size depends on the input length, so the model has a fixed `max_len`: shorter
sequences are padded with N (zeros).
"""

from __future__ import annotations

import torch
from torch import nn

from helixforge.dna.models.registry import register_architecture

MIN_LEN = 64  # three valid k=8 convolutions with pooling need at least this many bases


class BaselineCNN(nn.Module):
    """conv→BN→ReLU→pool ×3, dense; input (N, L, 4) one-hot, output (N, n_outputs) logits."""

    def __init__(
        self,
        max_len: int,
        n_outputs: int = 1,
        embedding_dim: int = 100,
        channels: tuple[int, int, int] = (16, 8, 4),
        kernel_size: int = 8,
        hidden: int = 512,
        dropout: float = 0.3,
    ):
        super().__init__()
        self.max_len = max(int(max_len), MIN_LEN)
        self.embed = nn.Conv1d(4, embedding_dim, kernel_size=1, bias=False)
        layers: list[nn.Module] = []
        c_in = embedding_dim
        for c in channels:
            layers += [
                nn.Conv1d(c_in, c, kernel_size),
                nn.BatchNorm1d(c),
                nn.ReLU(),
                nn.MaxPool1d(2),
            ]
            c_in = c
        self.conv = nn.Sequential(*layers)
        with torch.no_grad():
            flat = self.conv(self.embed(torch.zeros(1, 4, self.max_len))).numel()
        self.head = nn.Sequential(
            nn.Flatten(),
            nn.Linear(flat, hidden),
            nn.ReLU(),
            nn.Dropout(dropout),
            nn.Linear(hidden, n_outputs),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.shape[1] < self.max_len:  # pad with N (zeros) up to the model length
            x = nn.functional.pad(x, (0, 0, 0, self.max_len - x.shape[1]))
        h = self.embed(x.transpose(1, 2))
        return self.head(self.conv(h))


@register_architecture(
    "cnn",
    defaults={
        "embedding_dim": 100,
        "channels": [16, 8, 4],
        "kernel_size": 8,
        "hidden": 512,
        "dropout": 0.3,
    },
    fixed_length=True,
    help="Genomic Benchmarks baseline CNN (fixed input length)",
)
def build_cnn(max_len: int | None, n_outputs: int, **params) -> BaselineCNN:
    """The registered builder for `--model cnn`."""
    if "channels" in params:
        params["channels"] = tuple(params["channels"])
    return BaselineCNN(max_len=max_len or 0, n_outputs=n_outputs, **params)
