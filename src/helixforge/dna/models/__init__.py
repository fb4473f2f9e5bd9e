"""DNA sequence models behind `--model`: every entry of the architecture registry.

`make_sequence_model(spec, task, **options)` builds an estimator (the core `Estimator`
protocol) from a CLI-style spec ('cnn', 'resnet', 'resnet_pos', 'lm:PATH', … — see
`architecture_names()`); `model_class(spec)` is the class whose `load` reads a saved member
(the loader `core.supervised.TrainedRun` takes); `load_sequence_model(dir)` loads whichever
kind a directory holds — a model folder, or a `helix dna train` run directory (its ensemble,
with the run's classes). Register a new architecture in `dna.models.registry` (one module,
one decorator).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from helixforge.core.errors import InputError
from helixforge.dna.models.estimator import SequenceModel
from helixforge.dna.models.registry import (
    ARCHITECTURES,
    Architecture,
    architecture_names,
    parse_model_spec,
    register_architecture,
)


def make_sequence_model(spec: str, task: str = "binary", **options: Any):
    """A model for `spec`: registered torch architectures → `SequenceModel`; entries with their
    own estimator (lm:PATH) → that estimator. Unknown names raise a ConfigError listing them."""
    arch, arg = parse_model_spec(spec)
    if arch.estimator is not None:
        return arch.estimator(arg, task=task, **options)
    return SequenceModel(arch=arch.name, task=task, **options)


def model_class(spec: str):
    """The class that loads a saved member of `spec` (`SequenceModel` or `LMSequenceModel`)."""
    arch, _ = parse_model_spec(spec)
    if arch.estimator is not None:
        from helixforge.dna.models.lm_adapter import LMSequenceModel

        return LMSequenceModel
    return SequenceModel


def _load_folder(d: Path, device: str):
    from helixforge.dna.models.lm_adapter import META_FILE, LMSequenceModel

    if (d / META_FILE).exists():
        return LMSequenceModel.load(d, device=device)
    return SequenceModel.load(d, device=device)


def load_sequence_model(path: str | os.PathLike, device: str = "cpu"):
    """Load a model folder written by `SequenceModel.save` / `LMSequenceModel.save`, or the
    model of a `helix dna train` run directory (or its model/ folder): its members after the
    manifest check, averaged when there are several, with the run's classes."""
    from helixforge.core.supervised import check_manifest

    d = Path(path)
    if not d.is_dir():
        raise InputError(f"{d}: model directory not found", hint="pass the run directory")
    model_dir = d / "model" if (d / "model" / "manifest.json").exists() else d
    if not (model_dir / "manifest.json").exists():
        return _load_folder(d, device)
    info = check_manifest(model_dir)
    n = int(info.get("members", 0))
    if n < 1:
        raise InputError(f"{model_dir}: no trained members", hint="is this a finished run?")
    members = [_load_folder(model_dir / f"member_{i}", device) for i in range(n)]
    run_cfg = model_dir.parent / "config.json"
    if run_cfg.exists():
        from helixforge.dna.models.storage import read_json

        cfg = read_json(run_cfg)
        classes = (cfg.get("classes") or {}) if isinstance(cfg, dict) else {}
        targets = cfg.get("targets") if isinstance(cfg, dict) else None
        if targets and targets[0] in classes:
            for m in members:
                set_classes(m, classes[targets[0]])
    if n == 1:
        return members[0]
    from helixforge.dna.models.averaged import averaged

    return averaged(members)


def set_classes(model, classes: list) -> None:
    """Give a loaded member the run's classes (members are trained on indices 0..k-1)."""
    if hasattr(model, "config") and hasattr(model.config, "classes"):
        model.config.classes = list(classes)
    else:
        model.classes_ = list(classes)


def __getattr__(name: str):  # LMSequenceModel without importing the lm layer up front
    if name == "LMSequenceModel":
        from helixforge.dna.models.lm_adapter import LMSequenceModel

        return LMSequenceModel
    raise AttributeError(name)


__all__ = [
    "ARCHITECTURES",
    "Architecture",
    "SequenceModel",
    "architecture_names",
    "load_sequence_model",
    "make_sequence_model",
    "model_class",
    "set_classes",
    "parse_model_spec",
    "register_architecture",
]
