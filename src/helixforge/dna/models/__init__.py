"""DNA sequence models: the baseline CNN, the dilated ResNet, and `lm:PATH` language models.

`make_sequence_model(spec, task, **options)` builds an estimator from a CLI-style spec:
'cnn', 'resnet', or 'lm:PATH' (a fine-tuned language model from `helixforge.lm`).
`load_sequence_model(dir)` loads whichever kind a directory holds.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from helixforge.core.errors import ConfigError, InputError
from helixforge.dna.models.estimator import SequenceModel
from helixforge.dna.models.lm_adapter import META_FILE, LMSequenceModel, lm_estimator_class

LM_PREFIX = "lm:"


def make_sequence_model(spec: str, task: str = "binary", **options: Any):
    """'cnn' | 'resnet' → `SequenceModel`; 'lm:PATH' → `LMSequenceModel` fine-tuning checkpoint PATH."""
    if spec.startswith(LM_PREFIX):
        path = spec[len(LM_PREFIX) :]
        if not path or not Path(path).exists():
            raise ConfigError(
                f"language model {path!r} not found",
                hint="pass lm:DIR where DIR holds a pretrained checkpoint",
            )
        lm_estimator_class()  # fail early with a clear message when the lm layer is missing
        options.pop("arch_params", None)
        options.pop("checkpoint_dir", None)
        options.pop("rc_augment", None)
        return LMSequenceModel(path, task=task, **options)
    return SequenceModel(arch=spec, task=task, **options)


def load_sequence_model(path: str | os.PathLike, device: str = "cpu"):
    """Load a model directory written by `SequenceModel.save` or the LM estimator's `save`."""
    from helixforge.core.artifacts import load_json

    d = Path(path)
    if (d / META_FILE).exists():
        return LMSequenceModel.load(d, device=device)
    cfg = load_json(d / "config.json") if (d / "config.json").exists() else {}
    if not str(cfg.get("format", "")).startswith("helixforge.dna.SequenceModel"):
        raise InputError(
            f"{d}: not a HelixForge DNA model directory",
            hint="pass the run directory of `helix dna train` (or its model/ folder)",
        )
    return SequenceModel.load(d, device=device)


__all__ = ["SequenceModel", "LMSequenceModel", "make_sequence_model", "load_sequence_model"]
