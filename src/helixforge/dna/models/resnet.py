"""A dilated residual CNN for sequence classification (Basenji / BPNet-style dilations).

stem Conv1d(k=stem_kernel) → [residual blocks with dilations 1, 2, 4, …] → global average and
max pooling (plus, with `position_bins`, the average of each of that many equal stretches, for
tasks where the position of a site matters, such as TATA boxes relative to a TSS) → dense → logits. Global pooling makes the model length-agnostic (padding with N
adds zero rows), and the growing dilations give a receptive field of several hundred bases at
the cost of a few layers. Reverse-complement handling lives in the estimator: training sees
random reverse complements and predictions average both strands.
"""

from __future__ import annotations

import torch
from torch import nn

from helixforge.dna.models.registry import register_architecture


class DilatedBlock(nn.Module):
    """x + Dropout(ReLU(BN(Conv_dilated(x)))) followed by a 1×1 mixing conv."""

    def __init__(self, channels: int, dilation: int, kernel_size: int = 3, dropout: float = 0.1):
        super().__init__()
        pad = dilation * (kernel_size - 1) // 2
        self.body = nn.Sequential(
            nn.Conv1d(channels, channels, kernel_size, padding=pad, dilation=dilation),
            nn.BatchNorm1d(channels),
            nn.ReLU(),
            nn.Conv1d(channels, channels, 1),
            nn.BatchNorm1d(channels),
            nn.Dropout(dropout),
        )
        self.act = nn.ReLU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(x + self.body(x))


class DilatedResNet(nn.Module):
    """Input (N, L, 4) one-hot → (N, n_outputs) logits; any L ≥ 1."""

    def __init__(
        self,
        n_outputs: int = 1,
        channels: int = 64,
        stem_kernel: int = 15,
        dilations: tuple[int, ...] = (1, 2, 4, 8, 16),
        pool: int = 2,
        hidden: int = 128,
        dropout: float = 0.2,
        position_bins: int = 0,
    ):
        super().__init__()
        self.position_bins = int(position_bins)
        self.stem = nn.Sequential(
            nn.Conv1d(4, channels, stem_kernel, padding=stem_kernel // 2),
            nn.BatchNorm1d(channels),
            nn.ReLU(),
        )
        self.pool = nn.MaxPool1d(pool, ceil_mode=True) if pool > 1 else nn.Identity()
        self.blocks = nn.Sequential(
            *[DilatedBlock(channels, d, dropout=dropout / 2) for d in dilations]
        )
        # optional coarse position: the mean of each of `position_bins` equal stretches of the
        # input (relative positions, so any length still works), for tasks anchored on a site
        self.bins = nn.AdaptiveAvgPool1d(self.position_bins) if self.position_bins > 0 else None
        self.head = nn.Sequential(
            nn.Linear(2 * channels + channels * self.position_bins, hidden),
            nn.ReLU(),
            nn.Dropout(dropout),
            nn.Linear(hidden, n_outputs),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.blocks(self.pool(self.stem(x.transpose(1, 2))))
        parts = [h.mean(dim=2), h.amax(dim=2)]
        if self.bins is not None:
            parts.append(self.bins(h).flatten(1))
        pooled = torch.cat(parts, dim=1)
        return self.head(pooled)


RESNET_DEFAULTS = {
    "channels": 64,
    "stem_kernel": 15,
    "dilations": [1, 2, 4, 8, 16],
    "pool": 2,
    "hidden": 128,
    "dropout": 0.2,
    "position_bins": 0,
}


@register_architecture(
    "resnet", defaults=RESNET_DEFAULTS, help="dilated residual CNN, any input length"
)
def build_resnet(max_len: int | None, n_outputs: int, **params) -> DilatedResNet:
    """The registered builder for `--model resnet` (max_len is not needed: global pooling)."""
    if "dilations" in params:
        params["dilations"] = tuple(params["dilations"])
    return DilatedResNet(n_outputs=n_outputs, **params)


@register_architecture(
    "resnet_pos",
    defaults={**RESNET_DEFAULTS, "position_bins": 8},
    help="the dilated ResNet plus positional pooling (8 bins), for site-anchored tasks",
)
def build_resnet_pos(max_len: int | None, n_outputs: int, **params) -> DilatedResNet:
    """`--model resnet_pos`: `resnet` with `position_bins` (default 8) in the head."""
    return build_resnet(max_len, n_outputs, **{"position_bins": 8, **params})
