"""Ensembles of estimators (mean + spread) and the model folder with its integrity manifest.

A run's `model/` folder holds `member_<i>/` (each written by the estimator's own `save`, plus
`helix_model.json` naming the model) and `manifest.json` with the size and sha256 of every
file. Loading checks the manifest first, so a truncated or edited file is a clear error naming
it, never a crash deep inside a library.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from helixforge.core.errors import HelixError, InputError

MANIFEST = "manifest.json"
MEMBER_META = "helix_model.json"
# model name → the class whose `load(path)` reads a saved member
ModelLoader = Callable[[str], Any]


class Ensemble:
    """N trained members of one model; prediction = mean, uncertainty = spread (SD)."""

    def __init__(self, members: list, model_name: str, task_types: Sequence[str]):
        self.members = members
        self.model_name = model_name
        self.task_types = list(task_types)
        # classes per multiclass task; a member that never saw the highest classes outputs
        # fewer columns, padded with probability 0
        self.class_counts: list[int | None] = [None] * len(self.task_types)

    def predict_members(
        self, X: Sequence[str], features: np.ndarray | None = None
    ) -> list[list[np.ndarray]]:
        """[member][task] → (n,) values / P(1), or (n, k) class probabilities."""
        from helixforge.core.estimator import task_outputs

        return [task_outputs(m, list(X), self.task_types, features) for m in self.members]

    def predict(
        self, X: Sequence[str], features: np.ndarray | None = None
    ) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """Per task: the members' mean ((n,) or (n, k)) and spread ((n,) SD)."""
        return self.combine(self.predict_members(X, features))

    def combine(
        self, per_member: list[list[np.ndarray]]
    ) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """Mean and spread per task from `[member][task]` outputs. The spread of a
        multiclass task is the SD of the members' top-class probability."""
        means, spreads = [], []
        for j, tt in enumerate(self.task_types):
            cols = [np.asarray(pm[j], dtype=float) for pm in per_member]
            if tt == "multiclass":
                width = max([c.shape[1] for c in cols] + [self.class_counts[j] or 0])
                cols = [np.pad(c, ((0, 0), (0, width - c.shape[1]))) for c in cols]
            stack = np.stack(cols, axis=0)
            mean = stack.mean(axis=0)
            if len(per_member) < 2:
                spread = np.zeros(len(mean))
            elif tt == "multiclass":
                spread = stack.max(axis=2).std(axis=0)
            else:
                spread = stack.std(axis=0)
            means.append(mean)
            spreads.append(spread)
        return means, spreads

    def save(self, path: str | os.PathLike) -> Path:
        """Write every member into `path` (a fresh folder) and the manifest."""
        from helixforge.core.artifacts import save_json

        dest = Path(path)
        dest.mkdir(parents=True, exist_ok=True)
        for i, m in enumerate(self.members):
            sub = dest / f"member_{i}"
            m.save(sub)
            save_json({"model": self.model_name}, sub / MEMBER_META)
        write_manifest(dest, {"model": self.model_name, "members": len(self.members)})
        return dest

    @classmethod
    def load(
        cls, path: str | os.PathLike, loader: ModelLoader, task_types: Sequence[str]
    ) -> Ensemble:
        """Check the manifest, then load each member with `loader(model name).load(dir)`."""
        path = Path(path)
        info = check_manifest(path)
        members = []
        name = info.get("model")
        try:
            model_class = loader(name)
        except InputError:
            raise
        except HelixError as exc:  # an edited manifest naming a model this domain lacks
            known = f" ({exc.hint.removeprefix('choose one of: ')})" if exc.hint else ""
            raise InputError(
                f"{path / MANIFEST}: names the model {name!r}, not one this command loads{known}",
                hint="the model folder was edited or damaged; restore it or retrain",
            ) from None
        for i in range(int(info.get("members", 0))):
            sub = path / f"member_{i}"
            try:
                members.append(model_class.load(sub))
            except InputError:
                raise
            except Exception as exc:  # a library's parse error on a damaged member
                raise InputError(
                    f"{sub}: the saved model could not be loaded ({type(exc).__name__}: {exc})",
                    hint="the model folder is damaged; retrain or restore it",
                ) from None
        if not members:
            raise InputError(f"{path}: no trained members", hint="is this a finished run?")
        return cls(members, str(info.get("model")), task_types)


def _file_entries(folder: Path) -> dict[str, dict[str, Any]]:
    from helixforge.core.artifacts import sha256_file

    out = {}
    for p in sorted(folder.rglob("*")):
        if p.is_file() and p.name != MANIFEST:
            out[p.relative_to(folder).as_posix()] = {
                "size": p.stat().st_size,
                "sha256": sha256_file(p),
            }
    return out


def write_manifest(folder: str | os.PathLike, info: dict[str, Any]) -> Path:
    """`manifest.json` in `folder`: `info` plus size and sha256 of every file below it."""
    from helixforge.core.artifacts import save_json

    folder = Path(folder)
    return save_json({**info, "files": _file_entries(folder)}, folder / MANIFEST)


def read_manifest(folder: str | os.PathLike) -> dict[str, Any]:
    """The manifest of a model folder; a missing or unreadable one is an InputError."""
    path = Path(folder) / MANIFEST
    if not path.is_file():
        raise InputError(
            f"{path}: not found; {folder} is not a HelixForge model folder",
            hint="pass the run directory written by a training verb",
        )
    try:
        info = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(info, dict) or not isinstance(info.get("files"), dict):
            raise ValueError("no 'files' entry")
        # another format's manifest (a chem prior lists bare checksums) or an edited one
        if not all(isinstance(m, dict) for m in info["files"].values()):
            raise ValueError("'files' entries are not {size, sha256} records")
        if not isinstance(info.get("members", 0), int) or info.get("members", 0) < 0:
            raise ValueError(f"'members' is {info.get('members')!r}, not a count")
    except (ValueError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: damaged model manifest ({exc})") from None
    return info


def check_manifest(folder: str | os.PathLike) -> dict[str, Any]:
    """Verify every file the manifest lists (present, same size, same sha256)."""
    from helixforge.core.artifacts import sha256_file

    folder = Path(folder)
    info = read_manifest(folder)
    for rel, meta in info["files"].items():
        p = folder / rel
        if not p.is_file():
            raise InputError(f"{p}: model file missing", hint="the model folder is incomplete")
        if p.stat().st_size != meta.get("size") or sha256_file(p) != meta.get("sha256"):
            raise InputError(
                f"{p}: model file is damaged (size or checksum differs from {MANIFEST})",
                hint="restore the file or retrain the model",
            )
    return info
