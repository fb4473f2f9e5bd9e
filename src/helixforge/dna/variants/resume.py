"""Finished chunks of a `score_variants` run, kept so an interrupted run can resume.

The chunks live in the staging directory beside the output (`core.io.staging_path(out)`,
`.NAME.partial/`), each written atomically, with a `resume.json` that records what the result
depends on: the sha256 of the VCF, of the genome, of the model, and the options. A resume
whose inputs differ in any of these is refused with an error naming what changed; chunks are
never mixed across inputs.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from helixforge.core.errors import ConfigError

_CHANGED = {
    "vcf": "the VCF (--vcf)",
    "genome": "the genome (--genome)",
    "model": "the model (--model)",
    "alleles": "the alleles to score (the same inputs read by another HelixForge version, "
    "whose rules for which records are scored differ)",
    "options": "the options",
}


def _sha256_file(path: Path, h: Any | None = None) -> Any:
    h = h if h is not None else hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(1 << 20):
            h.update(block)
    return h


def _sha256_dir(path: Path) -> str:
    h = hashlib.sha256()
    for f in sorted(p for p in path.rglob("*") if p.is_file()):
        h.update(str(f.relative_to(path)).encode() + b"\0")
        _sha256_file(f, h)
    return h.hexdigest()


def fingerprint(obj: Any) -> str:
    """sha256 of what an input holds: a file's bytes, a directory's files, a {contig: sequence}
    mapping's sequences, a torch module's weights; else of its type and repr."""
    if isinstance(obj, str) and obj.startswith("lm:"):
        obj = obj[3:]
    if isinstance(obj, str | os.PathLike):
        p = Path(obj)
        if p.is_dir():
            return _sha256_dir(p)
        if p.is_file():
            return _sha256_file(p).hexdigest()
    path = getattr(obj, "path", None)  # a dna.io.Genome
    if isinstance(path, Path) and path.is_file() and hasattr(obj, "resolve_contig"):
        return _sha256_file(path).hexdigest()
    h = hashlib.sha256()
    if isinstance(obj, Mapping):
        for k in sorted(obj):
            h.update(str(k).encode() + b"\0" + str(obj[k]).upper().encode() + b"\0")
        return h.hexdigest()
    module = getattr(obj, "torch_module", obj)
    state = getattr(module, "state_dict", None)
    if callable(state):
        for k, v in state().items():
            h.update(k.encode() + b"\0" + v.detach().cpu().numpy().tobytes())
        return h.hexdigest()
    h.update(f"{type(obj).__module__}.{type(obj).__qualname__}:{obj!r}".encode())
    return h.hexdigest()


class ChunkStore:
    """Atomic per-chunk parquet files plus `resume.json` in `directory`."""

    def __init__(self, directory: str | os.PathLike, key: dict[str, Any]):
        self.dir = Path(directory)
        self.key = key

    @property
    def _manifest(self) -> Path:
        return self.dir / "resume.json"

    def start(self, resume: bool) -> int:
        """Prepare the store; returns the number of finished chunks found (0 without resume).

        With `resume`, an existing manifest must match this run's key exactly; otherwise the
        store is emptied and a new manifest written.
        """
        from helixforge.core.io import atomic_file

        if resume and self._manifest.exists():
            try:
                old = json.loads(self._manifest.read_text())
            except (OSError, json.JSONDecodeError):
                old = None
            if not isinstance(old, dict):
                raise ConfigError(
                    f"{self._manifest}: the resume record is unreadable",
                    hint="rerun without --resume to start over",
                )
            changed = [part for part in _CHANGED if old.get(part) != self.key.get(part)]
            if len(changed) > 1 and "alleles" in changed:  # follows from the other change
                changed.remove("alleles")
            if changed:
                what = [_CHANGED[part] for part in changed]
                if "options" in changed:  # always last: name each option that differs
                    was, now = old.get("options") or {}, self.key["options"]
                    diff = [
                        f"{k}: {was.get(k)!r} → {now.get(k)!r}"
                        for k in sorted(set(was) | set(now))
                        if was.get(k) != now.get(k)
                    ]
                    what[-1] = f"the options ({'; '.join(diff)})"
                raise ConfigError(
                    f"cannot resume: {', '.join(what)} changed since the interrupted run "
                    f"whose chunks are in {self.dir}",
                    hint="rerun with the original inputs and options, or without --resume to "
                    "start over",
                )
            return len(list(self.dir.glob("chunk-*.parquet")))
        if self.dir.exists():
            shutil.rmtree(self.dir)
        self.dir.mkdir(parents=True)
        with atomic_file(self._manifest) as tmp:
            tmp.write_text(json.dumps(self.key, indent=1, sort_keys=True))
        return 0

    def _path(self, k: int) -> Path:
        return self.dir / f"chunk-{k:06d}.parquet"

    def load(self, k: int) -> pd.DataFrame | None:
        p = self._path(k)
        return pd.read_parquet(p) if p.exists() else None

    def save(self, k: int, frame: pd.DataFrame) -> None:
        from helixforge.core.tables import write_table

        write_table(frame, self._path(k))

    def clear(self) -> None:
        shutil.rmtree(self.dir, ignore_errors=True)
