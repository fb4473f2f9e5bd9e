"""DNA batches on the project's one batching helper (`core.batching.Batches`), seeded per epoch.

Each pass (one epoch) draws its order and its random augmentations from a generator seeded by
(seed, epoch), so a run resumed at epoch k (`start_epoch=k`) sees exactly the batches an
uninterrupted run sees from epoch k.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from helixforge.core.batching import Batches


def epoch_rng(seed: int, epoch: int) -> np.random.Generator:
    """The random generator of one epoch (order, augmentation)."""
    return np.random.default_rng([int(seed) % (2**32), int(epoch)])


class EpochBatches(Batches):
    """`core.batching.Batches` whose every epoch has its own generator; collate gets (chunk, rng)."""

    def __init__(
        self,
        items: Any,
        batch_size: int,
        collate: Callable[..., Any],
        *,
        shuffle: bool,
        seed: int = 0,
        start_epoch: int = 0,
    ):
        super().__init__(items, batch_size, collate, shuffle=shuffle, seed=seed, pass_rng=True)
        self.seed, self.epoch = int(seed), int(start_epoch)

    def __iter__(self) -> Iterator[Any]:
        self.rng = epoch_rng(self.seed, self.epoch)
        if self.shuffle:
            self.epoch += 1
        yield from super().__iter__()


def onehot_tensor(codes: np.ndarray):
    """(n, L) integer codes → float tensor (n, L, 4); N / padding → zero rows."""
    import torch

    t = torch.from_numpy(np.ascontiguousarray(codes).astype(np.int64))
    return torch.nn.functional.one_hot(t, 5)[..., :4].float()


def onehot_batches(
    codes: np.ndarray,
    y: np.ndarray,
    batch_size: int,
    *,
    train: bool,
    rc_augment: bool,
    seed: int,
    start_epoch: int = 0,
) -> EpochBatches:
    """(one-hot x, y) tensor batches; with `rc_augment` a random half of each batch is
    reverse-complemented (flip along both axes of the one-hot array)."""
    import torch

    def collate(chunk: tuple[np.ndarray, np.ndarray], rng: np.random.Generator):
        c, yy = chunk
        x = onehot_tensor(c)
        if rc_augment:
            flip = torch.from_numpy(rng.random(len(c)) < 0.5)
            x = torch.where(flip[:, None, None], torch.flip(x, dims=(1, 2)), x)
        return x, torch.from_numpy(np.ascontiguousarray(yy))

    return EpochBatches(
        (codes, y), batch_size, collate, shuffle=train, seed=seed, start_epoch=start_epoch
    )
