"""Train / validation / test splits, with a registry that domains extend.

Core provides random, stratified, group and predefined-column splits. Domains register their
own with `@register_splitter("scaffold")` (chem), `"cluster"` (chem), `"chromosome"` (dna).
Every splitter returns a `Split` of disjoint integer positions and never leaks a group across
parts.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from helixforge.core.errors import ConfigError


@dataclass
class Split:
    """Disjoint integer positions for train, validation and test."""

    train: np.ndarray
    valid: np.ndarray
    test: np.ndarray

    def __post_init__(self) -> None:
        self.train = np.asarray(self.train, dtype=int)
        self.valid = np.asarray(self.valid, dtype=int)
        self.test = np.asarray(self.test, dtype=int)
        assert_disjoint(self.train, self.valid, self.test)

    def sizes(self) -> dict[str, int]:
        return {"train": len(self.train), "valid": len(self.valid), "test": len(self.test)}

    def labels(self, n: int) -> np.ndarray:
        """A per-row array of 'train' / 'valid' / 'test' / '' (unused)."""
        out = np.full(n, "", dtype=object)
        out[self.train], out[self.valid], out[self.test] = "train", "valid", "test"
        return out


def assert_disjoint(*parts: np.ndarray) -> None:
    seen: set[int] = set()
    for part in parts:
        s = set(np.asarray(part).tolist())
        if seen & s:
            raise AssertionError("split parts overlap: data would leak between train and test")
        seen |= s


Splitter = Callable[..., Split]
_SPLITTERS: dict[str, Splitter] = {}


def register_splitter(name: str) -> Callable[[Splitter], Splitter]:
    """Register a split function under `name` (used by `make_split` and the CLI's --split)."""

    def deco(fn: Splitter) -> Splitter:
        _SPLITTERS[name] = fn
        return fn

    return deco


def available_splitters() -> list[str]:
    return sorted(_SPLITTERS)


def make_split(
    name: str, n: int, *, fractions: Sequence[float] = (0.8, 0.1, 0.1), seed: int = 0, **kwargs
) -> Split:
    """Dispatch to a registered splitter. `kwargs` carry what the splitter needs (y, groups, smiles…)."""
    if name not in _SPLITTERS:
        raise ConfigError(
            f"unknown split {name!r}", hint=f"choose one of: {', '.join(available_splitters())}"
        )
    _check_fractions(fractions)
    return _SPLITTERS[name](n, fractions=fractions, seed=seed, **kwargs)


def _check_fractions(fractions: Sequence[float]) -> None:
    import math

    try:
        ok = len(fractions) == 3 and all(math.isfinite(f) and f >= 0 for f in fractions)
    except TypeError:  # text, None: not numbers
        ok = False
    if not ok or abs(sum(fractions) - 1) > 1e-6:  # NaN passed: abs(nan - 1) > 1e-6 is False
        raise ConfigError(
            f"split fractions {tuple(fractions)} must be three non-negative numbers summing to 1"
        )


def _cut(order: np.ndarray, fractions: Sequence[float]) -> Split:
    _check_fractions(fractions)  # splitters called directly, not only through make_split
    n = len(order)
    n_train = int(round(fractions[0] * n))
    n_valid = int(round(fractions[1] * n))
    return Split(order[:n_train], order[n_train : n_train + n_valid], order[n_train + n_valid :])


@register_splitter("random")
def random_split(
    n: int, *, fractions: Sequence[float] = (0.8, 0.1, 0.1), seed: int = 0, **_
) -> Split:
    """Shuffle rows and cut by fraction."""
    rng = np.random.default_rng(seed)
    return _cut(rng.permutation(n), fractions)


# More distinct values than this is a continuous target, not classes.
MAX_STRATA = 50


@register_splitter("stratified")
def stratified_split(
    n: int, *, y: Sequence, fractions: Sequence[float] = (0.8, 0.1, 0.1), seed: int = 0, **_
) -> Split:
    """Keep class proportions in every part (y: one label per row)."""
    y = np.asarray(y)
    if len(y) != n:
        raise ConfigError("stratified split needs one label per row")
    labelled = y[~_isnan(y)] if y.dtype.kind == "f" else y
    n_classes = len(np.unique(labelled))
    if n_classes > MAX_STRATA or (y.dtype.kind == "f" and np.any(labelled != np.round(labelled))):
        raise ConfigError(
            f"stratified split needs class labels, but the target has {n_classes} distinct values",
            hint="use --split random or scaffold for a continuous target",
        )
    rng = np.random.default_rng(seed)
    train, valid, test = [], [], []
    for cls in np.unique(y[~_isnan(y)] if y.dtype.kind == "f" else y):
        idx = rng.permutation(np.flatnonzero(y == cls))
        part = _cut(idx, fractions)
        train.append(part.train), valid.append(part.valid), test.append(part.test)
    if y.dtype.kind == "f":  # unlabeled rows go to train only
        train.append(np.flatnonzero(_isnan(y)))
    return Split(
        *(
            rng.permutation(np.concatenate(p)) if p else np.array([], int)
            for p in (train, valid, test)
        )
    )


def _isnan(y: np.ndarray) -> np.ndarray:
    return np.isnan(y) if y.dtype.kind == "f" else np.zeros(len(y), bool)


@register_splitter("group")
def group_split(
    n: int,
    *,
    groups: Sequence,
    fractions: Sequence[float] = (0.8, 0.1, 0.1),
    seed: int = 0,
    balanced: bool = True,
    **_,
) -> Split:
    """Whole groups go to one part. `balanced` (as in Chemprop's balanced scaffold split) puts
    groups larger than half the test size into train first, then fills the rest at random."""
    _check_fractions(fractions)
    groups = np.asarray(groups, dtype=object)
    if len(groups) != n:
        raise ConfigError("group split needs one group key per row")
    rng = np.random.default_rng(seed)
    members = _group_members(groups)
    n_train, n_valid = fractions[0] * n, fractions[1] * n
    n_test = n - n_train - n_valid
    if balanced:
        big = [m for m in members if len(m) > n_valid / 2 or len(m) > n_test / 2]
        small = [m for m in members if not (len(m) > n_valid / 2 or len(m) > n_test / 2)]
        rng.shuffle(big)
        rng.shuffle(small)
        ordered = big + small
    else:
        ordered = sorted(members, key=len, reverse=True)
    train, valid, test = [], [], []
    for m in ordered:
        if len(train) + len(m) <= n_train:
            train.extend(m)
        elif len(valid) + len(m) <= n_valid:
            valid.extend(m)
        else:
            test.extend(m)
    return Split(np.array(train, int), np.array(valid, int), np.array(test, int))


def _group_members(groups: np.ndarray) -> list[np.ndarray]:
    """Row positions of each group, in O(n log n) (one sort, not one scan per group)."""
    _, inverse = np.unique(groups.astype(str), return_inverse=True)
    order = np.argsort(inverse, kind="stable")
    bounds = np.flatnonzero(np.diff(inverse[order])) + 1
    return np.split(order, bounds)


@register_splitter("predefined")
def predefined_split(n: int, *, assignment: Sequence[str], **_) -> Split:
    """Use a column of 'train' / 'valid' (or 'val', 'validation', 'dev') / 'test' values."""
    names = np.array([str(a).strip().lower() for a in assignment])
    if len(names) != n:
        raise ConfigError("predefined split needs one assignment per row")
    valid_names = {"val", "valid", "validation", "dev"}
    unknown = sorted(set(names) - {"train", "test"} - valid_names)
    if unknown:
        raise ConfigError(
            f"split column has values {unknown[:5]} besides train/valid/test",
            hint="use 'train', 'valid' (or 'val'/'dev') and 'test'",
        )
    return Split(
        np.flatnonzero(names == "train"),
        np.flatnonzero(np.isin(names, list(valid_names))),
        np.flatnonzero(names == "test"),
    )


def kfold_indices(
    n: int, k: int, seed: int = 0, groups: Sequence | None = None
) -> list[tuple[np.ndarray, np.ndarray]]:
    """K folds of (train, held-out) positions; with `groups`, no group spans two folds.

    k must be at least 2. With fewer rows (or groups) than folds, some held-out parts are
    empty; callers skip those."""
    from helixforge.core.options import require_int

    k = require_int(k, "--folds", min_value=2)
    rng = np.random.default_rng(seed)
    if groups is None:
        order = rng.permutation(n)
        folds = np.array_split(order, k)
    else:
        uniq, inverse = np.unique(np.asarray(groups, dtype=object).astype(str), return_inverse=True)
        gorder = rng.permutation(len(uniq))
        sizes = np.bincount(inverse, minlength=len(uniq))
        bins: list[list[int]] = [[] for _ in range(k)]
        load = np.zeros(k)
        for g in sorted(
            gorder, key=lambda g: -sizes[g]
        ):  # largest groups first, into the lightest fold
            j = int(np.argmin(load))
            bins[j].append(g)
            load[j] += sizes[g]
        folds = [np.flatnonzero(np.isin(inverse, b)) for b in bins]
    out = []
    for i in range(k):
        held = folds[i]
        rest = (
            np.concatenate([folds[j] for j in range(k) if j != i]) if k > 1 else np.array([], int)
        )
        out.append((rest, held))
    return out
