"""Adapter: a fine-tuned chemical language model (helixforge.lm) as a `PropertyModel`.

`--model lm:PATH` starts from the pretrained checkpoint at PATH; the estimator itself lives in
`helixforge.lm.estimator.LMPropertyModel` (fit / predict / save / load on SMILES).
"""

from __future__ import annotations

from typing import Any

from helixforge.core.errors import ConfigError


def lm_model_class():
    """`helixforge.lm.estimator.LMPropertyModel`, or a ConfigError when the lm layer lacks it."""
    try:
        from helixforge.lm.estimator import LMPropertyModel
    except ImportError as exc:
        raise ConfigError(
            "language-model property models need helixforge.lm.estimator.LMPropertyModel, "
            f"which is not available in this installation ({exc})",
            hint="use --model gbm or dmpnn",
        ) from exc
    return LMPropertyModel


def lm_property_model(checkpoint: str, **params: Any):
    """An untrained `LMPropertyModel` that will fine-tune from `checkpoint`."""
    if not checkpoint:
        raise ConfigError("--model lm:PATH needs a checkpoint path after 'lm:'")
    return lm_model_class()(checkpoint, **params)
