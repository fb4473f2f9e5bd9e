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

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
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


def physical_memory() -> int | None:
    """Bytes of RAM on this machine (None when the platform does not say)."""
    import os

    try:
        return int(os.sysconf("SC_PAGE_SIZE")) * int(os.sysconf("SC_PHYS_PAGES"))
    except (AttributeError, OSError, ValueError):
        return None


def require_fits_memory(nbytes: float, what: str, hint: str, share: float = 0.8) -> None:
    """`ConfigError` when `what` needs more than `share` of this machine's RAM: sizes taken
    from options (channels, batch size, window) are refused before anything is allocated;
    otherwise torch or NumPy failed mid-run with an allocation error (a traceback)."""
    from helixforge.core.errors import ConfigError

    ram = physical_memory()
    if ram is not None and nbytes > share * ram:
        raise ConfigError(
            f"{what} needs about {_gb(nbytes)} of memory; this machine has {_gb(ram)}", hint=hint
        )


def _gb(n: float) -> str:
    return f"{n / 2**30:,.1f} GB" if n < 2**40 * 1000 else f"{n / 2**40:,.0f} TB"


def is_out_of_memory(exc: BaseException) -> bool:
    """True for the allocation failures of NumPy (MemoryError) and torch (RuntimeError 'can't
    allocate memory' / 'out of memory'), so callers can name the options that caused them."""
    if isinstance(exc, MemoryError):
        return True
    text = str(exc).lower()
    return isinstance(exc, RuntimeError) and (
        "can't allocate memory" in text or "out of memory" in text
    )


@contextmanager
def out_of_memory_as_error(what: str, hint: str) -> Iterator[None]:
    """Inside, an allocation failure (`is_out_of_memory`) becomes a `ConfigError` naming `what`
    (the options that sized it), e.g. around building a network from --param values."""
    from helixforge.core.errors import ConfigError

    try:
        yield
    except (MemoryError, RuntimeError) as exc:
        if not is_out_of_memory(exc):
            raise
        first = (str(exc).splitlines() or [type(exc).__name__])[0]
        raise ConfigError(f"{what} does not fit in memory ({first[:160]})", hint=hint) from None
