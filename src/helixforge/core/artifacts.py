"""Run and model directories: config, metrics, versions, checksums, model cards.

A run directory holds everything needed to understand and reuse a result:

    config.json      the resolved options (what was asked + what `auto` chose)
    versions.json    versions of the key libraries and the data checksum
    metrics.json     evaluation numbers
    card.md          a model card (data, split, metrics, intended use, limits)
    report.html      plots, see `helixforge.core.report`
    model/ …         weights in the ecosystem's format (safetensors, LightGBM text, save_pretrained)
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import platform
import sys
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from helixforge.core.errors import InputError
from helixforge.core.tables import write_text

KEY_LIBRARIES = (
    "helixforge",
    "numpy",
    "pandas",
    "scikit-learn",
    "torch",
    "rdkit",
    "lightgbm",
    "transformers",
    "tokenizers",
    "peft",
)


def _jsonable(obj: Any) -> Any:
    import numpy as np

    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, np.generic):
        obj = obj.item()
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if isinstance(obj, Path):
        return str(obj)
    if isinstance(obj, np.ndarray):
        return _jsonable(obj.tolist())
    return obj


def save_json(obj: Any, path: str | os.PathLike) -> Path:
    """Write JSON atomically; NaN/inf become null, numpy scalars and paths become plain values."""
    return write_text(json.dumps(_jsonable(obj), indent=2, sort_keys=False) + "\n", path)


def load_json(path: str | os.PathLike) -> Any:
    p = Path(path)
    if not p.exists():
        raise InputError(f"{p}: not found", hint="is this a HelixForge run or model directory?")
    try:
        return json.loads(p.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputError(
            f"{p}: corrupt or truncated JSON ({exc})",
            hint="re-create the run or model directory; its JSON files are written by HelixForge",
        ) from None


def sha256_file(path: str | os.PathLike, chunk: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            h.update(block)
    return h.hexdigest()


def library_versions(names: tuple[str, ...] = KEY_LIBRARIES) -> dict[str, str]:
    out = {"python": sys.version.split()[0], "platform": platform.platform()}
    for name in names:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return out


class RunDir:
    """A run directory: `RunDir(path).save_config(cfg)`, `.save_metrics(m)`, `.path / 'model'`."""

    def __init__(self, path: str | os.PathLike, create: bool = True):
        self.path = Path(path)
        if create:
            self.path.mkdir(parents=True, exist_ok=True)
        elif not self.path.is_dir():
            raise InputError(
                f"{self.path}: run directory not found",
                hint="pass the --out directory of a finished training run",
            )

    def __truediv__(self, name: str) -> Path:
        return self.path / name

    def save_config(self, config: dict[str, Any]) -> Path:
        return save_json(config, self.path / "config.json")

    def load_config(self) -> dict[str, Any]:
        return load_json(self.path / "config.json")

    def save_metrics(self, metrics: dict[str, Any]) -> Path:
        return save_json(metrics, self.path / "metrics.json")

    def load_metrics(self) -> dict[str, Any]:
        return load_json(self.path / "metrics.json")

    def save_versions(self, data_files: list[str | os.PathLike] | None = None) -> Path:
        info: dict[str, Any] = {
            "created": datetime.now(UTC).isoformat(timespec="seconds"),
            "libraries": library_versions(),
        }
        if data_files:
            info["data"] = {str(p): sha256_file(p) for p in data_files if Path(p).is_file()}
        return save_json(info, self.path / "versions.json")

    def write_card(self, title: str, sections: dict[str, str]) -> Path:
        """A Markdown model card: one `## heading` per entry of `sections`."""
        lines = [f"# {title}", ""]
        for head, body in sections.items():
            lines += [f"## {head}", "", body.strip(), ""]
        return write_text("\n".join(lines), self.path / "card.md")
