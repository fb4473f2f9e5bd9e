"""One batching helper for the DNA models: re-iterable, reproducible mini-batches.

`Batches(n, batch_size, make_batch, shuffle=True, seed=0)` yields `make_batch(indices, rng)`
for each mini-batch of `range(n)`. Each pass (one epoch) draws its order and its random
augmentations from a generator seeded by (seed, epoch), so a run resumed at epoch k sees
exactly the batches an uninterrupted run sees from epoch k (`start_epoch=k`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import numpy as np


def epoch_rng(seed: int, epoch: int) -> np.random.Generator:
    """The random generator of one epoch (order, augmentation)."""
    return np.random.default_rng([int(seed) % (2**32), int(epoch)])


class Batches:
    """Re-iterable mini-batches over `n` items; every iteration is the next epoch."""

    def __init__(
        self,
        n: int,
        batch_size: int,
        make_batch: Callable[[np.ndarray, np.random.Generator], Any],
        *,
        shuffle: bool = True,
        seed: int = 0,
        start_epoch: int = 0,
    ):
        self.n, self.batch_size = int(n), int(batch_size)
        self.make_batch = make_batch
        self.shuffle, self.seed = shuffle, seed
        self.epoch = int(start_epoch)

    def __len__(self) -> int:
        return (self.n + self.batch_size - 1) // self.batch_size

    def __iter__(self) -> Iterator[Any]:
        rng = epoch_rng(self.seed, self.epoch)
        if self.shuffle:
            self.epoch += 1
        order = rng.permutation(self.n) if self.shuffle else np.arange(self.n)
        for start in range(0, self.n, self.batch_size):
            yield self.make_batch(order[start : start + self.batch_size], rng)


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
) -> Batches:
    """(one-hot x, y) tensor batches; with `rc_augment` a random half of each batch is
    reverse-complemented (flip along both axes of the one-hot array)."""
    import torch

    def make(idx: np.ndarray, rng: np.random.Generator):
        x = onehot_tensor(codes[idx])
        if rc_augment:
            flip = torch.from_numpy(rng.random(len(idx)) < 0.5)
            x = torch.where(flip[:, None, None], torch.flip(x, dims=(1, 2)), x)
        return x, torch.from_numpy(y[idx])

    return Batches(len(codes), batch_size, make, shuffle=train, seed=seed, start_epoch=start_epoch)
