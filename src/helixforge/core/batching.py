"""One mini-batch helper for every torch model (language models, DNA CNNs, D-MPNN, on-target CNNs).

    batches = Batches(items, batch_size=32, collate=to_tensors, shuffle=True, seed=0)
    for batch in batches: ...            # one pass = one epoch; reshuffled on every pass

`items` is a sequence (list of examples, numpy array) or a tuple of equally long sequences
(e.g. (codes, labels)); `collate` receives the selected items in the same shape (a list, an array
slice, or a tuple of those) and returns whatever the loss function takes. A collate function that
needs randomness (augmentation) can ask for the batches' own seeded generator with
`pass_rng=True`: it is then called as `collate(chunk, rng)`, so a run is reproducible from its seed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from helixforge.core.options import require_int


def _take(items: Any, idx: np.ndarray) -> Any:
    if isinstance(items, tuple):
        return tuple(_take(part, idx) for part in items)
    if isinstance(items, np.ndarray):
        return items[idx]
    if hasattr(items, "iloc"):
        return items.iloc[idx]
    return [items[int(j)] for j in idx]


def _length(items: Any) -> int:
    if isinstance(items, tuple):
        lengths = {len(part) for part in items}
        if len(lengths) > 1:
            raise ValueError(f"Batches: parts of different lengths {sorted(lengths)}")
        return lengths.pop() if lengths else 0
    return len(items)


class Batches:
    """Re-iterable mini-batches; reshuffled on every pass (one pass = one epoch)."""

    def __init__(
        self,
        items: Sequence[Any] | tuple[Sequence[Any], ...],
        batch_size: int,
        collate: Callable[..., Any] | None = None,
        *,
        shuffle: bool = False,
        seed: int = 0,
        pass_rng: bool = False,
        drop_last: bool = False,
    ):
        self.items = items
        self.batch_size = require_int(batch_size, "--batch-size", min_value=1)
        self.collate = collate or (lambda chunk: chunk)
        self.shuffle = shuffle
        self.rng = np.random.default_rng(seed)
        self.pass_rng = pass_rng
        self.drop_last = drop_last
        self.n = _length(items)

    def __len__(self) -> int:
        if self.drop_last:
            return self.n // self.batch_size
        return (self.n + self.batch_size - 1) // self.batch_size

    def __iter__(self):
        order = self.rng.permutation(self.n) if self.shuffle else np.arange(self.n)
        for start in range(0, len(self) * self.batch_size, self.batch_size):
            chunk = _take(self.items, order[start : start + self.batch_size])
            yield self.collate(chunk, self.rng) if self.pass_rng else self.collate(chunk)
