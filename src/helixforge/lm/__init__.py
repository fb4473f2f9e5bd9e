"""Sequence language models for DNA and molecules (Hugging Face transformers underneath).

    from helixforge.lm import build_tokenizer, pretrain, finetune, embed, score, load_pretrained

* tokenizers.py — DNA single-base / K-mer / BPE, SMILES atom-level / BPE (tokenizer.json)
* models.py     — encoder (ModernBERT, BERT) and decoder (Llama, GPT-2) presets; load_pretrained
* corpus.py     — streaming corpora: genome windows with hold-out, SMILES / text lines
* pretrain.py   — masked / causal LM pretraining with checkpoints and resume
* objectives.py — masked / causal LM batches; pretrain_report.py — the run's card and report
* estimator.py  — LMPropertyModel (= FinetunedLM): the one fine-tuned estimator, every task
* heads.py, lora.py, model_files.py — task windows/losses, LoRA, the saved model folder
* finetune.py   — `helix lm finetune`: table → run directory through `core.supervised`
                  (finetune_report.py: card, report; finetune_token.py: per-token labels)
* predict.py    — `helix lm predict` from a finetune run (`core.supervised.predict_table`)
* inference.py  — embeddings and (pseudo-)log-likelihood scores, windows for long inputs
* tables.py     — `helix lm embed | score` over tables / FASTA, errors tables
* alphabet.py   — IUPAC codes and the one reverse complement (dna.sequence re-exports it)

Names are imported lazily so `import helixforge.lm` stays cheap.
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import Any

_EXPORTS = {
    "build_tokenizer": "tokenizers",
    "train_tokenizer": "tokenizers",
    "SequenceTokenizer": "tokenizers",
    "build_model": "models",
    "load_pretrained": "models",
    "model_info": "models",
    "SIZES": "models",
    "pretrain": "pretrain",
    "finetune": "finetune",
    "FinetunedLM": "estimator",
    "embed": "inference",
    "score": "inference",
    "LMPropertyModel": "estimator",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(f"helixforge.lm.{_EXPORTS[name]}"), name)
    raise AttributeError(f"module 'helixforge.lm' has no attribute {name!r}")


# `pretrain` and `finetune` are functions named like their modules: importing the module
# binds it as this package's attribute, and `from helixforge.lm import pretrain` then gave the
# module ("'module' object is not callable"). The package answers with the function; the
# modules stay importlib.import_module("helixforge.lm.pretrain") / `from … .pretrain import`.
_SHADOWED = frozenset(k for k, v in _EXPORTS.items() if k == v)


class _Package(types.ModuleType):
    def __getattribute__(self, name: str) -> Any:
        value = super().__getattribute__(name)
        if name in _SHADOWED and isinstance(value, types.ModuleType):
            return getattr(value, name)
        return value


sys.modules[__name__].__class__ = _Package
