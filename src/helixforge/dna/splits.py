"""DNA splits: whole chromosomes held out, separate valid/test files, and no sequence shared
between the parts.

Registered in `helixforge.core.splits` as "chromosome":

    make_split("chromosome", n, groups=df["chrom"], test_chroms=["chr8"], valid_chroms=["chr9"])

Without explicit chromosome lists, whole chromosomes are assigned to train / valid / test by the
core group splitter (largest first, then filled at random to the requested fractions).

`split_parts` turns a read training file (plus optional --valid / --test files) into the parts
of a `helix dna train` run, and `drop_shared_sequences` removes train / valid rows whose
sequence also occurs in a later part (each removal recorded in the errors table).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from helixforge.core.errors import ConfigError
from helixforge.core.splits import Split, group_split, register_splitter


def _names(chroms: Sequence[str] | str | None) -> set[str]:
    if chroms is None:
        return set()
    if isinstance(chroms, str):
        chroms = [c for c in chroms.replace(";", ",").split(",") if c.strip()]
    return {str(c).strip() for c in chroms}


def _spelled_as(names: set[str], present: set[str]) -> set[str]:
    """Each requested chromosome as the data spells it: '1' is 'chr1' (and back), 'MT' is
    'chrM', when only that spelling occurs (--test-chroms 1 on chr1 rows was 'do not occur')."""
    from helixforge.dna.io.genome import contig_aliases

    out = set()
    for name in names:
        alias = [a for a in dict.fromkeys(contig_aliases(name)) if a in present]
        out.add(alias[0] if name not in present and len(alias) == 1 else name)
    return out


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
    present = set(chrom.tolist())
    if len(present) < 2:  # all rows went to one part: 'the training part … is empty'
        raise ConfigError(
            f"the chromosome split holds out whole chromosomes, but every row is on "
            f"{', '.join(sorted(present)) or 'no chromosome'}",
            hint="use --split stratified (or random), or add rows from other chromosomes",
        )
    if not test and not valid:
        return group_split(n, groups=chrom, fractions=fractions, seed=seed)
    test, valid = _spelled_as(test, present), _spelled_as(valid, present)
    missing = sorted((test | valid) - present)
    if missing:
        raise ConfigError(
            f"held-out chromosome(s) {missing} do not occur in the data",
            hint=f"chromosomes present: {', '.join(sorted(present)[:20])}",
        )
    if test & valid:
        raise ConfigError(f"chromosome(s) {sorted(test & valid)} are both test and validation")
    if not present - test - valid:
        raise ConfigError(
            f"--test-chroms / --valid-chroms hold every chromosome of the data "
            f"({', '.join(sorted(present)[:20])}): none is left for training",
            hint="leave at least one chromosome out of --test-chroms and --valid-chroms",
        )
    is_test = np.isin(chrom, list(test))
    is_valid = np.isin(chrom, list(valid))
    rng = np.random.default_rng(seed)
    train = np.flatnonzero(~is_test & ~is_valid)
    return Split(rng.permutation(train), np.flatnonzero(is_valid), np.flatnonzero(is_test))


def split_parts(
    df: Any,
    task: str,
    *,
    split: str | None,
    split_col: str | None,
    chrom_col: str,
    test_chroms: Sequence[str] | str | None,
    valid_chroms: Sequence[str] | str | None,
    fractions: Sequence[float],
    seed: int,
    others: dict[str, Any],
) -> tuple[str, dict[str, Any]]:
    """(split name, {"train", "valid", "test": SequenceInput}) of a training file `df` and the
    separate files in `others` ({"valid": …, "test": …}). With a valid file the training file is
    all train; with only a test file 10 % of it (stratified for classes) is held out for early
    stopping; otherwise `split` ('random', 'stratified' — the default for classes —,
    'predefined' with `split_col`, 'chromosome' with `chrom_col` or a BED's chrom)."""
    from helixforge.core.errors import ConfigError
    from helixforge.core.splits import make_split

    empty = df.take([])
    if "valid" in others:
        return "files", {"train": df, "test": empty, **others}
    labels = np.array([str(v) for v in df.labels])
    strat = "stratified" if task != "regression" else "random"
    if others:
        sp = make_split(strat, len(df), fractions=(0.9, 0.1, 0.0), seed=seed, y=labels)
        return "files", {"train": df.take(sp.train), "valid": df.take(sp.valid), **others}
    name = split or ("predefined" if split_col else strat)
    kwargs: dict[str, Any] = {}
    if name == "predefined":
        if not split_col:
            raise ConfigError("--split predefined needs --split-col COLUMN (train/valid/test)")
        kwargs["assignment"] = df.frame[split_col].astype(str).to_numpy()
    elif name == "stratified":
        kwargs["y"] = labels
    elif name == "chromosome":
        chrom = "chrom" if df.kind == "bed" else chrom_col
        kwargs.update(
            groups=df.frame[chrom].astype(str).to_numpy(),
            test_chroms=test_chroms,
            valid_chroms=valid_chroms,
        )
    sp = make_split(name, len(df), fractions=fractions, seed=seed, **kwargs)
    return name, {"train": df.take(sp.train), "valid": df.take(sp.valid), "test": df.take(sp.test)}


def drop_shared_sequences(parts: dict[str, Any], errors: Any) -> dict[str, int]:
    """Remove train / valid rows whose sequence also occurs in a later part (valid, test), so no
    sequence is scored on data it was trained on; each removal is recorded in `errors` (under
    the file the row came from)."""
    from helixforge.core.errors import RowErrors

    removed: dict[str, int] = {}
    for part, later in (("valid", ["test"]), ("train", ["valid", "test"])):
        if part not in parts or not len(parts[part]):
            continue
        seen = {s for o in later if o in parts for s in parts[o].sequences}
        data = parts[part]
        keep = [i for i, s in enumerate(data.sequences) if s not in seen]
        dropped = RowErrors(data.source)
        for i in sorted(set(range(len(data))) - set(keep)):
            dropped.add(
                int(data.frame.index[i]),
                "sequence",
                data.ids[i],
                f"also in the {'/'.join(later)} part: left out of {part} (no leakage)",
            )
        errors.extend(dropped)
        removed[part] = len(data) - len(keep)
        parts[part] = data.take(keep)
    return removed


__all__ = ["chromosome_split", "drop_shared_sequences", "split_parts"]
