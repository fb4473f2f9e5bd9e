"""DNA sequence models behind `--model`: every entry of the architecture registry.

`make_sequence_model(spec, task, **options)` builds an estimator from a CLI-style spec ('cnn',
'resnet', 'resnet_pos', 'lm:PATH', … — see `architecture_names()`); `load_sequence_model(dir)`
loads whichever kind a directory holds. Register a new architecture in
`dna.models.registry` (one module, one decorator).
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


def load_sequence_model(path: str | os.PathLike, device: str = "cpu"):
    """Load a model directory written by `SequenceModel.save` or `LMSequenceModel.save`."""
    from helixforge.dna.models.lm_adapter import META_FILE, LMSequenceModel

    d = Path(path)
    if not d.is_dir():
        raise InputError(f"{d}: model directory not found", hint="pass the run directory")
    if (d / META_FILE).exists():
        return LMSequenceModel.load(d, device=device)
    return SequenceModel.load(d, device=device)


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
    "parse_model_spec",
    "register_architecture",
]
