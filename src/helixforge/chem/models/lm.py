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


def _refuse_dna_checkpoint(checkpoint: str) -> None:
    """A checkpoint of ours whose tokenizer reads DNA (dna-char / dna-kmer / dna-bpe) would
    read SMILES as DNA: most characters unknown to its vocabulary, and metrics reported
    without a word. Published folders (no helixforge_tokenizer.json) are left to the model."""
    import json
    from pathlib import Path

    try:
        spec = json.loads((Path(checkpoint) / "helixforge_tokenizer.json").read_text("utf-8"))
        kind = str(spec["kind"])
    except (OSError, ValueError, KeyError, TypeError):
        return
    if kind.startswith("dna-"):
        raise ConfigError(
            f"--model lm:{checkpoint}: a DNA language model (tokenizer {kind}), not one for "
            "molecules",
            hint="pretrain one on SMILES (helix lm pretrain --tokenizer smiles-atom), or use "
            "--model gbm / dmpnn; DNA models go to helix dna train",
        )


def lm_property_model(checkpoint: str, **params: Any):
    """An untrained `LMPropertyModel` that will fine-tune from `checkpoint`."""
    if not checkpoint:
        raise ConfigError("--model lm:PATH needs a checkpoint path after 'lm:'")
    _refuse_dna_checkpoint(checkpoint)
    return lm_model_class()(checkpoint, **params)
