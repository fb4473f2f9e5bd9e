"""Refuse an output path that is, or would replace, one of the job's inputs.

`core.io.check_output` checks an output on its own; with `--overwrite` it would let a job write
its table over the FASTA / CSV it reads, or replace a run directory that holds its input.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from helixforge.core.errors import ConfigError


def check_not_input(
    out: str | os.PathLike | None,
    inputs: Iterable[str | os.PathLike | None],
    option: str = "--out",
) -> None:
    """`ConfigError` when `out` is one of `inputs` or a directory holding one of them."""
    if out is None:
        return
    try:
        o = Path(out).resolve()
    except (OSError, RuntimeError):
        return  # check_output reports unusable paths
    for item in inputs:
        if item is None or not isinstance(item, str | os.PathLike):
            continue
        try:
            p = Path(item)
            if not p.exists():
                continue
            ip = p.resolve()
        except (OSError, RuntimeError, ValueError):
            continue
        if ip == o or o in ip.parents:
            what = "is" if ip == o else "holds"
            raise ConfigError(
                f"{option} {out} {what} the input {item}; writing there would destroy it",
                hint=f"give {option} a path that is not an input (e.g. results/out.tsv)",
            )
