"""A fine-tuned model folder on disk: `model/` (save_pretrained + tokenizer) and
`helixforge_finetune.json` (tasks, label scaling, options, and the size and sha256 of every file
in `model/`). Loading checks those sizes and checksums first, so a truncated or replaced file is
a clear error naming it, and never runs code from the folder unless the caller allows it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from helixforge.core.errors import InputError

FINETUNE_FILE = "helixforge_finetune.json"
ESTIMATOR_FILE = "helixforge_estimator.json"


def _file_records(model_dir: Path) -> dict[str, dict[str, Any]]:
    from helixforge.core.artifacts import sha256_file

    return {
        f.name: {"size": f.stat().st_size, "sha256": sha256_file(f)}
        for f in sorted(model_dir.iterdir())
        if f.is_file()
    }


def save_model_folder(est, path: Path) -> Path:
    """Write `path/model` and `path/helixforge_finetune.json` for a fitted estimator."""
    from helixforge.core.artifacts import save_json

    est._fitted()
    (path / "model").mkdir(parents=True, exist_ok=True)
    est.model.save_pretrained(str(path / "model"))
    est.tokenizer.save(path / "model")
    save_json(
        {
            "format": "helixforge.lm.LMPropertyModel/2",
            "base_model": est.model_path,
            "task_types": est.task_types,
            "label_cols": est.label_cols,
            "n_classes": est.n_classes,
            "y_mean": None if est.y_mean is None else est.y_mean.tolist(),
            "y_std": None if est.y_std is None else est.y_std.tolist(),
            "options": est.options,
            "max_len": est.max_len,
            "stride_fraction": est.stride_fraction,
            "batch_size": est.batch_size,
            "lora": est.lora,
            "history": est.history,
            "files": _file_records(path / "model"),
        },
        path / FINETUNE_FILE,
    )
    return path


def read_json_file(path: Path) -> dict[str, Any]:
    """A JSON object from `path`; missing, corrupt or truncated → InputError naming the file."""
    if not path.is_file():
        raise InputError(
            f"{path}: not found", hint="pass a run directory written by `helix lm finetune`"
        )
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: corrupt or truncated JSON ({exc})") from None
    if not isinstance(raw, dict):
        raise InputError(f"{path}: expected a JSON object")
    return raw


def verify_files(model_dir: Path, records: dict[str, Any] | None) -> None:
    """Sizes and checksums recorded at save time must still hold."""
    from helixforge.core.artifacts import sha256_file

    for name, rec in (records or {}).items():
        f = model_dir / name
        hint = "the model folder was changed or damaged after it was saved; re-copy it"
        if not f.is_file():
            raise InputError(f"{f}: missing from the model folder", hint=hint)
        if f.stat().st_size != rec.get("size") or sha256_file(f) != rec.get("sha256"):
            raise InputError(f"{f}: size or checksum differs from when it was saved", hint=hint)


def load_model_folder(cls, path: Path, device: str, trust_remote_code: bool):
    """An estimator from a folder written by `save_model_folder` (or an older version)."""
    from helixforge.core.training import resolve_device
    from helixforge.lm.models import check_remote_code, load_pretrained

    meta = read_json_file(path / FINETUNE_FILE)
    if not (path / "model").is_dir():
        raise InputError(f"{path / 'model'}: not found", hint="the run directory is incomplete")
    verify_files(path / "model", meta.get("files"))
    check_remote_code(path / "model", trust_remote_code)
    options = meta.get("options") or {}
    if not options and (path / ESTIMATOR_FILE).is_file():
        options = read_json_file(path / ESTIMATOR_FILE).get("options") or {}
    from helixforge.lm.estimator import _STORED_OPTIONS

    options = {k: v for k, v in options.items() if k in _STORED_OPTIONS}
    try:
        options.update(max_len=meta["max_len"], batch_size=meta.get("batch_size", 32))
        obj = cls(meta.get("base_model"), **options, trust_remote_code=trust_remote_code)
        obj.stride_fraction = meta.get("stride_fraction", 0.5)
        obj.task_types = list(meta["task_types"])
        obj.label_cols = meta.get("label_cols")
        obj.n_classes = meta.get("n_classes")
        obj.y_mean = None if meta.get("y_mean") is None else np.asarray(meta["y_mean"], float)
        obj.y_std = None if meta.get("y_std") is None else np.asarray(meta["y_std"], float)
        obj.history = meta.get("history", [])
    except (KeyError, TypeError, ValueError) as exc:
        raise InputError(f"{path / FINETUNE_FILE}: missing or invalid entry ({exc})") from None
    task = (
        "token-classification"
        if obj.task_types == ["token-classification"]
        else "sequence-classification"
    )
    obj.model, obj.tokenizer = load_pretrained(
        path / "model",
        task=task,
        trust_remote_code=trust_remote_code,
        device=str(resolve_device(device)),
    )
    return obj
