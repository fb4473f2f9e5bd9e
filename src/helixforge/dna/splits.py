"""Genome-aware splits: hold out whole chromosomes so that no locus leaks into the test set.

Registered in `helixforge.core.splits` as "chromosome":

    make_split("chromosome", n, groups=df["chrom"], test_chroms=["chr8"], valid_chroms=["chr9"])

Without explicit chromosome lists, whole chromosomes are assigned to train / valid / test by the
core group splitter (largest first, then filled at random to the requested fractions).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from helixforge.core.errors import ConfigError
from helixforge.core.splits import Split, group_split, register_splitter


def _names(chroms: Sequence[str] | str | None) -> set[str]:
    if chroms is None:
        return set()
    if isinstance(chroms, str):
        chroms = [c for c in chroms.replace(";", ",").split(",") if c.strip()]
    return {str(c).strip() for c in chroms}


@register_splitter("chromosome")
def chromosome_split(
    n: int,
    *,
    groups: Sequence[str] | None = None,
    chroms: Sequence[str] | None = None,
    test_chroms: Sequence[str] | str | None = None,
    valid_chroms: Sequence[str] | str | None = None,
    fractions: Sequence[float] = (0.8, 0.1, 0.1),
    seed: int = 0,
    **_,
) -> Split:
    """Split rows by chromosome (`groups` or `chroms`: one chromosome name per row)."""
    values = groups if groups is not None else chroms
    if values is None:
        raise ConfigError(
            "the chromosome split needs a chromosome per row",
            hint="pass --chrom-col (e.g. 'chrom')",
        )
    chrom = np.array([str(c) for c in values], dtype=object)
    if len(chrom) != n:
        raise ConfigError("chromosome split needs one chromosome name per row")
    test, valid = _names(test_chroms), _names(valid_chroms)
    if not test and not valid:
        return group_split(n, groups=chrom, fractions=fractions, seed=seed)
    present = set(chrom.tolist())
    missing = sorted((test | valid) - present)
    if missing:
        raise ConfigError(
            f"held-out chromosome(s) {missing} do not occur in the data",
            hint=f"chromosomes present: {', '.join(sorted(present)[:20])}",
        )
    if test & valid:
        raise ConfigError(f"chromosome(s) {sorted(test & valid)} are both test and validation")
    is_test = np.isin(chrom, list(test))
    is_valid = np.isin(chrom, list(valid))
    rng = np.random.default_rng(seed)
    train = np.flatnonzero(~is_test & ~is_valid)
    return Split(rng.permutation(train), np.flatnonzero(is_valid), np.flatnonzero(is_test))


__all__ = ["chromosome_split"]
